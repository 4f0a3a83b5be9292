"""Every ``AriClient`` method sends a request the Swagger defines, and labels its metric after it.

Each method is called with every keyword it takes; the loopback server records the request, which
must match one Swagger operation (method and path template), use only that operation's parameter
names, carry its required ones, and be measured under ``<resource>.<nickname>``.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from acd.ari import AriClient
from acd.metrics import Metrics
from tests.ari.fake_ari import FakeAri
from tests.ari.samples import APPLICATION, BRIDGE, CHANNEL, ENDPOINT, PLAYBACK
from tests.shared_data import load_swagger, shared_dir

RESOURCES = ("asterisk", "channels", "bridges", "endpoints", "deviceStates", "applications", "playbacks")
VARS = {"CALLERID(name)": "Support", "ACD_QUEUE": "support"}


@dataclass
class Case:
    name: str
    call: Callable[[AriClient], Awaitable[Any]]
    method: str
    path: str
    status: int = 204
    body: Any = None
    sent_json: Any = None  # the JSON body the request must carry, if any


CASES = [
    Case(
        "asterisk_info", lambda c: c.asterisk_info(only=["build", "system"]), "GET", "/asterisk/info", 200, {}
    ),
    Case(
        "ping",
        lambda c: c.ping(),
        "GET",
        "/asterisk/ping",
        200,
        {"asterisk_id": "02:fc:00:00:00:01", "ping": "pong", "timestamp": "2026-11-24T00:05:57.640+0000"},
    ),
    Case("list_channels", lambda c: c.list_channels(), "GET", "/channels", 200, [CHANNEL]),
    Case("get_channel", lambda c: c.get_channel("c1"), "GET", "/channels/c1", 200, CHANNEL),
    Case(
        "originate",
        lambda c: c.originate(
            "PJSIP/agent1",
            channel_id="agent-leg-1",
            app="acd",
            app_args=["agent", "c1"],
            caller_id="Support <100>",
            timeout=15,
            variables=VARS,
            other_channel_id="agent-leg-1b",
            originator="c1",
            formats=["ulaw", "alaw"],
        ),
        "POST",
        "/channels/agent-leg-1",
        200,
        CHANNEL,
        {"variables": VARS},
    ),
    Case(
        "originate",
        lambda c: c.originate(
            "Local/100@acd-outbound",
            context="acd-outbound",
            extension="100",
            priority=1,
            label="start",
            timeout=30,
        ),
        "POST",
        "/channels",
        200,
        CHANNEL,
    ),
    Case(
        "create_channel",
        lambda c: c.create_channel(
            "PJSIP/agent1",
            app="acd",
            app_args="agent,c1",
            channel_id="leg-2",
            other_channel_id="leg-2b",
            originator="c1",
            formats="ulaw",
            variables=VARS,
        ),
        "POST",
        "/channels/create",
        200,
        CHANNEL,
        {"variables": VARS},
    ),
    Case("dial", lambda c: c.dial("leg-2", caller="c1", timeout=15), "POST", "/channels/leg-2/dial"),
    Case("hangup", lambda c: c.hangup("c1", reason="normal"), "DELETE", "/channels/c1"),
    Case("hangup", lambda c: c.hangup("c1", reason_code="17"), "DELETE", "/channels/c1"),
    Case("answer", lambda c: c.answer("c1"), "POST", "/channels/c1/answer"),
    Case("ring", lambda c: c.ring("c1"), "POST", "/channels/c1/ring"),
    Case("ring_stop", lambda c: c.ring_stop("c1"), "DELETE", "/channels/c1/ring"),
    Case("progress", lambda c: c.progress("c1"), "POST", "/channels/c1/progress"),
    Case("hold", lambda c: c.hold("c1"), "POST", "/channels/c1/hold"),
    Case("unhold", lambda c: c.unhold("c1"), "DELETE", "/channels/c1/hold"),
    Case("start_moh", lambda c: c.start_moh("c1", "default"), "POST", "/channels/c1/moh"),
    Case("stop_moh", lambda c: c.stop_moh("c1"), "DELETE", "/channels/c1/moh"),
    Case("start_silence", lambda c: c.start_silence("c1"), "POST", "/channels/c1/silence"),
    Case("stop_silence", lambda c: c.stop_silence("c1"), "DELETE", "/channels/c1/silence"),
    Case("mute", lambda c: c.mute("c1", "in"), "POST", "/channels/c1/mute"),
    Case("unmute", lambda c: c.unmute("c1", "in"), "DELETE", "/channels/c1/mute"),
    Case(
        "play",
        lambda c: c.play("c1", ["sound:hello", "sound:queue"], lang="en", offsetms=0, skipms=3000),
        "POST",
        "/channels/c1/play",
        201,
        PLAYBACK,
    ),
    Case(
        "play",
        lambda c: c.play("c1", "sound:hello", playback_id="pb-1"),
        "POST",
        "/channels/c1/play/pb-1",
        201,
        PLAYBACK,
    ),
    Case(
        "send_dtmf",
        lambda c: c.send_dtmf("c1", "12#", before=0, between=100, duration=100, after=0),
        "POST",
        "/channels/c1/dtmf",
    ),
    Case(
        "continue_in_dialplan",
        lambda c: c.continue_in_dialplan("c1", "acd-transfer", "200", 1, "start"),
        "POST",
        "/channels/c1/continue",
    ),
    Case("redirect", lambda c: c.redirect("c1", "PJSIP/agent2"), "POST", "/channels/c1/redirect"),
    Case("move", lambda c: c.move("c1", "other-app", ["a", "b"]), "POST", "/channels/c1/move"),
    Case(
        "get_variable",
        lambda c: c.get_variable("c1", "ACD_QUEUE"),
        "GET",
        "/channels/c1/variable",
        200,
        {"value": "s"},
    ),
    Case(
        "set_variable",
        lambda c: c.set_variable("c1", "ACD_QUEUE", "support"),
        "POST",
        "/channels/c1/variable",
    ),
    Case(
        "snoop",
        lambda c: c.snoop("c1", app="acd", spy="both", whisper="none", app_args="snoop,c1"),
        "POST",
        "/channels/c1/snoop",
        200,
        CHANNEL,
    ),
    Case(
        "snoop",
        lambda c: c.snoop("c1", app="acd", spy="in", snoop_id="snoop-1"),
        "POST",
        "/channels/c1/snoop/snoop-1",
        200,
        CHANNEL,
    ),
    Case("list_bridges", lambda c: c.list_bridges(), "GET", "/bridges", 200, [BRIDGE]),
    Case("get_bridge", lambda c: c.get_bridge("b1"), "GET", "/bridges/b1", 200, BRIDGE),
    Case(
        "create_bridge",
        lambda c: c.create_bridge("b1", type=["mixing", "dtmf_events"], name="call"),
        "POST",
        "/bridges/b1",
        200,
        BRIDGE,
    ),
    Case("create_bridge", lambda c: c.create_bridge(), "POST", "/bridges", 200, BRIDGE),
    Case("destroy_bridge", lambda c: c.destroy_bridge("b1"), "DELETE", "/bridges/b1"),
    Case(
        "add_channel",
        lambda c: c.add_channel(
            "b1",
            ["c1", "c2"],
            role="participant",
            absorb_dtmf=True,
            mute=False,
            inhibit_connected_line_updates=True,
        ),
        "POST",
        "/bridges/b1/addChannel",
    ),
    Case("remove_channel", lambda c: c.remove_channel("b1", "c1"), "POST", "/bridges/b1/removeChannel"),
    Case("start_bridge_moh", lambda c: c.start_bridge_moh("b1", "default"), "POST", "/bridges/b1/moh"),
    Case("stop_bridge_moh", lambda c: c.stop_bridge_moh("b1"), "DELETE", "/bridges/b1/moh"),
    Case(
        "play_on_bridge",
        lambda c: c.play_on_bridge(
            "b1", "sound:hello", lang="en", announcer_format="ulaw", offsetms=0, skipms=0
        ),
        "POST",
        "/bridges/b1/play",
        201,
        PLAYBACK,
    ),
    Case(
        "play_on_bridge",
        lambda c: c.play_on_bridge("b1", "sound:hello", playback_id="pb-2"),
        "POST",
        "/bridges/b1/play/pb-2",
        201,
        PLAYBACK,
    ),
    Case("get_playback", lambda c: c.get_playback("pb-1"), "GET", "/playbacks/pb-1", 200, PLAYBACK),
    Case("stop_playback", lambda c: c.stop_playback("pb-1"), "DELETE", "/playbacks/pb-1"),
    Case("list_endpoints", lambda c: c.list_endpoints(), "GET", "/endpoints", 200, [ENDPOINT]),
    Case("list_endpoints", lambda c: c.list_endpoints("PJSIP"), "GET", "/endpoints/PJSIP", 200, [ENDPOINT]),
    Case(
        "get_endpoint",
        lambda c: c.get_endpoint("PJSIP", "agent4"),
        "GET",
        "/endpoints/PJSIP/agent4",
        200,
        ENDPOINT,
    ),
    Case(
        "list_device_states",
        lambda c: c.list_device_states(),
        "GET",
        "/deviceStates",
        200,
        [{"name": "Stasis:agent1", "state": "NOT_INUSE"}],
    ),
    Case(
        "get_device_state",
        lambda c: c.get_device_state("Stasis:agent1"),
        "GET",
        "/deviceStates/Stasis:agent1",
        200,
        {"name": "Stasis:agent1", "state": "INUSE"},
    ),
    Case(
        "set_device_state",
        lambda c: c.set_device_state("Stasis:agent1", "INUSE"),
        "PUT",
        "/deviceStates/Stasis:agent1",
    ),
    Case(
        "delete_device_state",
        lambda c: c.delete_device_state("Stasis:agent1"),
        "DELETE",
        "/deviceStates/Stasis:agent1",
    ),
    Case("list_applications", lambda c: c.list_applications(), "GET", "/applications", 200, [APPLICATION]),
    Case("get_application", lambda c: c.get_application(), "GET", "/applications/acd", 200, APPLICATION),
    Case(
        "subscribe",
        lambda c: c.subscribe(["endpoint:PJSIP/agent1", "endpoint:PJSIP/agent2"]),
        "POST",
        "/applications/acd/subscription",
        200,
        APPLICATION,
    ),
    Case(
        "unsubscribe",
        lambda c: c.unsubscribe("endpoint:PJSIP/agent1", app="other"),
        "DELETE",
        "/applications/other/subscription",
        200,
        APPLICATION,
    ),
    Case(
        "set_event_filter",
        lambda c: c.set_event_filter(disallowed=["ChannelVarset", "ChannelDialplan"]),
        "PUT",
        "/applications/acd/eventFilter",
        200,
        {**APPLICATION, "events_disallowed": [{"type": "ChannelVarset"}, {"type": "ChannelDialplan"}]},
        {"disallowed": [{"type": "ChannelVarset"}, {"type": "ChannelDialplan"}]},
    ),
    Case(
        "set_event_filter",
        lambda c: c.set_event_filter("other", allowed=[], disallowed=[]),
        "PUT",
        "/applications/other/eventFilter",
        200,
        APPLICATION,
        {"allowed": [], "disallowed": []},
    ),
]


@dataclass
class Operation:
    label: str
    method: str
    pattern: re.Pattern[str]
    placeholders: int
    query: dict[str, bool]  # name -> required
    body: dict[str, str]  # name -> Swagger data type


def operations() -> list[Operation]:
    found = []
    for resource in RESOURCES:
        for api in load_swagger(resource)["apis"]:
            template = api["path"]
            pattern = re.compile(re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")
            for op in api["operations"]:
                params = op.get("parameters", [])
                found.append(
                    Operation(
                        f"{resource}.{op['nickname']}",
                        op["httpMethod"],
                        pattern,
                        template.count("{"),
                        {p["name"]: bool(p.get("required")) for p in params if p["paramType"] == "query"},
                        {p["name"]: p["dataType"] for p in params if p["paramType"] == "body"},
                    )
                )
    return found


def matching_operation(method: str, path: str) -> Operation:
    candidates = [op for op in operations() if op.method == method and op.pattern.match(path)]
    assert candidates, f"no Swagger operation for {method} {path}"
    return min(candidates, key=lambda op: op.placeholders)  # /channels/create beats /channels/{id}


def measured_operations(metrics: Metrics) -> list[str]:
    return [
        sample.labels["operation"]
        for metric in metrics.ari_request_seconds.collect()
        for sample in metric.samples
        if sample.name.endswith("_count") and sample.value
    ]


def test_every_public_method_is_covered() -> None:
    public = {
        name
        for name, member in inspect.getmembers(AriClient, inspect.iscoroutinefunction)
        if not name.startswith("_")
    }
    assert public - {"close"} == {case.name for case in CASES}


@pytest.mark.skipif(shared_dir() is None, reason="the ARI Swagger (../shared/ari-api-docs) is not here")
@pytest.mark.parametrize("case", CASES, ids=[f"{c.name}-{c.path}" for c in CASES])
async def test_request_follows_the_swagger(case: Case, fake_ari: FakeAri, metrics: Metrics) -> None:
    fake_ari.answer(case.method, case.path, case.status, case.body)
    async with AriClient(fake_ari.url, "acd", "secret", "acd", metrics=metrics) as client:
        result = await case.call(client)
    assert (result is None) == (case.body is None)
    [sent] = fake_ari.received
    assert (sent.method, sent.path) == (case.method, case.path)
    op = matching_operation(sent.method, sent.path)
    assert set(sent.query) <= set(op.query), f"{op.label} has no parameter {set(sent.query) - set(op.query)}"
    assert {name for name, required in op.query.items() if required} <= set(sent.query)
    if case.sent_json is None:
        assert sent.body == b""
    else:
        assert sent.headers["Content-Type"].startswith("application/json")
        body = json.loads(sent.body)
        assert body == case.sent_json
        # Asterisk reads a "containers" parameter under its own name, an "object" one as the whole body.
        [(name, data_type)] = op.body.items()
        if data_type == "containers":
            assert set(body) == {name}
        else:
            assert data_type == "object"
    assert measured_operations(metrics) == [op.label]


async def test_keyword_values_are_sent_as_asterisk_expects(fake_ari: FakeAri) -> None:
    async with AriClient(fake_ari.url, "acd", "secret", "acd") as client:
        for case in CASES:
            if case.name in ("originate", "add_channel", "play"):
                fake_ari.answer(case.method, case.path, case.status, case.body)
                await case.call(client)
    queries = {r.path: r.query for r in fake_ari.received}
    assert queries["/channels/agent-leg-1"] == {
        "endpoint": "PJSIP/agent1",
        "app": "acd",
        "appArgs": "agent,c1",
        "callerId": "Support <100>",
        "timeout": "15",
        "otherChannelId": "agent-leg-1b",
        "originator": "c1",
        "formats": "ulaw,alaw",
    }
    assert queries["/bridges/b1/addChannel"] == {
        "channel": "c1,c2",
        "role": "participant",
        "absorbDTMF": "true",
        "mute": "false",
        "inhibitConnectedLineUpdates": "true",
    }
    assert queries["/channels/c1/play"]["media"] == "sound:hello,sound:queue"


async def test_ids_are_quoted_into_one_path_segment(fake_ari: FakeAri) -> None:
    name = "Custom:queue/support 1"
    fake_ari.answer("GET", f"/deviceStates/{name}", 200, {"name": name, "state": "BUSY"})
    async with AriClient(fake_ari.url, "acd", "secret", "acd") as client:
        state = await client.get_device_state(name)
    assert state.name == name
    assert fake_ari.received[0].path == f"/deviceStates/{name}"
    assert fake_ari.received[0].raw_path == "/ari/deviceStates/Custom:queue%2Fsupport%201"

"""Every REST exchange of the recorded scenarios, replayed: Asterisk's exact answer, our exact request.

A loopback server answers what Asterisk answered; the client call that the recorded app made must send
the same method, path and parameters, and return the right model (or raise the right error).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from acd.ari import AriClient, AriError, AriNotFound, AriServerError
from acd.metrics import Metrics
from tests.ari.fake_ari import FakeAri
from tests.ari.samples import assert_matches
from tests.shared_data import load_trace, require_shared, shared_dir, trace_names

Call = Callable[[AriClient, re.Match[str], dict[str, str]], Awaitable[Any]]

# (method, path pattern, the client call the recorded app made): params arrive as Asterisk's strings.
CALLS: list[tuple[str, str, Call]] = [
    ("GET", r"/asterisk/info", lambda c, m, p: c.asterisk_info()),
    ("GET", r"/channels", lambda c, m, p: c.list_channels()),
    (
        "POST",
        r"/channels",
        lambda c, m, p: c.originate(
            p["endpoint"],
            app=p["app"],
            app_args=p["appArgs"],
            caller_id=p["callerId"],
            timeout=int(p["timeout"]),
        ),
    ),
    ("GET", r"/channels/([^/]+)", lambda c, m, p: c.get_channel(m[1])),
    ("DELETE", r"/channels/([^/]+)", lambda c, m, p: c.hangup(m[1], reason=p.get("reason"))),
    ("POST", r"/channels/([^/]+)/answer", lambda c, m, p: c.answer(m[1])),
    ("POST", r"/channels/([^/]+)/hold", lambda c, m, p: c.hold(m[1])),
    ("DELETE", r"/channels/([^/]+)/hold", lambda c, m, p: c.unhold(m[1])),
    ("POST", r"/channels/([^/]+)/moh", lambda c, m, p: c.start_moh(m[1], p.get("mohClass"))),
    ("DELETE", r"/channels/([^/]+)/moh", lambda c, m, p: c.stop_moh(m[1])),
    (
        "POST",
        r"/channels/([^/]+)/dtmf",
        lambda c, m, p: c.send_dtmf(m[1], p["dtmf"], between=int(p["between"])),
    ),
    ("GET", r"/bridges", lambda c, m, p: c.list_bridges()),
    ("POST", r"/bridges", lambda c, m, p: c.create_bridge(type=p["type"], name=p["name"])),
    ("DELETE", r"/bridges/([^/]+)", lambda c, m, p: c.destroy_bridge(m[1])),
    (
        "POST",
        r"/bridges/([^/]+)/addChannel",
        lambda c, m, p: c.add_channel(m[1], p["channel"].split(","), role=p.get("role")),
    ),
    ("POST", r"/bridges/([^/]+)/removeChannel", lambda c, m, p: c.remove_channel(m[1], p["channel"])),
    ("POST", r"/bridges/([^/]+)/moh", lambda c, m, p: c.start_bridge_moh(m[1], p.get("mohClass"))),
    ("GET", r"/endpoints", lambda c, m, p: c.list_endpoints()),
    ("GET", r"/endpoints/([^/]+)/([^/]+)", lambda c, m, p: c.get_endpoint(m[1], m[2])),
    ("GET", r"/applications/([^/]+)", lambda c, m, p: c.get_application(m[1])),
    ("POST", r"/applications/([^/]+)/subscription", lambda c, m, p: c.subscribe(p["eventSource"], app=m[1])),
    (
        "DELETE",
        r"/applications/([^/]+)/subscription",
        lambda c, m, p: c.unsubscribe(p["eventSource"], app=m[1]),
    ),
]

ERRORS: dict[int, type[AriError]] = {404: AriNotFound, 500: AriServerError}


def exchanges() -> list[Any]:
    if shared_dir() is None:
        return []
    cases = []
    for name in trace_names():
        records = [r for r in load_trace(name) if r["kind"] == "rest"]
        for i, rec in enumerate(records):
            cases.append(
                pytest.param(rec, id=f"{name[0]}{i:02d}-{rec['method']}-{rec['status']}-{rec['path']}")
            )
    return cases


def client_call(client: AriClient, rec: dict[str, Any]) -> Awaitable[Any]:
    for method, pattern, call in CALLS:
        match = re.fullmatch(pattern, rec["path"])
        if method == rec["method"] and match:
            return call(client, match, rec["params"])
    raise AssertionError(f"no client call known for {rec['method']} {rec['path']}")


@pytest.mark.parametrize("rec", exchanges())
async def test_recorded_exchange_replays(rec: dict[str, Any], fake_ari: FakeAri, metrics: Metrics) -> None:
    fake_ari.answer(rec["method"], rec["path"], rec["status"], rec["body"])
    async with AriClient(fake_ari.url, "acd", "secret", "acd", metrics=metrics) as client:
        if rec["status"] >= 400:
            with pytest.raises(ERRORS[rec["status"]]) as info:
                await client_call(client, rec)
            assert info.value.status == rec["status"]
            assert info.value.message in (rec["body"].get("message"), rec["body"].get("error"))
        else:
            result = await client_call(client, rec)
            if rec["status"] == 204:
                assert result is None
            else:
                assert_matches(result, rec["body"])
    [sent] = fake_ari.received
    assert (sent.method, sent.path, sent.query) == (rec["method"], rec["path"], rec["params"])
    assert sent.body == b""


def test_the_traces_hold_rest_exchanges() -> None:
    require_shared()
    statuses = {p.values[0]["status"] for p in exchanges()}
    assert statuses == {200, 204, 404, 500}

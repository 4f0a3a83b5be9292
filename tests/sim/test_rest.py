"""ARI's REST surface as the simulator serves it: paths, status codes and bodies Asterisk 22 gives."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import aiohttp
from aiohttp import web

from acd.sim import PbxSimulator, PhoneBehaviour
from acd.sim.rest_bridges import routes as bridge_routes
from acd.sim.rest_channels import routes as channel_routes
from acd.sim.rest_misc import routes as misc_routes
from tests.shared_data import load_swagger
from tests.sim.flows import connect_call, originate_agent, queue_caller
from tests.sim.probe import AriProbe


def test_every_simulated_path_is_in_asterisks_swagger() -> None:
    documented: set[tuple[str, str]] = set()
    for resource in (
        "asterisk",
        "channels",
        "bridges",
        "endpoints",
        "applications",
        "deviceStates",
        "playbacks",
    ):
        for api in load_swagger(resource)["apis"]:
            for op in api["operations"]:
                documented.add((op["httpMethod"], re.sub(r"\{[^}]+\}", "{}", api["path"])))
    for table in (channel_routes, bridge_routes, misc_routes):
        for route in table:
            assert isinstance(route, web.RouteDef)
            path = re.sub(r"\{[^}]+\}", "{}", route.path.removeprefix("/ari"))
            assert (route.method, path) in documented, f"{route.method} {path} is not an ARI path"


async def test_credentials_are_required(sim: PbxSimulator) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{sim.ari_url}/channels") as resp:
            assert resp.status == 401
            assert await resp.json() == {"message": "Authentication required"}
            assert resp.headers["WWW-Authenticate"] == 'Basic realm="Asterisk REST Interface"'
        bad = {"Authorization": aiohttp.encode_basic_auth("acd", "wrong")}
        async with session.get(f"{sim.ari_url}/channels", headers=bad) as resp:
            assert resp.status == 401
        async with session.get(f"{sim.ari_url}/channels", params={"api_key": "acd:acd"}) as resp:
            assert resp.status == 200
        async with session.ws_connect(f"{sim.ari_url}/events?app=acd&api_key=acd:acd") as ws:
            assert not ws.closed


async def test_wrong_method_is_405(probe: AriProbe) -> None:
    assert await probe.call("PUT", "/channels") == (405, {"message": "Invalid method"})


async def test_answer_codes_follow_resource_channels(sim: PbxSimulator, probe: AriProbe) -> None:
    assert await probe.call("POST", "/channels/nope/answer") == (404, {"message": "Channel not found"})
    sim.set_behaviour("PJSIP/agent1", PhoneBehaviour.manual())
    caller = await sim.place_call()
    await probe.wait_event("StasisStart")
    _, leg = await originate_agent(probe, caller)
    ringing = f"/channels/{leg['id']}/answer"
    assert await probe.call("POST", ringing) == (409, {"message": "Channel not in Stasis application"})
    _, created = await probe.call("POST", "/channels/create", {"endpoint": "PJSIP/agent2", "app": "acd"})
    await probe.wait_event("StasisStart", lambda e: e["channel"]["id"] == created["id"])
    down = f"/channels/{created['id']}/answer"
    assert await probe.call("POST", down) == (412, {"message": "Channel in invalid state"})
    assert (await probe.call("POST", f"/channels/{caller}/answer"))[0] == 204
    for cid in (leg["id"], created["id"], caller):
        assert (await probe.call("DELETE", f"/channels/{cid}"))[0] == 204


async def test_originate_validation_and_duplicate_ids(sim: PbxSimulator, probe: AriProbe) -> None:
    no_endpoint = (400, {"message": "Endpoint must be specified"})
    assert await probe.call("POST", "/channels", {"app": "acd"}) == no_endpoint
    no_target = (400, {"message": "Application or extension must be specified"})
    assert await probe.call("POST", "/channels", {"endpoint": "PJSIP/agent1"}) == no_target
    assert await probe.call("POST", "/channels", {"endpoint": "agent1", "app": "acd"}) == (
        400,
        {"message": "Invalid endpoint specified"},
    )
    status, leg = await probe.call("POST", "/channels/leg-1", {"endpoint": "PJSIP/agent1", "app": "acd"})
    assert status == 200 and leg["id"] == "leg-1"
    again = await probe.call("POST", "/channels/leg-1", {"endpoint": "PJSIP/agent2", "app": "acd"})
    assert again == (409, {"message": "Channel with given unique ID already exists"})
    body = {
        "endpoint": "PJSIP/agent2",
        "app": "acd",
        "variables": {"CALLERID(name)": "Queue", "X_QUEUE": "support"},
    }
    status, other = await probe.call("POST", "/channels", body=body)
    assert status == 200 and other["caller"]["name"] == "Queue"
    assert await probe.call("GET", f"/channels/{other['id']}/variable", {"variable": "X_QUEUE"}) == (
        200,
        {"value": "support"},
    )
    for cid in ("leg-1", other["id"]):
        await probe.call("DELETE", f"/channels/{cid}")


async def test_bridge_ids_and_add_channel_errors(sim: PbxSimulator, probe: AriProbe) -> None:
    status, bridge = await probe.call("POST", "/bridges/q-1", {"type": "holding", "name": "queue"})
    assert status == 200 and bridge["id"] == "q-1" and bridge["technology"] == "holding_bridge"
    exists = (409, {"message": "Bridge with id 'q-1' already exists"})
    assert await probe.call("POST", "/bridges/q-1", {"type": "holding"}) == exists
    assert await probe.call("POST", "/bridges", {"bridgeId": "q-1"}) == exists
    assert await probe.call("POST", "/bridges", {"type": "bogus"}) == (
        500,
        {"message": "Unable to create bridge"},
    )
    assert await probe.call("POST", "/bridges/q-1/addChannel", {"channel": "gone"}) == (
        400,
        {"message": "Channel not found"},
    )
    sim.set_behaviour("PJSIP/agent1", PhoneBehaviour.manual())
    _, leg = await probe.call("POST", "/channels", {"endpoint": "PJSIP/agent1", "app": "acd"})
    assert await probe.call("POST", "/bridges/q-1/addChannel", {"channel": leg["id"]}) == (
        422,
        {"message": "Channel not in Stasis application"},
    )
    assert await probe.call("POST", "/bridges/none/addChannel", {"channel": leg["id"]}) == (
        404,
        {"message": "Bridge not found"},
    )
    assert await probe.call("DELETE", "/bridges/q-1/moh") == (409, {"message": "Bridge isn't playing music"})
    await probe.call("DELETE", f"/channels/{leg['id']}")
    assert (await probe.call("DELETE", "/bridges/q-1"))[0] == 204
    assert await probe.call("GET", "/bridges/q-1") == (404, {"message": "Bridge not found"})


async def test_add_channel_moves_a_channel_out_of_its_bridge(sim: PbxSimulator, probe: AriProbe) -> None:
    caller, holding = await queue_caller(sim, probe)
    _, other = await probe.call("POST", "/bridges", {"type": "holding", "name": "vip"})
    mark = len(probe.events)
    assert (await probe.call("POST", f"/bridges/{other['id']}/addChannel", {"channel": caller}))[0] == 204
    await probe.wait_event("ChannelEnteredBridge", lambda e: e["bridge"]["id"] == other["id"])
    moves = [(e["type"], e["bridge"]["id"]) for e in probe.events[mark:]]
    assert moves == [("ChannelLeftBridge", holding), ("ChannelEnteredBridge", other["id"])]
    assert await probe.call("POST", f"/bridges/{holding}/removeChannel", {"channel": caller}) == (
        422,
        {"message": "Channel not in this bridge"},
    )
    await probe.call("DELETE", f"/channels/{caller}")
    for bridge in (holding, other["id"]):
        await probe.call("DELETE", f"/bridges/{bridge}")


async def test_hangup_reasons(sim: PbxSimulator, probe: AriProbe) -> None:
    caller = await sim.place_call()
    await probe.wait_event("StasisStart")
    both = {"reason": "busy", "reason_code": "17"}
    assert await probe.call("DELETE", f"/channels/{caller}", both) == (
        400,
        {"message": "The reason and reason_code can't both be specified"},
    )
    assert await probe.call("DELETE", f"/channels/{caller}", {"reason": "whatever"}) == (
        400,
        {"message": "Invalid reason for hangup reason provided"},
    )
    sim.set_behaviour("PJSIP/agent1", PhoneBehaviour.never())
    _, leg = await originate_agent(probe, caller)
    assert (await probe.call("DELETE", f"/channels/{leg['id']}", {"reason": "busy"}))[0] == 204
    end = await probe.wait_event("ChannelDestroyed", lambda e: e["channel"]["id"] == leg["id"])
    assert (end["cause"], end["cause_txt"]) == (17, "User busy")
    dial = [e["dialstatus"] for e in probe.events if e["type"] == "Dial" and e["peer"]["id"] == leg["id"]]
    assert dial[-1] == "BUSY"
    request = next(
        e for e in probe.events if e["type"] == "ChannelHangupRequest" and e["channel"]["id"] == leg["id"]
    )
    assert (request["cause"], request["soft"]) == (32, True)
    await probe.call("DELETE", f"/channels/{caller}", {"reason_code": "21"})
    await probe.wait_event("StasisEnd")


async def test_playback_answers_201_then_reports_start_and_finish(sim: PbxSimulator, probe: AriProbe) -> None:
    caller = await sim.place_call()
    await probe.wait_event("StasisStart")
    await probe.call("POST", f"/channels/{caller}/answer")
    status, playback = await probe.call("POST", f"/channels/{caller}/play/pb-1", {"media": "sound:hello"})
    assert status == 201 and playback["state"] == "queued" and playback["target_uri"] == f"channel:{caller}"
    started = await probe.wait_event("PlaybackStarted")
    finished = await probe.wait_event("PlaybackFinished")
    assert (started["playback"]["state"], finished["playback"]["state"]) == ("playing", "done")
    assert await probe.call("GET", "/playbacks/pb-1") == (404, {"message": "Playback not found"})
    await probe.call("DELETE", f"/channels/{caller}")


async def test_variables_and_dialplan_functions(sim: PbxSimulator, probe: AriProbe) -> None:
    caller = await sim.place_call(number="+15550042", name="Ann")
    await probe.wait_event("StasisStart")
    assert await probe.call("GET", f"/channels/{caller}/variable", {"variable": "CALLERID(num)"}) == (
        200,
        {"value": "+15550042"},
    )
    assert await probe.call("GET", f"/channels/{caller}/variable", {"variable": "NOPE"}) == (
        404,
        {"message": "Provided variable was not found"},
    )
    assert await probe.call("GET", f"/channels/{caller}/variable") == (
        400,
        {"message": "Variable name is required"},
    )
    assert (await probe.call("POST", f"/channels/{caller}/variable", {"variable": "Q", "value": "1"}))[
        0
    ] == 204
    varset = await probe.wait_event("ChannelVarset", lambda e: e["variable"] == "Q")
    assert varset["value"] == "1"
    await probe.call("DELETE", f"/channels/{caller}")


async def test_dtmf_hold_and_mute_validation(sim: PbxSimulator, probe: AriProbe) -> None:
    caller = await sim.place_call()
    await probe.wait_event("StasisStart")
    await probe.call("POST", f"/channels/{caller}/answer")
    assert await probe.call("POST", f"/channels/{caller}/dtmf") == (400, {"message": "DTMF is required"})
    assert (await probe.call("POST", f"/channels/{caller}/dtmf", {"dtmf": "12#", "between": "100"}))[0] == 204
    assert await probe.call("POST", f"/channels/{caller}/mute", {"direction": "up"}) == (
        400,
        {"message": "Invalid direction specified"},
    )
    for path in ("ring", "moh", "silence", "mute", "hold"):
        assert (await probe.call("POST", f"/channels/{caller}/{path}"))[0] == 204
        assert (await probe.call("DELETE", f"/channels/{caller}/{path}"))[0] == 204
    await probe.call("DELETE", f"/channels/{caller}")


async def test_continue_move_redirect_and_snoop(sim: PbxSimulator, probe: AriProbe) -> None:
    first = await sim.place_call()
    await probe.wait_event("StasisStart", lambda e: e["channel"]["id"] == first)
    await probe.call("POST", f"/channels/{first}/answer")
    status, snoop = await probe.call("POST", f"/channels/{first}/snoop", {"app": "acd", "spy": "both"})
    assert status == 200 and snoop["name"].startswith(f"Snoop/{first}-")
    await probe.wait_event("StasisStart", lambda e: e["channel"]["id"] == snoop["id"])
    assert (await probe.call("POST", f"/channels/{first}/move", {"app": "elsewhere"}))[0] == 204
    failed = await probe.wait_event("ApplicationMoveFailed")
    assert failed["destination"] == "elsewhere"
    assert (await probe.call("POST", f"/channels/{first}/continue"))[0] == 204
    end = await probe.wait_event("StasisEnd", lambda e: e["channel"]["id"] == first)
    assert end["channel"]["dialplan"]["priority"] == 3
    await sim.wait_for(lambda: first not in sim.channels and snoop["id"] not in sim.channels)

    second = await sim.place_call(number="+15550002")
    await probe.wait_event("StasisStart", lambda e: e["channel"]["id"] == second)
    await probe.call("POST", f"/channels/{second}/answer")
    assert await probe.call("POST", f"/channels/{second}/redirect", {"endpoint": "Local/100"}) == (
        422,
        {"message": "Endpoint technology 'Local' does not match channel technology 'PJSIP'"},
    )
    assert (await probe.call("POST", f"/channels/{second}/redirect", {"endpoint": "PJSIP/elsewhere"}))[
        0
    ] == 204
    await probe.wait_event("StasisEnd", lambda e: e["channel"]["id"] == second)
    assert sim.leaks() == []


async def test_create_then_dial_rings_an_agent_already_in_stasis(sim: PbxSimulator, probe: AriProbe) -> None:
    caller = await sim.place_call()
    await probe.wait_event("StasisStart")
    _, leg = await probe.call(
        "POST", "/channels/create", {"endpoint": "PJSIP/agent1", "app": "acd", "appArgs": "agent"}
    )
    start = await probe.wait_event("StasisStart", lambda e: e["channel"]["id"] == leg["id"])
    assert start["channel"]["state"] == "Down" and start["args"] == ["agent"]
    assert (await probe.call("POST", f"/channels/{leg['id']}/dial", {"caller": caller, "timeout": "10"}))[
        0
    ] == 204
    await probe.wait_event("Dial", lambda e: e["dialstatus"] == "ANSWER")
    dials = [e for e in probe.events if e["type"] == "Dial"]
    assert all(e["caller"]["id"] == caller for e in dials), "Dial names the caller given to /dial"
    assert await probe.call("POST", f"/channels/{leg['id']}/dial") == (
        409,
        {"message": "Channel is not in the 'Down' state"},
    )
    for cid in (leg["id"], caller):
        await probe.call("DELETE", f"/channels/{cid}")


async def test_misc_resources(sim: PbxSimulator, probe: AriProbe) -> None:
    status, info = await probe.call("GET", "/asterisk/info")
    assert status == 200 and info["system"] == {"entity_id": "02:fc:00:00:00:01", "version": "22.10.1"}
    assert list((await probe.call("GET", "/asterisk/info", {"only": "system"}))[1]) == ["system"]
    assert (await probe.call("GET", "/asterisk/ping"))[1]["ping"] == "pong"
    assert [e["resource"] for e in (await probe.call("GET", "/endpoints/PJSIP"))[1]][:2] == [
        "trunk",
        "agent1",
    ]
    assert await probe.call("GET", "/endpoints/PJSIP/ghost") == (404, {"message": "Endpoint not found"})
    # A device name holds a slash: it must be percent-encoded, as with Asterisk.
    assert (await probe.call("GET", "/deviceStates/PJSIP%2Fagent1"))[1]["state"] == "NOT_INUSE"
    assert await probe.call("GET", "/deviceStates/PJSIP/agent1") == (404, {"message": "Resource not found"})
    assert await probe.call("PUT", "/deviceStates/PJSIP%2Fagent1", {"deviceState": "BUSY"}) == (
        409,
        {"message": "Uncontrolled device specified"},
    )
    assert (await probe.call("PUT", "/deviceStates/Stasis:queue", {"deviceState": "INUSE"}))[0] == 204
    assert await probe.call("GET", "/deviceStates") == (200, [{"name": "Stasis:queue", "state": "INUSE"}])
    assert (await probe.call("GET", "/applications"))[1][0]["name"] == "acd"
    assert await probe.call("GET", "/applications/nope") == (404, {"message": "Application not found"})
    assert await probe.call(
        "POST", "/applications/acd/subscription", {"eventSource": "endpoint:PJSIP/x"}
    ) == (
        422,
        {"message": "Event source does not exist"},
    )
    assert await probe.call("POST", "/applications/acd/subscription", {"eventSource": "nope:1"}) == (
        400,
        {"message": "Invalid event source URI scheme"},
    )
    assert await probe.call(
        "DELETE", "/applications/acd/subscription", {"eventSource": "endpoint:PJSIP/agent1"}
    ) == (
        422,
        {"message": "Event source was not subscribed to"},
    )


def _sorted_everywhere(value: Any) -> bool:
    if isinstance(value, dict):
        return list(value) == sorted(value) and all(_sorted_everywhere(v) for v in value.values())
    if isinstance(value, list):
        return all(_sorted_everywhere(v) for v in value)
    return True


async def test_objects_keep_the_recorded_key_order(sim: PbxSimulator, probe: AriProbe) -> None:
    caller, holding = await queue_caller(sim, probe)
    _, agent = await originate_agent(probe, caller)
    mixing = await connect_call(probe, caller, holding, str(agent["id"]))
    await asyncio.sleep(0.05)
    assert probe.events and all(_sorted_everywhere(e) for e in probe.events)
    for path in ("/channels", "/bridges", "/endpoints", "/asterisk/info", "/applications/acd"):
        assert _sorted_everywhere((await probe.call("GET", path))[1]), path
    for cid in (caller, agent["id"]):
        await probe.call("DELETE", f"/channels/{cid}")
    for bridge in (mixing, holding):
        await probe.call("DELETE", f"/bridges/{bridge}")

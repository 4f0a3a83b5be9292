"""One test per fidelity rule of shared/ari-traces/README.md (rules 1-9)."""

from __future__ import annotations

import asyncio

import aiohttp

from acd.sim import PbxSimulator, PhoneBehaviour
from tests.sim.flows import connect_call, originate_agent, queue_caller
from tests.sim.probe import AriProbe


async def test_rule1_originate_to_endpoint_without_contact_fails_with_500(
    sim: PbxSimulator, probe: AriProbe
) -> None:
    sim.add_endpoint("PJSIP/agent4", registered=False)
    caller, _ = await queue_caller(sim, probe)
    before = len(sim.channels)
    status, body = await originate_agent(probe, caller, "PJSIP/agent4")
    assert (status, body) == (500, {"error": "Allocation failed"})
    status, body = await originate_agent(probe, caller, "PJSIP/nobody")
    assert (status, body) == (500, {"error": "Allocation failed"})
    assert len(sim.channels) == before, "no channel is created for a failed originate"


async def test_rule2_agent_leg_rings_before_stasis_and_ends_with_a_reason(
    sim: PbxSimulator, probe: AriProbe
) -> None:
    sim.set_behaviour("PJSIP/agent2", PhoneBehaviour.busy(0.5))
    sim.set_behaviour("PJSIP/agent3", PhoneBehaviour.never())
    caller, holding = await queue_caller(sim, probe)
    _, answered = await originate_agent(probe, caller, "PJSIP/agent1")
    _, busy = await originate_agent(probe, caller, "PJSIP/agent2")
    _, silent = await originate_agent(probe, caller, "PJSIP/agent3", ring_timeout="4")
    start = await probe.wait_event("StasisStart", lambda e: e["channel"]["id"] == answered["id"])
    assert start["args"] == ["agent", caller]
    assert probe.of(str(answered["id"]))[-3:] == ["Dial", "ChannelVarset", "StasisStart"]
    statuses = [
        e["dialstatus"] for e in probe.events if e["type"] == "Dial" and e["peer"]["id"] == answered["id"]
    ]
    assert statuses == ["", "RINGING", "ANSWER"]

    busy_end = await probe.wait_event("ChannelDestroyed", lambda e: e["channel"]["id"] == busy["id"])
    assert (busy_end["cause"], busy_end["cause_txt"], busy_end["tech_cause"]) == (17, "User busy", 486)
    assert "BUSY" in [
        e["dialstatus"] for e in probe.events if e["type"] == "Dial" and e["peer"]["id"] == busy["id"]
    ]
    timeout_end = await probe.wait_event("ChannelDestroyed", lambda e: e["channel"]["id"] == silent["id"])
    assert (timeout_end["cause"], timeout_end["cause_txt"]) == (19, "User alerting, no answer")
    assert "StasisStart" not in probe.of(str(busy["id"])) + probe.of(str(silent["id"]))
    await connect_call(probe, caller, holding, str(answered["id"]))


async def test_rule3_stasis_end_is_the_end_unless_subscribed_otherwise(
    sim: PbxSimulator, probe: AriProbe
) -> None:
    caller, holding = await queue_caller(sim, probe)
    _, agent = await originate_agent(probe, caller)
    mixing = await connect_call(probe, caller, holding, str(agent["id"]))
    await sim.hangup(caller)
    await probe.wait_event("StasisEnd", lambda e: e["channel"]["id"] == caller)
    await probe.call("DELETE", f"/channels/{agent['id']}")
    await probe.wait_event("ChannelDestroyed", lambda e: e["channel"]["id"] == agent["id"])
    await asyncio.sleep(0.05)
    assert "ChannelDestroyed" not in probe.of(caller), "an inbound caller is not subscribed after StasisEnd"
    for bridge in (mixing, holding):
        await probe.call("DELETE", f"/bridges/{bridge}")

    other, holding2 = await queue_caller(sim, probe, number="+15550002")
    status, app = await probe.call(
        "POST", "/applications/acd/subscription", {"eventSource": f"channel:{other}"}
    )
    assert status == 200 and other in app["channel_ids"]
    await sim.hangup(other)
    destroyed = await probe.wait_event("ChannelDestroyed", lambda e: e["channel"]["id"] == other)
    assert destroyed["cause_txt"] == "Normal Clearing"
    await probe.call("DELETE", f"/bridges/{holding2}")


async def test_rule4_rest_answer_is_written_before_the_events_it_causes(
    sim: PbxSimulator, probe: AriProbe
) -> None:
    caller = await sim.place_call()
    await probe.wait_event("StasisStart")
    status, _ = await probe.call("POST", f"/channels/{caller}/answer")
    assert status == 204
    await probe.wait_event("ChannelStateChange", lambda e: e["channel"]["id"] == caller)
    answered_at = next(x.t for x in sim.rest_log if x.path.endswith("/answer"))
    state_at = next(e.t for e in sim.event_log if e.type == "ChannelStateChange")
    assert answered_at < state_at
    status, leg = await originate_agent(probe, caller)
    assert status == 200 and leg["state"] == "Down", "the answer describes the leg before it rang"
    originated_at = next(x.t for x in sim.rest_log if x.path == "/channels")
    first_dial = next(e.t for e in sim.event_log if e.type == "Dial")
    assert originated_at < first_dial
    await probe.call("DELETE", f"/channels/{leg['id']}")
    await probe.call("DELETE", f"/channels/{caller}")


async def test_rule5_unhold_is_delete_and_unknown_paths_and_gone_channels_are_404(
    sim: PbxSimulator, probe: AriProbe
) -> None:
    caller, holding = await queue_caller(sim, probe)
    assert (await probe.call("POST", f"/channels/{caller}/hold"))[0] == 204
    assert (await probe.call("DELETE", f"/channels/{caller}/hold"))[0] == 204
    assert await probe.call("POST", f"/channels/{caller}/unhold") == (404, {"message": "Resource not found"})
    assert await probe.call("GET", "/no/such/thing") == (404, {"message": "Resource not found"})
    await sim.hangup(caller)
    await probe.wait_event("StasisEnd")
    assert await probe.call("DELETE", f"/channels/{caller}") == (404, {"message": "Channel not found"})
    assert await probe.call("POST", f"/channels/{caller}/answer") == (404, {"message": "Channel not found"})
    await probe.call("DELETE", f"/bridges/{holding}")


async def test_rule6_every_hangup_of_a_channel_with_media_sets_rtp_qos(
    sim: PbxSimulator, probe: AriProbe
) -> None:
    caller, holding = await queue_caller(sim, probe)
    _, agent = await originate_agent(probe, caller)
    mixing = await connect_call(probe, caller, holding, str(agent["id"]))
    await probe.wait_event("ChannelConnectedLine", lambda e: e["channel"]["id"] == caller)
    await sim.hangup(str(agent["id"]))
    await probe.wait_event("StasisEnd", lambda e: e["channel"]["id"] == agent["id"])
    names = [
        (e["channel"]["id"], e["variable"])
        for e in probe.events
        if e["type"] == "ChannelVarset" and e["variable"].startswith("RTPAUDIOQOS")
    ]
    assert (agent["id"], "RTPAUDIOQOSMES") in names
    assert (caller, "RTPAUDIOQOSMESBRIDGED") in names, "the bridge peer gets the *BRIDGED copies"
    await probe.call("DELETE", f"/channels/{caller}")
    await probe.wait_event("StasisEnd", lambda e: e["channel"]["id"] == caller)
    assert (caller, "RTPAUDIOQOS") in [
        (e["channel"]["id"], e["variable"]) for e in probe.events if e["type"] == "ChannelVarset"
    ]
    for bridge in (mixing, holding):
        await probe.call("DELETE", f"/bridges/{bridge}")


async def test_rule7_presence_comes_from_contact_status_after_subscribing(
    sim: PbxSimulator, probe: AriProbe
) -> None:
    sim.add_endpoint("PJSIP/agent4", registered=False, qualify=False)
    sim.set_registered("PJSIP/agent4", True)
    sim.set_registered("PJSIP/agent4", False)
    await asyncio.sleep(0.02)
    assert "ContactStatusChange" not in probe.types(), "nothing before the app subscribes"
    status, app = await probe.call(
        "POST", "/applications/acd/subscription", {"eventSource": "endpoint:PJSIP/agent4"}
    )
    assert status == 200 and app["endpoint_ids"] == ["PJSIP/agent4"]
    sim.set_registered("PJSIP/agent4", True)
    await probe.wait_event("ContactStatusChange")
    assert (await probe.call("GET", "/endpoints/PJSIP/agent4"))[1]["state"] == "offline"
    sim.set_registered("PJSIP/agent4", False)
    await probe.wait_event("ContactStatusChange", lambda e: e["contact_info"]["contact_status"] == "Removed")
    statuses = [
        e["contact_info"]["contact_status"] for e in probe.events if e["type"] == "ContactStatusChange"
    ]
    assert statuses == ["NonQualified", "Unreachable", "Removed"]
    assert "EndpointStateChange" not in probe.types(), "an unqualified contact never changes the state"

    sim.add_endpoint("PJSIP/agent5", registered=False, qualify=True)
    await probe.call("POST", "/applications/acd/subscription", {"eventSource": "endpoint:PJSIP/agent5"})
    sim.set_registered("PJSIP/agent5", True)
    change = await probe.wait_event("EndpointStateChange", lambda e: e["endpoint"]["resource"] == "agent5")
    assert change["endpoint"]["state"] == "online"
    assert (await probe.call("GET", "/endpoints/PJSIP/agent5"))[1]["state"] == "online"


async def test_rule8_callers_stay_while_the_app_is_away_and_new_calls_fail(
    sim: PbxSimulator, probe: AriProbe
) -> None:
    caller, holding = await queue_caller(sim, probe)
    await probe.disconnect()
    await asyncio.sleep(0.02)
    status, app = await probe.call("GET", "/applications/acd")
    assert status == 200 and app["channel_ids"] == [caller] and app["bridge_ids"] == [holding]
    failed = await sim.place_call(number="+15550009")
    assert failed not in sim.channels, "Stasis() fails without a WebSocket and the dialplan hangs up"
    assert sim.stats.failed == 1
    sim.send_dtmf(caller, "5")  # happens while away: never replayed
    await asyncio.sleep(0.02)
    seen = len(probe.events)
    await probe.connect()
    _, bridges = await probe.call("GET", "/bridges")
    assert bridges[0]["channels"][:1] == [caller] and caller in sim.channels
    await sim.hangup(caller)
    await probe.wait_event("StasisEnd", lambda e: e["channel"]["id"] == caller)
    assert "ChannelDtmfReceived" not in [e["type"] for e in probe.events[seen:]]
    await probe.call("DELETE", f"/bridges/{holding}")


async def test_rule9_restart_hangs_up_everything_then_comes_back_empty(
    sim: PbxSimulator, probe: AriProbe
) -> None:
    caller, holding = await queue_caller(sim, probe)
    _, agent = await originate_agent(probe, caller)
    mixing = await connect_call(probe, caller, holding, str(agent["id"]))
    restart = sim.spawn(sim.restart_asterisk(down_for=10.0))
    code = await probe.wait_closed()
    assert code == 1006
    requests = [e for e in probe.events if e["type"] == "ChannelHangupRequest"]
    assert {(e["cause"], e["soft"]) for e in requests} == {(4, True)} and len(requests) == 2
    assert {e["channel"]["id"] for e in probe.events if e["type"] == "StasisEnd"} == {caller, agent["id"]}
    assert [e["bridge"]["id"] for e in probe.events if e["type"] == "BridgeDestroyed"] == [mixing]
    try:
        async with aiohttp.ClientSession() as session:
            await session.get(f"{sim.base_url}/ari/asterisk/info")
        raise AssertionError("connections must be refused while Asterisk is down")
    except aiohttp.ClientConnectionError:
        pass
    await restart
    await probe.connect()
    assert await probe.call("GET", "/channels") == (200, [])
    assert await probe.call("GET", "/bridges") == (200, [])
    assert sim.leaks() == []

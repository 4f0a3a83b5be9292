"""The in-process control surface: phones, callers, faults and what a test can look at."""

from __future__ import annotations

import asyncio
from functools import partial

import pytest

from acd.sim import PbxSimulator, PhoneBehaviour
from tests.sim.flows import connect_call, originate_agent, queue_caller
from tests.sim.probe import AriProbe, Event


async def test_registration_changes_show_in_endpoints(sim: PbxSimulator, probe: AriProbe) -> None:
    async def state(name: str) -> str:
        return str((await probe.call("GET", f"/endpoints/PJSIP/{name}"))[1]["state"])

    assert await state("agent1") == "online"
    sim.set_registered("PJSIP/agent1", False)
    assert await state("agent1") == "offline"
    caller = await sim.place_call()
    await probe.wait_event("StasisStart")
    assert (await originate_agent(probe, caller))[0] == 500
    sim.set_registered("PJSIP/agent1", True)
    assert await state("agent1") == "online"
    assert (await originate_agent(probe, caller))[0] == 200
    with pytest.raises(KeyError):
        sim.set_registered("PJSIP/ghost", True)


async def test_manual_phone_rings_until_answered_or_rejected(sim: PbxSimulator, probe: AriProbe) -> None:
    sim.set_behaviour("PJSIP/agent1", PhoneBehaviour.manual())
    caller, holding = await queue_caller(sim, probe)
    _, first = await originate_agent(probe, caller)
    await probe.wait_event("Dial", lambda e: e["dialstatus"] == "RINGING")
    await asyncio.sleep(0.1)
    assert [c.id for c in sim.ringing_legs("PJSIP/agent1")] == [first["id"]]
    assert await sim.reject(str(first["id"]), cause=21)
    end = await probe.wait_event("ChannelDestroyed", lambda e: e["channel"]["id"] == first["id"])
    assert (end["cause"], end["cause_txt"], end["tech_cause"]) == (21, "Call Rejected", 603)
    assert not await sim.answer(str(first["id"])), "a rejected leg cannot be answered"

    _, second = await originate_agent(probe, caller)
    await sim.wait_for(lambda: bool(sim.ringing_legs("PJSIP/agent1")))
    assert await sim.answer(str(second["id"]))
    mixing = await connect_call(probe, caller, holding, str(second["id"]))
    assert sim.channels[caller].bridge is sim.bridges[mixing]
    await probe.call("DELETE", f"/channels/{caller}")
    await probe.call("DELETE", f"/channels/{second['id']}")


async def test_caller_scripts_patience_talk_time_and_dtmf(sim: PbxSimulator, probe: AriProbe) -> None:
    impatient, holding = await queue_caller(sim, probe, patience=2.0, number="+15550001")
    await probe.wait_event("StasisEnd", lambda e: e["channel"]["id"] == impatient)
    assert sim.stats.abandoned == 1

    caller = await sim.place_call(number="+15550002", talk_time=3.0, dtmf=[(0.5, "12"), (1.0, "#")])
    await probe.wait_event("StasisStart", lambda e: e["channel"]["id"] == caller)
    await asyncio.sleep(0.05)
    assert "ChannelDtmfReceived" not in probe.types(), "keys come after the app answers"
    await probe.call("POST", f"/channels/{caller}/answer")
    await probe.call("POST", f"/bridges/{holding}/addChannel", {"channel": caller})
    await probe.wait_event("ChannelDtmfReceived", lambda e: e["digit"] == "#")
    digits = [e["digit"] for e in probe.events if e["type"] == "ChannelDtmfReceived"]
    assert digits == ["1", "2", "#"]
    _, agent = await originate_agent(probe, caller)
    mixing = await connect_call(probe, caller, holding, str(agent["id"]))
    await probe.wait_event("StasisEnd", lambda e: e["channel"]["id"] == caller)
    assert (sim.stats.answered, sim.stats.completed) == (1, 1)
    await probe.call("DELETE", f"/channels/{agent['id']}")
    for bridge in (mixing, holding):
        await probe.call("DELETE", f"/bridges/{bridge}")
    assert sim.leaks() == []


async def test_agent_hangs_up_after_its_talk_time(sim: PbxSimulator, probe: AriProbe) -> None:
    sim.set_behaviour("PJSIP/agent2", PhoneBehaviour.answer(0.5, talk_time=2.0))
    caller, holding = await queue_caller(sim, probe)
    _, agent = await originate_agent(probe, caller, "PJSIP/agent2")
    mixing = await connect_call(probe, caller, holding, str(agent["id"]))
    request = await probe.wait_event("ChannelHangupRequest", lambda e: e["channel"]["id"] == agent["id"])
    assert request["cause"] == 16 and "soft" not in request, "a phone's BYE is not a soft hang-up"
    await probe.wait_event("ChannelDestroyed", lambda e: e["channel"]["id"] == agent["id"])
    await probe.call("DELETE", f"/channels/{caller}")
    for bridge in (mixing, holding):
        await probe.call("DELETE", f"/bridges/{bridge}")


async def test_phone_dtmf_and_hold_reach_the_app_only_in_stasis(sim: PbxSimulator, probe: AriProbe) -> None:
    caller, holding = await queue_caller(sim, probe)
    _, agent = await originate_agent(probe, caller)
    mixing = await connect_call(probe, caller, holding, str(agent["id"]))
    sim.send_dtmf(str(agent["id"]), "9")
    sim.phone_hold(str(agent["id"]), True)
    sim.phone_hold(str(agent["id"]), False)
    await probe.wait_event("ChannelUnhold")
    assert [
        t for t in probe.of(str(agent["id"])) if t in ("ChannelDtmfReceived", "ChannelHold", "ChannelUnhold")
    ] == [
        "ChannelDtmfReceived",
        "ChannelHold",
        "ChannelUnhold",
    ]
    await probe.call("DELETE", f"/channels/{caller}")
    await probe.call("DELETE", f"/channels/{agent['id']}")
    for bridge in (mixing, holding):
        await probe.call("DELETE", f"/bridges/{bridge}")


async def test_agent_dials_out_and_local_far_end_answers(sim: PbxSimulator, probe: AriProbe) -> None:
    out = sim.phone_dial("PJSIP/agent3", "5551234")
    start = await probe.wait_event("StasisStart", lambda e: e["channel"]["id"] == out)
    assert start["args"] == ["outbound", "5551234"] and start["channel"]["name"].startswith("PJSIP/agent3-")
    await probe.call("POST", f"/channels/{out}/answer")
    status, local = await probe.call(
        "POST",
        "/channels",
        {"endpoint": "Local/5551234@acd-outbound", "app": "acd", "appArgs": f"dialed,{out}"},
    )
    assert status == 200 and local["name"].endswith(";1")
    far = await probe.wait_event("StasisStart", lambda e: e["channel"]["id"] == local["id"])
    assert far["args"] == ["dialed", out]
    _, bridge = await probe.call("POST", "/bridges", {"type": "mixing"})
    await probe.call("POST", f"/bridges/{bridge['id']}/addChannel", {"channel": f"{out},{local['id']}"})
    await probe.call("DELETE", f"/channels/{out}")
    await probe.wait_event("StasisEnd", lambda e: e["channel"]["id"] == out)
    await probe.call("DELETE", f"/channels/{local['id']}")
    await probe.call("DELETE", f"/bridges/{bridge['id']}")
    await sim.wait_for(lambda: sim.leaks() == [])


async def test_drop_websocket_codes_and_replacement(sim: PbxSimulator, probe: AriProbe) -> None:
    assert await sim.drop_websocket(code=1011) == 1
    assert await probe.wait_closed() == 1011
    await probe.connect()
    assert await sim.drop_websocket() == 1
    assert await probe.wait_closed() == 1006
    await probe.connect()
    async with AriProbe(sim.base_url) as second:
        await second.connect()
        await probe.wait_event("ApplicationReplaced")
        assert await probe.wait_closed() is not None
        await sim.place_call()
        await second.wait_event("StasisStart")
        assert "StasisStart" not in probe.types()


async def test_subscribe_all_and_endpoint_events(sim: PbxSimulator) -> None:
    async with AriProbe(sim.base_url, app="watcher") as watcher, AriProbe(sim.base_url) as app:
        await watcher.connect(subscribe_all=True)
        await app.connect()
        await app.call("POST", "/applications/acd/subscription", {"eventSource": "endpoint:PJSIP/agent1"})
        await app.call("POST", "/applications/acd/subscription", {"eventSource": "deviceState:PJSIP/agent1"})
        caller = await sim.place_call()
        await app.wait_event("StasisStart")
        _, leg = await originate_agent(app, caller)
        change = await app.wait_event(
            "EndpointStateChange", lambda e: e["endpoint"]["channel_ids"] == [leg["id"]]
        )
        assert change["endpoint"]["state"] == "online", "channel_ids changes are EndpointStateChange too"
        await app.wait_event("DeviceStateChanged", lambda e: e["device_state"]["state"] == "INUSE")
        await watcher.wait_event("ChannelCreated", lambda e: e["channel"]["id"] == leg["id"])
        assert "ChannelCreated" not in app.types()
        await app.call("DELETE", f"/channels/{leg['id']}")
        await app.call("DELETE", f"/channels/{caller}")
        await app.wait_event("EndpointStateChange", lambda e: e["endpoint"]["channel_ids"] == [])


async def test_leaks_lists_what_is_still_alive(sim: PbxSimulator, probe: AriProbe) -> None:
    caller, holding = await queue_caller(sim, probe)
    assert len(sim.leaks()) == 2
    await probe.call("DELETE", f"/channels/{caller}")
    await probe.call("DELETE", f"/bridges/{holding}")
    assert sim.leaks() == []
    with pytest.raises(TimeoutError):
        await sim.wait_for(lambda: False, timeout=0.05)


async def test_every_recorded_ringing_interleaving_is_produced() -> None:
    seen: set[tuple[str, ...]] = set()
    sim = PbxSimulator(seed=3, time_scale=0.01)
    sim.add_agents(1, PhoneBehaviour.never())
    await sim.start()
    try:
        async with AriProbe(sim.base_url) as probe:
            await probe.connect()
            for _ in range(12):
                mark = len(probe.events)
                _, leg = await probe.call("POST", "/channels", {"endpoint": "PJSIP/agent1", "app": "acd"})
                await probe.wait_count(mark + 3)
                seen.add(
                    tuple(f"{e['type']}:{e.get('dialstatus', '')}" for e in probe.events[mark : mark + 3])
                )
                await probe.call("DELETE", f"/channels/{leg['id']}")
                await probe.wait_event("ChannelDestroyed", partial(_channel_is, leg["id"]))
    finally:
        await sim.stop()
    assert seen == {
        ("Dial:", "ChannelStateChange:", "Dial:RINGING"),
        ("Dial:", "Dial:RINGING", "ChannelStateChange:"),
        ("ChannelStateChange:", "Dial:", "Dial:RINGING"),
    }


def _channel_is(channel_id: str, event: Event) -> bool:
    return bool(event["channel"]["id"] == channel_id)

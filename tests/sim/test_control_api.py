"""``/_sim/``: what ``acd sim`` and the demo page use to play the phones and the callers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from acd.sim import PbxSimulator, PhoneBehaviour
from tests.sim.flows import originate_agent
from tests.sim.probe import AriProbe


class Control:
    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self.session = session
        self.base = f"{base_url}/_sim"

    async def __call__(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        async with self.session.request(method, self.base + path, json=body) as resp:
            return resp.status, await resp.json()


@pytest.fixture
async def control(sim: PbxSimulator) -> AsyncIterator[Control]:
    async with aiohttp.ClientSession(
        headers={"Authorization": aiohttp.encode_basic_auth("acd", "acd")}
    ) as session:
        yield Control(session, sim.base_url)


async def test_control_needs_credentials_unless_open(sim: PbxSimulator) -> None:
    async with aiohttp.ClientSession() as session, session.get(f"{sim.base_url}/_sim/status") as resp:
        assert resp.status == 401
    open_sim = PbxSimulator(open_control=True, time_scale=0.02)
    await open_sim.start()
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{open_sim.base_url}/_sim/status") as resp:
                assert resp.status == 200 and resp.headers["Access-Control-Allow-Origin"] == "*"
            async with session.options(f"{open_sim.base_url}/_sim/calls") as resp:
                assert resp.status == 204
    finally:
        await open_sim.stop()


async def test_manual_phone_driven_over_http(sim: PbxSimulator, probe: AriProbe, control: Control) -> None:
    status, endpoint = await control("PUT", "/endpoints/PJSIP/agent9", {"behaviour": {"action": "manual"}})
    assert status == 200 and endpoint["state"] == "online" and endpoint["behaviour"]["action"] == "manual"
    status, placed = await control("POST", "/calls", {"queue": "sales", "number": "+15551111", "name": "Bob"})
    assert status == 201
    caller = placed["channel_id"]
    start = await probe.wait_event("StasisStart")
    assert start["args"] == ["inbound", "sales"] and start["channel"]["caller"]["name"] == "Bob"
    await probe.call("POST", f"/channels/{caller}/answer")
    _, leg = await originate_agent(probe, caller, "PJSIP/agent9")
    await sim.wait_for(lambda: bool(sim.ringing_legs("PJSIP/agent9")))
    status, ringing = await control("GET", "/endpoints/PJSIP/agent9/ringing")
    assert status == 200 and [r["channel_id"] for r in ringing] == [leg["id"]]
    assert ringing[0]["caller"] == {"name": "Support", "number": "100"}
    assert (await control("POST", f"/channels/{leg['id']}/answer"))[0] == 200
    await probe.wait_event("StasisStart", lambda e: e["channel"]["id"] == leg["id"])
    assert (await control("POST", f"/channels/{leg['id']}/answer"))[0] == 409
    assert (await control("POST", f"/channels/{caller}/dtmf", {"digits": "4"}))[0] == 200
    await probe.wait_event("ChannelDtmfReceived")
    assert (await control("POST", f"/channels/{caller}/dtmf", {"digits": "x"}))[0] == 400
    assert (await control("POST", f"/channels/{leg['id']}/hold", {"on": True}))[0] == 200
    await probe.wait_event("ChannelHold")
    assert (await control("POST", f"/channels/{caller}/hangup", {}))[0] == 200
    await probe.wait_event("StasisEnd", lambda e: e["channel"]["id"] == caller)
    await probe.call("DELETE", f"/channels/{leg['id']}")
    assert await control("GET", "/leaks") == (200, {"leaks": []})
    assert (await control("POST", "/channels/nope/answer"))[0] == 404


async def test_reject_register_and_dial_out_over_http(
    sim: PbxSimulator, probe: AriProbe, control: Control
) -> None:
    sim.set_behaviour("PJSIP/agent2", PhoneBehaviour.manual())
    caller = await sim.place_call()
    await probe.wait_event("StasisStart")
    _, leg = await originate_agent(probe, caller, "PJSIP/agent2")
    await sim.wait_for(lambda: bool(sim.ringing_legs("PJSIP/agent2")))
    assert (await control("POST", f"/channels/{leg['id']}/reject", {"cause": 17}))[0] == 200
    end = await probe.wait_event("ChannelDestroyed", lambda e: e["channel"]["id"] == leg["id"])
    assert end["cause_txt"] == "User busy"
    _, unregistered = await control("POST", "/endpoints/PJSIP/agent2", {"registered": False})
    assert unregistered["registered"] is False and unregistered["device_state"] == "UNAVAILABLE"
    assert (await originate_agent(probe, caller, "PJSIP/agent2"))[0] == 500
    status, out = await control("POST", "/endpoints/PJSIP/agent3/dial", {"number": "5550100"})
    assert status == 201
    start = await probe.wait_event("StasisStart", lambda e: e["channel"]["id"] == out["channel_id"])
    assert start["args"] == ["outbound", "5550100"]
    status, endpoints = await control("GET", "/endpoints")
    assert status == 200 and {e["name"] for e in endpoints} >= {"PJSIP/trunk", "PJSIP/agent3"}
    for cid in (caller, out["channel_id"]):
        await probe.call("DELETE", f"/channels/{cid}")


async def test_traffic_websocket_drop_restart_and_status(
    sim: PbxSimulator, probe: AriProbe, control: Control
) -> None:
    profile = {
        "rate": 1.0,  # per simulated second: 50 real calls a second here
        "queues": {"support": 1},
        "patience": 1.0,
        "talk_time": None,
        "max_calls": 5,
        "seed": 4,
    }
    status, started = await control("POST", "/traffic/start", profile)
    assert status == 200 and started["running"]
    assert (await control("POST", "/traffic/start", profile))[0] == 409
    await sim.wait_for(lambda: sim.stats.abandoned == 5, timeout=5)
    assert (await control("GET", "/traffic"))[1]["generated"] == 5
    assert (await control("POST", "/traffic/stop"))[1]["running"] is False
    status, state = await control("GET", "/status")
    assert status == 200 and state["connected"] and state["stats"]["placed"] == 5
    assert await control("POST", "/websocket/drop", {"code": 1006}) == (200, {"closed": 1})
    assert await probe.wait_closed() == 1006
    await probe.connect()
    assert await control("POST", "/restart", {"down_for": 0.1}) == (202, {"restarting": True})
    assert await probe.wait_closed() == 1006
    await sim.wait_for(lambda: not sim.down, timeout=3)
    await probe.connect(retry_for=2)
    assert (await control("GET", "/status"))[1]["connected"]

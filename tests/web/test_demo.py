"""The demo softphone endpoints, over the simulator's phones."""

from __future__ import annotations

from acd.sim import PbxSimulator
from acd.sim.demo_phone import SimDemoPhone as SimulatorPhone
from acd.state.agent import AgentState
from acd.state.call import CallState
from tests.integration.conftest import eventually

from .conftest import DaemonStackFactory, Stack


async def test_demo_phone_shows_own_ringing_legs_and_answers_them(
    sim: PbxSimulator, make_daemon_stack: DaemonStackFactory
) -> None:
    stack, _ = await make_daemon_stack(demo_phone=SimulatorPhone(sim))
    agent1 = await stack.logged_in("agent1")
    agent2 = await stack.logged_in("agent2")
    await agent1.post("/api/me/login")
    await agent1.post("/api/me/ready")
    assert (await agent1.get("/api/demo/phone")).body == {"ringing": [], "active": []}

    caller = await sim.place_call("support", "+15550007", "Ada Caller")
    await eventually(lambda: bool(sim.ringing_legs("PJSIP/agent1")), what="agent1's phone to ring")
    phone = (await agent1.get("/api/demo/phone")).body
    [leg] = phone["ringing"]
    assert (leg["caller_number"], leg["caller_name"]) == ("+15550007", "Ada Caller")
    assert (await agent2.get("/api/demo/phone")).body["ringing"] == []

    # Someone else's leg, or one that does not exist: 403 alike.
    refused = await agent2.post("/api/demo/phone/answer", {"leg_id": leg["leg_id"]})
    assert refused.status == 403 and refused.body["error"]["code"] == "forbidden"
    assert (await agent2.post("/api/demo/phone/reject", {"leg_id": "made-up"})).status == 403
    assert (await agent1.post("/api/demo/phone/answer", {})).status == 400

    assert (await agent1.post("/api/demo/phone/answer", {"leg_id": leg["leg_id"]})).status == 200
    call = stack.engine.calls
    await eventually(lambda: caller in call and call[caller].state is CallState.CONNECTED, what="connected")
    active = (await agent1.get("/api/demo/phone")).body["active"]
    assert [a["channel_id"] for a in active] == [leg["leg_id"]]

    assert (await agent2.post("/api/demo/phone/hangup", {"channel_id": leg["leg_id"]})).status == 403
    assert (await agent1.post("/api/demo/phone/hangup", {"channel_id": leg["leg_id"]})).status == 200
    await eventually(lambda: stack.engine.agents["agent1"].state is AgentState.WRAP_UP, what="wrap-up")


async def test_demo_phone_rejects_and_dials(sim: PbxSimulator, make_daemon_stack: DaemonStackFactory) -> None:
    stack, _ = await make_daemon_stack(demo_phone=SimulatorPhone(sim))
    agent1 = await stack.logged_in("agent1")
    await agent1.post("/api/me/login")
    await agent1.post("/api/me/ready")
    await sim.place_call("support", "+15550008", "Bo")
    await eventually(lambda: bool(sim.ringing_legs("PJSIP/agent1")), what="agent1's phone to ring")
    [leg] = (await agent1.get("/api/demo/phone")).body["ringing"]
    answer = await agent1.post("/api/demo/phone/reject", {"leg_id": leg["leg_id"], "cause": 21})
    assert answer.status == 200
    assert (await agent1.post("/api/demo/phone/reject", {"leg_id": leg["leg_id"], "cause": 3})).status == 400

    dialled = await agent1.post("/api/demo/phone/dial", {"number": "5551234"})
    assert dialled.status == 200 and dialled.body["channel_id"]
    assert (await agent1.post("/api/demo/phone/dial", {"number": "55; rm"})).status == 400


async def test_without_a_demo_phone_the_demo_endpoints_are_404(stack: Stack) -> None:
    browser = await stack.logged_in("agent1")
    assert (await browser.get("/api/demo/phone")).status == 404
    assert (await browser.post("/api/demo/phone/answer", {"leg_id": "x"})).status == 404

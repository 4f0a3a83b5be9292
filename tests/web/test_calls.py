"""A call through the simulated Asterisk, controlled from the agent page's API."""

from __future__ import annotations

from acd.sim import PbxSimulator
from acd.state.agent import AgentState
from tests.integration.conftest import eventually

from .conftest import DaemonStackFactory

HOSTILE_NAME = "<img src=x onerror=alert(1)>"


async def test_a_call_from_offer_to_wrap_up_through_the_api(
    sim: PbxSimulator, make_daemon_stack: DaemonStackFactory
) -> None:
    stack, _ = await make_daemon_stack()
    agent1 = await stack.logged_in("agent1")
    agent2 = await stack.logged_in("agent2")
    for path in ("/api/me/login", "/api/me/ready"):
        assert (await agent1.post(path)).status == 200
    stream = await agent1.events()
    assert (await stream.next()).kind == "hello"

    await sim.place_call("support", "+15550001", HOSTILE_NAME)
    offered = await stream.until("call.offered")
    assert offered.data["caller_name"] == HOSTILE_NAME  # data, passed on untouched
    assert HOSTILE_NAME in offered.raw
    assert offered.data["caller_number"] == "+15550001"
    assert offered.data["queue"] == "support"
    assert offered.data["ring_timeout"] == 10
    assert offered.data["waited"] >= 0
    call_id, leg_id = offered.data["call_id"], offered.data["leg_id"]

    assert await sim.answer(leg_id)
    connected = await stream.until("call.state")
    assert (connected.data["call_id"], connected.data["state"]) == (call_id, "connected")
    me = await agent1.get("/api/me")
    assert me.body["call"]["call_id"] == call_id
    assert me.body["agent"]["state"] == "on-call"

    held = await agent1.post(f"/api/calls/{call_id}/hold")
    assert held.status == 200
    assert (held.body["state"], held.body["held"]) == ("held", True)
    assert stack.engine.agents["agent1"].state is AgentState.ON_HOLD
    # Another agent cannot touch it; an unknown call is 404.
    refused = await agent2.post(f"/api/calls/{call_id}/unhold")
    assert refused.status == 403 and refused.body["error"]["code"] == "forbidden"
    assert (await agent2.post(f"/api/calls/{call_id}/hangup")).status == 403
    assert (await agent1.post("/api/calls/no-such-call/hold")).status == 404

    unheld = await agent1.post(f"/api/calls/{call_id}/unhold")
    assert (unheld.status, unheld.body["held"], unheld.body["state"]) == (200, False, "connected")
    assert unheld.body["hold_seconds"] > 0

    transfer = await agent1.post(f"/api/calls/{call_id}/transfer", {"kind": "queue", "target": "nowhere"})
    assert transfer.status == 404
    hangup = await agent1.post(f"/api/calls/{call_id}/hangup")
    assert (hangup.status, hangup.body) == (200, {})
    ended = await stream.until("call.ended")
    assert ended.data == {"call_id": call_id, "reason": "completed-by-agent"}
    await eventually(lambda: stack.engine.agents["agent1"].state is AgentState.WRAP_UP, what="wrap-up")
    assert await eventually_gone(sim, call_id)

    done = await agent1.post("/api/me/wrapup/end", {"disposition": "sale"})
    assert done.status == 200 and done.body["state"] == "ready"
    stream.close()


async def eventually_gone(sim: PbxSimulator, channel_id: str) -> bool:
    await eventually(lambda: channel_id not in sim.channels, what="the caller's channel to be gone")
    return True


async def test_readyz_follows_the_ari_connection(
    sim: PbxSimulator, make_daemon_stack: DaemonStackFactory
) -> None:
    stack, daemon = await make_daemon_stack()
    browser = stack.browser()
    answer = await browser.get("/readyz")
    assert answer.status == 200 and answer.body["ready"] is True
    await daemon.stream.close()  # the event WebSocket is gone: not ready
    await eventually(lambda: not daemon.session.connected, what="the ARI session to drop")
    answer = await browser.get("/readyz")
    assert answer.status == 503
    assert answer.body["ready"] is False and answer.body["checks"]["ari"] is False

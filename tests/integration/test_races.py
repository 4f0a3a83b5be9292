"""Races between callers, agents and Asterisk, over real sockets against the simulator.

Each test leaves the simulator clean (no channels, only the queues' holding bridges) and the
engine consistent: no reservation left, every agent where it should be.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from acd.app import Daemon
from acd.engine.inputs import Logout, SetNotReady, SetReady
from acd.sim import PbxSimulator, PhoneBehaviour
from acd.state.agent import AgentState
from acd.state.call import CallState

from .conftest import daemon_settings, eventually, ready_all, sim_is_clean, start_daemon
from .fault_proxy import FaultProxy

S = AgentState


def offer_leg(daemon: Daemon, agent_id: str) -> str | None:
    for leg, offer in daemon.engine.offers.items():
        if offer.agent_id == agent_id:
            return leg
    return None


@pytest.fixture
async def two_agents(sim: PbxSimulator) -> AsyncIterator[Daemon]:
    sim.set_behaviour("PJSIP/agent1", PhoneBehaviour.manual())
    sim.set_behaviour("PJSIP/agent2", PhoneBehaviour.manual())
    daemon = await start_daemon(daemon_settings(sim, agents=2))
    await ready_all(daemon)
    try:
        yield daemon
    finally:
        await daemon.stop()


async def ringing(sim: PbxSimulator, daemon: Daemon, agent_id: str) -> str:
    await eventually(lambda: offer_leg(daemon, agent_id) is not None, what=f"an offer to {agent_id}")
    leg = offer_leg(daemon, agent_id)
    assert leg is not None
    await eventually(
        lambda: leg in sim.channels and sim.channels[leg].state == "Ringing", what="the leg to ring"
    )
    return leg


async def test_caller_hangs_up_while_agent_rings(sim: PbxSimulator, two_agents: Daemon) -> None:
    daemon = two_agents
    first = daemon.engine.agents["agent1"]
    ready_since = first.ready_since
    caller = await sim.place_call()
    leg = await ringing(sim, daemon, "agent1")
    await sim.hangup(caller)
    await eventually(lambda: sim_is_clean(sim), what="the ringing leg to be cancelled")
    assert first.state is S.READY
    assert first.ready_since == ready_since  # kept its place in the idle order
    assert not daemon.engine.offers and not daemon.engine.calls
    assert any(r.method == "DELETE" and r.path.startswith(f"/channels/{leg}") for r in sim.rest_log)


async def test_agent_answers_in_the_same_instant_the_caller_hangs_up(
    sim: PbxSimulator, two_agents: Daemon
) -> None:
    daemon = two_agents
    caller = await sim.place_call()
    leg = await ringing(sim, daemon, "agent1")
    await sim.answer(leg)
    await sim.hangup(caller)  # same loop turn: both reach the daemon back to back
    await eventually(lambda: sim_is_clean(sim), what="everything to be hung up")
    await eventually(lambda: not daemon.engine.calls, what="the call to end")
    agent = daemon.engine.agents["agent1"]
    await eventually(lambda: agent.state is S.READY, what="agent1 ready again")
    assert not daemon.engine.offers


@pytest.mark.parametrize("action", ["not-ready", "logout"])
async def test_agent_leaves_while_ringing_and_next_agent_is_offered(
    sim: PbxSimulator, two_agents: Daemon, action: str
) -> None:
    daemon = two_agents
    caller = await sim.place_call()
    leg = await ringing(sim, daemon, "agent1")
    daemon.runner.command(SetNotReady("agent1", "break") if action == "not-ready" else Logout("agent1"))
    await eventually(lambda: leg not in sim.channels, what="the withdrawn leg to be hung up")
    leg2 = await ringing(sim, daemon, "agent2")
    await sim.answer(leg2)
    await eventually(
        lambda: daemon.engine.calls[caller].state is CallState.CONNECTED, what="agent2 connected"
    )
    expected = S.NOT_READY if action == "not-ready" else S.LOGGED_OUT
    assert daemon.engine.agents["agent1"].state is expected
    await sim.hangup(caller)
    await eventually(lambda: sim_is_clean(sim), what="cleanup")


@pytest.mark.parametrize("cause", [17, 21])
async def test_agent_rejects_and_next_agent_is_tried_at_once(
    sim: PbxSimulator, two_agents: Daemon, cause: int
) -> None:
    daemon = two_agents
    caller = await sim.place_call()
    leg = await ringing(sim, daemon, "agent1")
    await sim.reject(leg, cause)
    leg2 = await ringing(sim, daemon, "agent2")
    assert daemon.engine.calls[caller].state is CallState.OFFERED
    await sim.answer(leg2)
    await eventually(lambda: daemon.engine.calls[caller].state is CallState.CONNECTED, what="connected")
    assert daemon.engine.agents["agent1"].state is S.READY  # back, after its back-off
    await sim.hangup(caller)
    await eventually(lambda: sim_is_clean(sim), what="cleanup")


async def test_two_calls_in_the_same_millisecond_with_one_ready_agent(
    sim: PbxSimulator, two_agents: Daemon
) -> None:
    daemon = two_agents
    daemon.runner.command(SetNotReady("agent2", "break"))
    first = await sim.place_call(number="+15550001")
    second = await sim.place_call(number="+15550002")
    leg = await ringing(sim, daemon, "agent1")
    assert daemon.engine.offers[leg].call_id == first
    assert daemon.engine.calls[second].state is CallState.QUEUED
    await sim.answer(leg)
    await eventually(lambda: daemon.engine.calls[first].state is CallState.CONNECTED, what="first connected")
    await sim.hangup(first)
    leg2 = await ringing(sim, daemon, "agent1")  # after the short wrap-up
    assert daemon.engine.offers[leg2].call_id == second
    await sim.hangup(second)
    await eventually(lambda: sim_is_clean(sim), what="cleanup")


async def test_originate_to_unregistered_agent_fails_with_500_and_next_agent_rings(
    sim: PbxSimulator, two_agents: Daemon
) -> None:
    daemon = two_agents
    sim.set_registered("PJSIP/agent1", False)
    await eventually(
        lambda: daemon.engine.agents["agent1"].state is S.NOT_READY,
        what="agent1 unreachable from contact events",
    )
    # Without the contact event (e.g. a missed one), the originate's 500 says the same thing:
    daemon.runner.command(SetNotReady("agent2", "break"))
    daemon.engine.agents["agent1"].reachable = True
    daemon.runner.command(SetReady("agent1"))
    caller = await sim.place_call()
    agent1 = daemon.engine.agents["agent1"]
    await eventually(lambda: agent1.state is S.NOT_READY, what="the 500 to take agent1 out")
    assert agent1.reason == "unreachable"
    daemon.runner.command(SetReady("agent2"))
    leg2 = await ringing(sim, daemon, "agent2")
    assert any(r.status == 500 and r.path.startswith("/channels/") for r in sim.rest_log)
    sim.set_registered("PJSIP/agent1", True)
    await eventually(lambda: agent1.state is S.READY, what="agent1 back when its phone registers")
    await sim.hangup(caller)
    await eventually(lambda: sim_is_clean(sim), what="cleanup")
    assert leg2 not in sim.channels


@pytest.mark.parametrize(
    ("status", "body", "delay"),
    [(404, '{"message": "Endpoint not found"}', 0.0), (503, '{"message": "busy"}', 0.0), (None, "", 1.5)],
    ids=["404", "503", "timeout"],
)
async def test_originate_errors_release_the_agent_and_retry(
    sim: PbxSimulator, status: int | None, body: str, delay: float
) -> None:
    sim.set_behaviour("PJSIP/agent1", PhoneBehaviour.answer(0.5))
    proxy = FaultProxy(sim.base_url)
    await proxy.start()
    settings = daemon_settings(sim, busy_delay=0.3)
    settings.ari.url = proxy.base_url
    settings.ari.request_timeout = 0.5
    if status is not None:
        proxy.fail("POST", r"^/ari/channels/[0-9a-f]{32}$", status, body)
    else:
        proxy.slow("POST", r"^/ari/channels/[0-9a-f]{32}$", delay)
    daemon = await start_daemon(settings)
    try:
        await ready_all(daemon)
        caller = await sim.place_call()
        # The first originate fails; after the agent's short back-off the call is offered again.
        await eventually(
            lambda: (
                caller in daemon.engine.calls and daemon.engine.calls[caller].state is CallState.CONNECTED
            ),
            timeout=8,
            what="the retried offer to connect",
        )
        assert daemon.engine.calls[caller].offer_count >= 2
        await sim.hangup(caller)
        await eventually(lambda: not daemon.engine.calls, what="the call to end")
    finally:
        await daemon.stop()
        await proxy.stop()
    # A timed-out originate may still ring later in Asterisk: the daemon must hang it up.
    await eventually(lambda: sim_is_clean(sim), timeout=8, what="no leaked legs")

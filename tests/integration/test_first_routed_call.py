"""The first routed call, end to end over real sockets: the daemon against the PBX simulator."""

from __future__ import annotations

from acd.app import Daemon
from acd.sim import PbxSimulator
from acd.state.agent import AgentState
from acd.state.call import CallState

from .conftest import eventually, sim_is_clean


async def connect_one_call(sim: PbxSimulator, daemon: Daemon) -> tuple[str, str]:
    caller = await sim.place_call("support", "+15550001", "Caller 1")
    await eventually(
        lambda: caller in daemon.engine.calls and daemon.engine.calls[caller].state is CallState.CONNECTED,
        what="the call to be connected",
    )
    call = daemon.engine.calls[caller]
    assert call.agent_id == "agent1"
    leg = call.agent_leg
    assert leg is not None
    # In Asterisk: the caller and the agent's leg share one mixing bridge.
    await eventually(
        lambda: any(
            b.bridge_type == "mixing" and set(b.channel_ids()) >= {caller, leg} for b in sim.bridges.values()
        ),
        what="caller and agent in one mixing bridge",
    )
    return caller, leg


async def test_caller_waits_with_moh_then_agent_answers_and_caller_hangs_up(
    sim: PbxSimulator, daemon: Daemon
) -> None:
    caller, leg = await connect_one_call(sim, daemon)
    paths = [(r.method, r.path.split("?")[0]) for r in sim.rest_log]
    assert ("POST", f"/channels/{caller}/answer") in paths
    assert ("POST", "/bridges/acd-queue-support/addChannel") in paths
    assert ("POST", "/bridges/acd-queue-support/moh") in paths
    assert ("POST", f"/channels/{leg}") in paths  # originate with the id we chose
    assert daemon.engine.agents["agent1"].state is AgentState.ON_CALL

    await sim.hangup(caller)
    await eventually(lambda: sim_is_clean(sim), what="both legs and the call bridge to be gone")
    await eventually(
        lambda: daemon.engine.agents["agent1"].state is AgentState.READY, what="agent ready again"
    )
    assert daemon.engine.calls == {}


async def test_agent_hangs_up_and_both_legs_end(sim: PbxSimulator, daemon: Daemon) -> None:
    _caller, leg = await connect_one_call(sim, daemon)
    await sim.hangup(leg)
    await eventually(lambda: sim_is_clean(sim), what="both legs and the call bridge to be gone")
    await eventually(lambda: daemon.engine.calls == {}, what="the engine to forget the call")
    assert not daemon.engine.offers


async def test_hold_moves_the_caller_to_music_and_unhold_brings_it_back(
    sim: PbxSimulator, daemon: Daemon
) -> None:
    from acd.engine.inputs import HoldCall, UnholdCall

    caller, leg = await connect_one_call(sim, daemon)
    call_bridge = daemon.engine.calls[caller].bridge_id
    assert call_bridge is not None
    daemon.runner.command(HoldCall("agent1", caller))
    await eventually(
        lambda: caller in sim.bridges["acd-queue-support"].channel_ids(),
        what="the caller in the music bridge",
    )
    assert (
        leg in sim.bridges[call_bridge].channel_ids() and caller not in sim.bridges[call_bridge].channel_ids()
    )
    daemon.runner.command(UnholdCall("agent1", caller))
    await eventually(
        lambda: caller in sim.bridges[call_bridge].channel_ids(), what="the caller back with the agent"
    )
    await sim.hangup(caller)
    await eventually(lambda: sim_is_clean(sim), what="cleanup")

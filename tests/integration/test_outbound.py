"""An agent's softphone dials out: Stasis(acd,outbound,<number>) -> Local/<number>@acd-outbound."""

from __future__ import annotations

from acd.app import Daemon
from acd.sim import PbxSimulator
from acd.state.agent import AgentState
from acd.state.call import CallState, Direction

from .conftest import eventually


async def test_agent_dials_out_and_the_far_end_hangs_up(sim: PbxSimulator, daemon: Daemon) -> None:
    agent = daemon.engine.agents["agent1"]
    ready_since = agent.ready_since
    channel = sim.phone_dial("PJSIP/agent1", "+15550199")
    engine = daemon.engine
    await eventually(
        lambda: (
            channel in engine.call_by_channel
            and engine.calls[engine.call_by_channel[channel]].state is CallState.CONNECTED
        ),
        what="the outbound call to connect",
    )
    call = engine.calls[engine.call_by_channel[channel]]
    assert call.direction is Direction.OUTBOUND and call.number == "+15550199"
    assert agent.state is AgentState.ON_CALL
    dials = [r for r in sim.rest_log if r.params.get("endpoint", "").startswith("Local/")]
    assert dials and dials[0].params["endpoint"] == "Local/+15550199@acd-outbound"
    assert call.far_leg is not None
    await sim.hangup(call.far_leg)
    await eventually(lambda: not engine.calls, what="the outbound call to end")
    await eventually(lambda: agent.state is AgentState.READY, what="the agent back to ready")
    assert agent.ready_since == ready_since  # an outbound call does not reset the idle clock
    await eventually(
        lambda: not [c for c in sim.channels.values() if not c.name.startswith("Announcer/")],
        what="no channel left",
    )


async def test_an_unknown_phone_dialling_out_is_refused(sim: PbxSimulator, daemon: Daemon) -> None:
    sim.add_endpoint("PJSIP/stranger")
    channel = sim.phone_dial("PJSIP/stranger", "123")
    await eventually(lambda: channel not in sim.channels, what="the stranger's call to be hung up")
    assert not daemon.engine.calls

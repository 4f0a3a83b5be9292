"""Call bridges reused over real sockets: fewer requests per call, nothing leaked, and a restarted
daemon takes back the empty bridges it left in Asterisk."""

from __future__ import annotations

import asyncio
from collections import Counter

from acd.app import Daemon
from acd.engine.bridges import CALL_BRIDGE_PREFIX
from acd.engine.inputs import SetNotReady, SetReady
from acd.sim import PbxSimulator
from acd.state.agent import AgentState
from acd.state.call import CallState

from .conftest import daemon_settings, eventually, ready_all, sim_is_clean, start_daemon


def empty_call_bridges(sim: PbxSimulator) -> set[str]:
    return {b.id for b in sim.bridges.values() if b.id.startswith(CALL_BRIDGE_PREFIX) and not b.channel_ids()}


async def one_call(sim: PbxSimulator, daemon: Daemon) -> str:
    """A caller answered by agent1, then hung up; returns the bridge the call used."""
    caller = await sim.place_call()
    await eventually(
        lambda: caller in daemon.engine.calls and daemon.engine.calls[caller].state is CallState.CONNECTED,
        what="the call to be connected",
    )
    call = daemon.engine.calls[caller]

    def bridged() -> bool:
        bridge = sim.bridges.get(call.bridge_id or "")
        return bridge is not None and set(bridge.channel_ids()) == {caller, call.agent_leg}

    await eventually(bridged, what="both in the call's bridge")
    bridge = call.bridge_id
    assert bridge is not None
    await sim.hangup(caller)
    await eventually(lambda: sim_is_clean(sim), what="both legs gone")
    agent = daemon.engine.agents["agent1"]
    await eventually(lambda: agent.state is AgentState.READY, what="agent1 ready again")
    await eventually(lambda: bridge in daemon.engine.spare_bridges, what="the bridge to be spare")
    return bridge


async def test_the_second_call_reuses_the_first_calls_bridge_with_five_requests(
    sim: PbxSimulator, daemon: Daemon
) -> None:
    first = await one_call(sim, daemon)
    before = len(sim.rest_log)
    second = await one_call(sim, daemon)
    assert second == first
    ops = Counter((r.method, r.path.split("?")[0].split("/")[1]) for r in sim.rest_log[before:])
    # originate, answer, add to the holding bridge, add both to the call bridge, hang up the agent
    assert sum(ops.values()) == 5, ops
    assert ops[("POST", "bridges")] == 2 and ops[("DELETE", "bridges")] == 0
    assert empty_call_bridges(sim) == set(daemon.engine.spare_bridges) == {first}


async def test_a_restarted_daemon_takes_back_its_empty_bridges_instead_of_leaking_them(
    sim: PbxSimulator, daemon: Daemon
) -> None:
    bridge = await one_call(sim, daemon)
    await daemon.stop()
    successor = await start_daemon(daemon_settings(sim))
    try:
        assert successor.engine.spare_bridges == [bridge]
        await ready_all(successor)
        assert await one_call(sim, successor) == bridge
        assert empty_call_bridges(sim) == {bridge}
    finally:
        await successor.stop()


async def test_a_spare_bridge_destroyed_behind_the_daemons_back_is_replaced(
    sim: PbxSimulator, daemon: Daemon
) -> None:
    bridge = await one_call(sim, daemon)
    sim.pbx.bridging.destroy(sim.bridges[bridge])  # e.g. "bridge destroy" on Asterisk's CLI
    replacement = await one_call(sim, daemon)
    assert replacement != bridge
    assert empty_call_bridges(sim) == {replacement}


async def test_a_queue_bridge_destroyed_behind_the_daemons_back_is_made_again_with_music(
    sim: PbxSimulator, daemon: Daemon
) -> None:
    holding = "acd-queue-support"
    daemon.runner.command(SetNotReady("agent1", "break"))  # no agent ready: the caller must wait
    sim.pbx.bridging.destroy(sim.bridges[holding])  # e.g. "bridge destroy" on Asterisk's CLI
    caller = await sim.place_call(number="+15550001")
    await eventually(
        lambda: holding in sim.bridges and caller in sim.bridges[holding].channel_ids(),
        what="the caller back in a new holding bridge",
    )
    assert sim.bridges[holding].moh_class == "default"  # with its music, not in silence
    daemon.runner.command(SetReady("agent1"))
    await eventually(lambda: daemon.engine.calls[caller].state is CallState.CONNECTED, what="connected")
    await sim.hangup(caller)
    await eventually(lambda: sim_is_clean(sim), what="cleanup")


async def test_two_callers_meeting_a_missing_queue_bridge_at_once_both_wait_in_the_new_one(
    sim: PbxSimulator, daemon: Daemon
) -> None:
    holding = "acd-queue-support"
    daemon.runner.command(SetNotReady("agent1", "break"))
    sim.pbx.bridging.destroy(sim.bridges[holding])
    first, second = await asyncio.gather(
        sim.place_call(number="+15550001"), sim.place_call(number="+15550002")
    )  # each call makes the bridge again; whichever is second gets a 409 and uses it
    await eventually(
        lambda: holding in sim.bridges and {first, second} <= set(sim.bridges[holding].channel_ids()),
        what="both callers in the new holding bridge",
    )
    assert sim.bridges[holding].moh_class == "default"
    assert all(daemon.engine.calls[c].state is CallState.QUEUED for c in (first, second))
    conflicts = daemon.metrics.registry.get_sample_value(
        "acd_ari_errors_total", {"operation": "bridges.createWithId", "status": "409"}
    )
    assert conflicts == 1  # the race happened: both made it, the second found it there
    for caller in (first, second):
        await sim.hangup(caller)
    await eventually(lambda: sim_is_clean(sim), what="cleanup")

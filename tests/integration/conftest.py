"""Fixtures for integration tests: the simulator and a daemon talking to it over loopback sockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from acd.app import Daemon
from acd.config import AgentSettings, AriSettings, EngineSettings, QueueSettings, Settings
from acd.engine.bridges import CALL_BRIDGE_PREFIX
from acd.engine.inputs import Login, SetReady
from acd.sim import PbxSimulator, PhoneBehaviour

SCALE = 0.05  # simulated seconds -> real seconds for the phones' and callers' scripts


async def eventually(
    predicate: Callable[[], bool],
    timeout: float = 5.0,  # noqa: ASYNC109 - a test deadline, not an I/O timeout
    what: str = "condition",
) -> None:
    """Poll until ``predicate()`` holds (real seconds); fail with ``what`` otherwise."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


def sim_is_clean(sim: PbxSimulator) -> bool:
    """No channel and no bridge left but the daemon's own long-lived ones: each queue's holding
    bridge, the shared hold bridge and empty call bridges kept for the next calls (at most
    ``spare_bridges``: tests/integration/test_bridge_reuse.py checks that they are the daemon's
    spares)."""
    channels = [c for c in sim.channels.values() if not c.name.startswith("Announcer/")]
    bridges = [
        b
        for b in sim.bridges.values()
        if not b.id.startswith("acd-queue-")
        and b.id != "acd-hold"
        and not (b.id.startswith(CALL_BRIDGE_PREFIX) and not b.channel_ids())
    ]
    return not channels and not bridges


def daemon_settings(sim: PbxSimulator, agents: int = 1, **engine: object) -> Settings:
    return Settings(
        ari=AriSettings(
            url=sim.base_url,
            username="acd",
            password="acd",
            app="acd",
            reconnect_min_delay=0.05,
            reconnect_max_delay=0.3,
        ),
        engine=EngineSettings(**engine),
        queues=[QueueSettings(name="support", ring_timeout=4, wrapup_seconds=0.2)],
        agents=[
            AgentSettings(
                agent_id=f"agent{n}", name=f"Agent {n}", endpoint=f"PJSIP/agent{n}", queues={"support": 1}
            )
            for n in range(1, agents + 1)
        ],
    )


@pytest.fixture
async def sim() -> AsyncIterator[PbxSimulator]:
    simulator = PbxSimulator(seed=3, time_scale=SCALE)
    simulator.add_agents(3, PhoneBehaviour.answer(1.0))
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()


async def start_daemon(settings: Settings) -> Daemon:
    daemon = Daemon(settings)
    await daemon.start()
    await eventually(daemon.session.resynced.is_set, what="the daemon's first resync")
    return daemon


async def ready_all(daemon: Daemon) -> None:
    for agent_id in list(daemon.engine.agents):
        daemon.runner.command(Login(agent_id))
        daemon.runner.command(SetReady(agent_id))


@pytest.fixture
async def daemon(sim: PbxSimulator) -> AsyncIterator[Daemon]:
    d = await start_daemon(daemon_settings(sim))
    await ready_all(d)
    try:
        yield d
    finally:
        await d.stop()

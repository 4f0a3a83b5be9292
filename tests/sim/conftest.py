"""Fixtures for the simulator's own tests: a started simulator and a raw-aiohttp ARI probe."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from acd.sim import PbxSimulator, PhoneBehaviour
from tests.sim.probe import AriProbe

SCALE = 0.02


@pytest.fixture
async def sim() -> AsyncIterator[PbxSimulator]:
    """A simulator 50 times faster than life, with agents 1-3 answering after 1.5 s."""
    simulator = PbxSimulator(seed=5, time_scale=SCALE)
    simulator.add_agents(3, PhoneBehaviour.answer(1.5))
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()


@pytest.fixture
async def probe(sim: PbxSimulator) -> AsyncIterator[AriProbe]:
    """The app ``acd``, connected to the event stream."""
    async with AriProbe(sim.base_url) as client:
        await client.connect()
        yield client

"""The simulator as a load generator: a few hundred concurrent calls complete and nothing leaks.

How fast it goes is measured by ``bench/sim_load.py`` (speed is never asserted in tests).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.sim.load import run_load, standalone


@pytest.fixture
async def simulator_process() -> AsyncIterator[str]:
    async with standalone() as url:
        yield url


async def test_standalone_simulator_carries_a_burst_of_calls_cleanly(simulator_process: str) -> None:
    result = await run_load(simulator_process, total=300, rate=150.0)
    assert result.completed == result.total
    assert result.leaks == []

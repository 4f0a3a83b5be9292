"""Benchmark: the simulator as a load generator (calls/s and its CPU per call), app on another core.

.venv/bin/python -m bench.sim_load
"""

from __future__ import annotations

import asyncio

from tests.sim.load import run_load, standalone


async def main() -> None:
    async with standalone() as url:
        result = await run_load(url, total=900, rate=250.0, keep_awake=True)
    print(
        f"{result.calls_per_second:.0f} calls/s; the simulator used {result.sim_cpu_ms_per_call:.2f} ms "
        f"of CPU per call; completed {result.completed} of {result.total}; leaks: {len(result.leaks)}"
    )


if __name__ == "__main__":
    asyncio.run(main())

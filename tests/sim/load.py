"""The simulator as a load generator, driven by a stand-in app doing the daemon's 7 requests per
call: answer, join the queue's holding bridge (one per queue, with MOH), originate the agent leg
with our own id, create the call's mixing bridge with our own id, add both (addChannel moves the
caller out of the holding bridge by itself), and after the caller hangs up, hang up the agent leg
and delete the bridge. Shared by tests/sim/test_load.py (it completes, nothing leaks) and
bench/sim_load.py (how fast).
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from tests.sim.probe import AriProbe

REPO_ROOT = Path(__file__).resolve().parent.parent.parent

SCALE = 0.01
AGENTS = 100
_CHILD = f"""
import asyncio
from acd.sim import PhoneBehaviour, run_standalone
asyncio.run(run_standalone(port=0, agents={AGENTS}, time_scale={SCALE}, open_control=True,
    agent_behaviour=PhoneBehaviour.answer(1.0), started=lambda url: print(url, flush=True)))
"""


@contextlib.asynccontextmanager
async def standalone() -> AsyncIterator[str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _CHILD, cwd=REPO_ROOT, stdout=subprocess.PIPE
    )
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode().strip()
        assert line.startswith("http://"), "the simulator did not start"
        yield line
    finally:
        proc.terminate()
        await proc.wait()


async def _call_flow(
    probe: AriProbe,
    caller: str,
    holding: str,
    agents: asyncio.Queue[str],
    events: dict[str, asyncio.Future[None]],
) -> None:
    loop = asyncio.get_running_loop()
    await probe.call("POST", f"/channels/{caller}/answer")
    await probe.call("POST", f"/bridges/{holding}/addChannel", {"channel": caller})
    agent = await agents.get()
    leg = f"leg-{caller}"
    events[leg] = loop.create_future()
    events[caller] = loop.create_future()
    body = {"endpoint": agent, "app": "acd", "appArgs": f"agent,{caller}", "callerId": "Support <100>"}
    await probe.call("POST", f"/channels/{leg}", body)
    await events[leg]
    await probe.call("POST", f"/bridges/call-{caller}", {"type": "mixing", "name": "call"})
    await probe.call("POST", f"/bridges/call-{caller}/addChannel", {"channel": f"{caller},{leg}"})
    await events[caller]
    await probe.call("DELETE", f"/channels/{leg}")
    await probe.call("DELETE", f"/bridges/call-{caller}")
    agents.put_nowait(agent)


async def _keep_awake() -> None:
    """Keep this process's CPU busy. The test VM parks an idle vCPU and waking it costs more than a
    REST round trip, so a mostly idle stand-in daemon measures wake-ups, not the simulator."""
    while True:  # noqa: ASYNC110 - spinning is the point
        await asyncio.sleep(0)


@dataclass(frozen=True)
class LoadResult:
    total: int
    completed: int
    leaks: list[str]
    calls_per_second: float
    sim_cpu_ms_per_call: float


async def run_load(standalone: str, total: int, rate: float, *, keep_awake: bool = False) -> LoadResult:
    """Play the daemon's flow (7 requests per call) for ``total`` callers arriving at ``rate``/s."""
    agents: asyncio.Queue[str] = asyncio.Queue()
    for n in range(1, AGENTS + 1):
        agents.put_nowait(f"PJSIP/agent{n}")
    events: dict[str, asyncio.Future[None]] = {}
    async with aiohttp.ClientSession() as control, AriProbe(standalone) as probe:
        await probe.connect()
        _, holding = await probe.call("POST", "/bridges/queue-support", {"type": "holding", "name": "queue"})
        await probe.call("POST", "/bridges/queue-support/moh", {"mohClass": "default"})
        async with control.get(f"{standalone}/_sim/status") as resp:
            cpu_before = (await resp.json())["cpu_seconds"]
        awake = asyncio.create_task(_keep_awake()) if keep_awake else None
        began = time.monotonic()
        profile = {"rate": rate * SCALE, "patience": None, "talk_time": 2.0, "max_calls": total, "seed": 1}
        async with control.post(f"{standalone}/_sim/traffic/start", json=profile) as resp:
            assert resp.status == 200
        tasks: list[asyncio.Task[None]] = []
        seen = 0
        try:
            async with asyncio.timeout(40):
                while len(tasks) < total or not all(t.done() for t in tasks):
                    for event in probe.events[seen:]:
                        kind, cid = event["type"], event.get("channel", {}).get("id")
                        if kind == "StasisStart" and event["args"][0] == "inbound":
                            flow = _call_flow(probe, cid, holding["id"], agents, events)
                            tasks.append(asyncio.create_task(flow))
                        elif (
                            kind in ("StasisStart", "StasisEnd") and cid in events and not events[cid].done()
                        ):
                            events[cid].set_result(None)
                    seen = len(probe.events)
                    await asyncio.sleep(0.002)
            await asyncio.gather(*tasks)
        finally:
            if awake is not None:
                awake.cancel()
        elapsed = time.monotonic() - began
        await probe.call("DELETE", "/bridges/queue-support")
        async with control.get(f"{standalone}/_sim/status") as resp:
            status = await resp.json()
        async with control.get(f"{standalone}/_sim/leaks") as resp:
            leaks = (await resp.json())["leaks"]
    return LoadResult(
        total=total,
        completed=status["stats"]["completed"],
        leaks=leaks,
        calls_per_second=total / elapsed,
        sim_cpu_ms_per_call=(status["cpu_seconds"] - cpu_before) / total * 1000,
    )

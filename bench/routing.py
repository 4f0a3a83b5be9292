"""Routing decision cost: p50/p99 of the engine's handle() at 10, 1,000 and 10,000 agents and calls.

Two decisions, each measured as the whole ``Engine.handle`` (routing, state changes, records and
notifications included) and as the bare index lookup:
- a caller arrives while N agents are ready (who gets it: ``QueueAgents.best``);
- an agent becomes ready while M callers wait (which call it gets: ``QueueCalls.head_for_level``
  across its queues).
After each measured input the state is put back (the caller hangs up, the agent goes not-ready),
so every sample sees the same N and M.

    .venv/bin/python -m bench.routing [--iterations 3000]
"""

from __future__ import annotations

import argparse
import gc
import platform
import time

from acd.config import EngineSettings, QueueSettings
from acd.engine.core import Engine
from acd.engine.inputs import (
    AgentProfile,
    CallerEntered,
    ChannelGone,
    Login,
    SetNotReady,
    SetReady,
    UpsertAgent,
)

QUEUES = ("sales", "support", "billing", "tech")


def build(agents: int, waiting: int, ready: bool) -> tuple[Engine, float]:
    engine = Engine([QueueSettings(name=q) for q in QUEUES], EngineSettings(reject_delay=0, busy_delay=0))
    now = 1_000_000.0
    for n in range(agents):
        skills = {QUEUES[n % 4]: 1, QUEUES[(n + 1) % 4]: 2}
        engine.handle(UpsertAgent(AgentProfile(f"a{n}", f"A{n}", f"PJSIP/a{n}", skills)), now)
        engine.handle(Login(f"a{n}"), now)
        if ready:
            now += 0.001
            engine.handle(SetReady(f"a{n}"), now)
    for n in range(waiting):
        now += 0.001
        engine.handle(CallerEntered(f"w{n}", QUEUES[n % 4], "+1555", "W"), now)
    return engine, now


def percentiles(samples: list[int]) -> tuple[float, float]:
    samples.sort()
    p50 = samples[len(samples) // 2] / 1000
    p99 = samples[int(len(samples) * 0.99)] / 1000
    return p50, p99


def bench_call_arrives(agents: int, iterations: int) -> dict[str, tuple[float, float]]:
    engine, now = build(agents, 0, ready=True)
    gc.collect()
    gc.freeze()  # the roster is long-lived: keep the collector from rescanning it (as `acd run` does)
    full: list[int] = []
    lookup: list[int] = []
    index = engine.queue_agents["support"]
    for i in range(iterations):
        now += 0.001
        t0 = time.perf_counter_ns()
        engine.handle(CallerEntered(f"c{i}", "support", "+1555", "C"), now)
        full.append(time.perf_counter_ns() - t0)
        engine.handle(ChannelGone(f"c{i}"), now)  # abandon: the agent keeps its place
        t0 = time.perf_counter_ns()
        index.best(1, now)
        lookup.append(time.perf_counter_ns() - t0)
    return {"handle": percentiles(full), "lookup": percentiles(lookup)}


def bench_agent_ready(waiting: int, agents: int, iterations: int) -> dict[str, tuple[float, float]]:
    engine, now = build(agents, waiting, ready=False)
    gc.collect()
    gc.freeze()
    full: list[int] = []
    lookup: list[int] = []
    agent = "a0"
    skills = engine.agents[agent].skills
    for _ in range(iterations):
        now += 0.001
        t0 = time.perf_counter_ns()
        engine.handle(SetReady(agent), now)
        full.append(time.perf_counter_ns() - t0)
        engine.handle(SetNotReady(agent, "break"), now)  # the offered call goes back to its place
        t0 = time.perf_counter_ns()
        for queue, level in skills.items():
            engine.queue_calls[queue].head_for_level(level, now)
        lookup.append(time.perf_counter_ns() - t0)
    return {"handle": percentiles(full), "lookup": percentiles(lookup)}


def memory_per_queued_call(count: int = 10_000) -> float:
    """Bytes the engine holds per waiting call (its Call, indexes and maps; effects excluded)."""
    import tracemalloc

    engine, now = build(10, 0, ready=False)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for n in range(count):
        now += 0.001
        engine.handle(CallerEntered(f"m{n}", QUEUES[n % 4], "+15550001234", "Caller Name"), now)
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    return grown / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=3000)
    args = parser.parse_args()
    print(
        f"# routing decision, {platform.python_implementation()} {platform.python_version()}, "
        f"{platform.machine()}, {args.iterations} samples each; microseconds p50 / p99"
    )
    print("| scenario | size | handle() p50 | handle() p99 | index lookup p50 | lookup p99 |")
    print("|---|---|---|---|---|---|")
    gc.collect()
    for size in (10, 1_000, 10_000):
        result = bench_call_arrives(size, args.iterations)
        (h50, h99), (l50, l99) = result["handle"], result["lookup"]
        print(f"| call arrives, N agents ready | N={size} | {h50:.1f} | {h99:.1f} | {l50:.1f} | {l99:.1f} |")
    for size in (10, 1_000, 10_000):
        agents = min(size, 1_000)
        result = bench_agent_ready(size, agents, args.iterations)
        (h50, h99), (l50, l99) = result["handle"], result["lookup"]
        print(
            f"| agent ready, M calls waiting ({agents} agents) | M={size} | "
            f"{h50:.1f} | {h99:.1f} | {l50:.1f} | {l99:.1f} |"
        )
    print(f"\nmemory per queued call: {memory_per_queued_call():.0f} bytes (10,000 waiting calls)")


if __name__ == "__main__":
    main()

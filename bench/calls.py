"""Whole-call cost: the daemon against the PBX simulator, each in its own process.

The simulator (a child process) offers Poisson traffic at ``--rate`` calls/s to ``--agents``
phones that answer after ``--answer`` s and talk ``--talk`` s; the daemon (this process) routes it.
With ``--service`` the daemon runs as ``acd run`` runs it: every record goes through the outbox to
PostgreSQL (a throwaway database on 127.0.0.1:5432, dropped afterwards), snapshots go to Redis, the
web server listens, and start-up objects are frozen out of the collector's reach; without it, the
engine and ARI alone. Reported: calls placed/answered/abandoned, answered calls per second
sustained, the daemon's CPU milliseconds per call (process CPU time / calls), its idle CPU per
second (measured for ``--idle`` s before the calls, agents ready) and the CPU per call beyond
that idle rate, ARI requests per call by operation, and the "INVITE latency": from the
simulator writing a caller's StasisStart to it receiving the agent's originate (what app_queue
does in 2-4 ms), on the simulator's clock.

    .venv/bin/python -m bench.calls --rate 150 --seconds 20 --agents 400 [--service]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from acd.app import Daemon
from acd.config import (
    AgentSettings,
    AriSettings,
    DatabaseSettings,
    EngineSettings,
    LogSettings,
    QueueSettings,
    RedisSettings,
    Settings,
    WebSettings,
)
from acd.engine.inputs import Login, SetReady
from acd.eventloop import loop_factory
from acd.logging import configure_logging
from acd.service import start_service, stop_service
from acd.store.writes import TABLE_ACTIVITIES, TABLE_CALLS, TABLE_EVENTS
from acd.throwaway import free_port

SIM_WORKER = r"""
import asyncio, json, sys
from acd.sim import PbxSimulator, PhoneBehaviour
from acd.sim.traffic import Dist, TrafficProfile

async def main(cfg):
    sim = PbxSimulator(seed=1, vary_interleavings=False, event_log_size=2_000_000, rest_log_size=2_000_000)
    sim.add_agents(cfg["agents"], PhoneBehaviour.answer(cfg["answer"]))
    await sim.start(port=0)
    print(json.dumps({"url": sim.base_url}), flush=True)
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    profile = TrafficProfile(rate=cfg["rate"], patience=Dist.fixed(cfg["patience"]),
                             talk_time=Dist.fixed(cfg["talk"]), max_calls=cfg["max_calls"])
    sim.traffic.start(profile, 1)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    await sim.traffic.stop()
    starts = {}
    for e in sim.event_log:
        m = e.message
        if m.get("type") == "StasisStart" and m.get("args", [""])[0] == "inbound":
            starts[m["channel"]["id"]] = e.t
    latencies = []
    for r in sim.rest_log:
        args = r.params.get("appArgs", "")
        if r.method == "POST" and args.startswith("agent,"):
            caller = args.split(",", 1)[1]
            if caller in starts:
                latencies.append(r.t - starts.pop(caller))
    print(json.dumps({"stats": sim.stats.as_dict(), "latencies": latencies}), flush=True)
    await sim.stop()

asyncio.run(main(json.loads(sys.argv[1])))
"""


def _events(daemon: Daemon) -> float:
    total = 0.0
    for metric in daemon.metrics.ari_events.collect():
        for sample in metric.samples:
            if sample.name.endswith("_total"):
                total += sample.value
    return total


def _records_written(daemon: Daemon) -> float:
    written = daemon.metrics.registry.get_sample_value
    return sum(
        written("acd_records_written_total", {"table": t}) or 0.0
        for t in (TABLE_CALLS, TABLE_EVENTS, TABLE_ACTIVITIES)
    )


def _callgrind(state: str) -> None:
    """Under ``bench.instructions`` (valgrind's callgrind, started with instrumentation off),
    count instructions only while calls are measured: start-up and shutdown stay out."""
    if os.environ.get("ACD_BENCH_CALLGRIND"):
        subprocess.run(["callgrind_control", "-i", state, str(os.getpid())], check=True, capture_output=True)


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    cfg = {
        "agents": args.agents,
        "answer": args.answer,
        "talk": args.talk,
        "patience": args.patience,
        "rate": args.rate,
        "max_calls": int(args.rate * args.seconds),
    }
    worker = subprocess.Popen(  # noqa: ASYNC220 - started once, before the measured window
        [sys.executable, "-c", SIM_WORKER, json.dumps(cfg)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    assert worker.stdin is not None and worker.stdout is not None
    url = json.loads(worker.stdout.readline())["url"]
    settings = Settings(
        ari=AriSettings(url=url, username="acd", password="acd", app="acd"),
        engine=EngineSettings(),
        queues=[QueueSettings(name="support", ring_timeout=10, wrapup_seconds=0)],
        agents=[
            AgentSettings(agent_id=f"agent{n}", endpoint=f"PJSIP/agent{n}", queues={"support": 1})
            for n in range(1, args.agents + 1)
        ],
        log=LogSettings(level="warning"),
    )
    async with contextlib.AsyncExitStack() as stack:
        if args.service:
            settings.database = DatabaseSettings(
                dsn=await stack.enter_async_context(_throwaway_database()),
                journal_dir=stack.enter_context(tempfile.TemporaryDirectory()),
            )
            settings.redis = RedisSettings(key_prefix=f"acd-bench-{os.getpid()}:")
            settings.web = WebSettings(port=free_port())
            service = await start_service(settings)
            stack.push_async_callback(stop_service, service)
            daemon = service.daemon
            gc.collect()
            gc.freeze()  # as run_service does
        else:
            daemon = Daemon(settings)
            await daemon.start()
            stack.push_async_callback(daemon.stop)
        await daemon.session.resynced.wait()
        return await _measure(args, daemon, worker)


@contextlib.asynccontextmanager
async def _throwaway_database() -> AsyncIterator[str]:
    name = f"acd_bench_{os.getpid()}"
    admin = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _measure(args: argparse.Namespace, daemon: Daemon, worker: subprocess.Popen[str]) -> dict[str, Any]:
    assert worker.stdin is not None and worker.stdout is not None
    for agent_id in list(daemon.engine.agents):
        daemon.runner.command(Login(agent_id))
        daemon.runner.command(SetReady(agent_id))
    await asyncio.sleep(1.0)  # the logins and their records settle
    idle0 = time.process_time()
    await asyncio.sleep(args.idle)
    idle_ms_per_second = (time.process_time() - idle0) * 1000 / args.idle if args.idle else 0.0
    records0 = _records_written(daemon)  # the logins' records stay out of the count
    _callgrind("on")
    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    worker.stdin.write("go\n")
    worker.stdin.flush()
    await asyncio.sleep(args.seconds + args.talk + args.answer + 2)
    cpu1, wall1 = time.process_time(), time.perf_counter()
    usage1 = resource.getrusage(resource.RUSAGE_SELF)
    _callgrind("off")
    worker.stdin.write("stop\n")
    worker.stdin.flush()
    result = json.loads(await asyncio.get_running_loop().run_in_executor(None, worker.stdout.readline))
    worker.wait(timeout=30)
    requests: dict[str, float] = {}
    for metric in daemon.metrics.ari_request_seconds.collect():
        for sample in metric.samples:
            if sample.name.endswith("_count"):
                requests[sample.labels["operation"]] = sample.value
    records = _records_written(daemon) - records0
    stats = result["stats"]
    calls = max(1, stats["placed"])
    latencies_ms = [v * 1000 for v in result["latencies"]]
    return {
        "mode": "service (outbox to PostgreSQL, Redis, web)" if args.service else "engine and ARI only",
        "event_loop": args.loop,
        "offered_rate": args.rate,
        "seconds": args.seconds,
        "agents": args.agents,
        "placed": stats["placed"],
        "answered": stats["answered"],
        "abandoned": stats["abandoned"],
        "completed": stats["completed"],
        "answered_per_second": stats["answered"] / args.seconds,
        "daemon_cpu_ms_per_call": (cpu1 - cpu0) * 1000 / calls,
        "daemon_idle_cpu_ms_per_second": round(idle_ms_per_second, 3),
        "daemon_cpu_ms_per_call_beyond_idle": ((cpu1 - cpu0) * 1000 - idle_ms_per_second * (wall1 - wall0))
        / calls,
        "daemon_cpu_share": (cpu1 - cpu0) / (wall1 - wall0),
        "daemon_user_ms_per_call": (usage1.ru_utime - usage0.ru_utime) * 1000 / calls,
        "daemon_system_ms_per_call": (usage1.ru_stime - usage0.ru_stime) * 1000 / calls,
        "events_per_call": round(_events(daemon) / calls, 1),
        "records_written_to_postgresql_per_call": round(records / calls, 1),
        "ari_requests_per_call": {k: round(v / calls, 2) for k, v in sorted(requests.items()) if v},
        "ari_requests_per_call_total": round(sum(requests.values()) / calls, 2),
        "invite_latency_ms": {
            "p50": round(pct(latencies_ms, 0.5), 2),
            "p90": round(pct(latencies_ms, 0.9), 2),
            "p99": round(pct(latencies_ms, 0.99), 2),
        },
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=50.0, help="new calls per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--answer", type=float, default=0.2, help="agents answer after this many seconds")
    parser.add_argument("--talk", type=float, default=1.0, help="talk time, seconds")
    parser.add_argument("--patience", type=float, default=30.0)
    parser.add_argument(
        "--idle",
        type=float,
        default=5.0,
        help="seconds of idle CPU measured before the calls (agents ready, no calls)",
    )
    parser.add_argument(
        "--loop",
        choices=["uvloop", "asyncio"],
        default="uvloop",
        help="the daemon's event loop (acd's default: uvloop)",
    )
    parser.add_argument(
        "--service",
        action="store_true",
        help="run the whole service as `acd run` does (PostgreSQL, Redis, web)",
    )
    args = parser.parse_args()
    configure_logging("warning", "console")
    with asyncio.Runner(loop_factory=loop_factory(args.loop)) as runner:
        result = runner.run(run(args))
    result["machine"] = f"{platform.machine()} {os.cpu_count()} cpu, Python {platform.python_version()}"
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

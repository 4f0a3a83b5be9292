"""The arrival process: reproducible from a seed, faithful to its rate and mix, and fast."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter

from acd.sim import Arrival, Dist, PbxSimulator, PhoneBehaviour, TrafficProfile, arrivals
from tests.sim.probe import AriProbe

PROFILE = TrafficProfile(
    rate=40.0,
    queues=(("support", 3.0), ("sales", 1.0)),
    patience=Dist.exp(30.0),
    talk_time=Dist.uniform(60.0, 180.0),
)


def _plan(seed: int, count: int) -> list[Arrival]:
    return list(itertools.islice(arrivals(PROFILE, seed), count))


def test_same_seed_same_arrivals_other_seed_other_arrivals() -> None:
    assert _plan(7, 200) == _plan(7, 200)
    assert _plan(7, 200) != _plan(8, 200)


def test_rate_and_queue_mix_are_respected() -> None:
    plan = _plan(1, 20_000)
    assert abs(plan[-1].at / len(plan) - 1 / PROFILE.rate) < 0.05 / PROFILE.rate
    mix = Counter(a.queue for a in plan)
    assert abs(mix["support"] / len(plan) - 0.75) < 0.02
    assert all(60.0 <= (a.talk_time or 0) <= 180.0 for a in plan)


async def _placed_calls(seed: int) -> list[tuple[str, str, str]]:
    """Run the generator against a fresh simulator; the callers as the app saw them arrive."""
    sim = PbxSimulator(seed=99, time_scale=0.01)
    await sim.start()
    try:
        async with AriProbe(sim.base_url) as probe:
            await probe.connect()
            profile = TrafficProfile(rate=20.0, queues=PROFILE.queues, patience=Dist.fixed(0.5), max_calls=15)
            sim.traffic.start(profile, seed)
            await sim.wait_for(lambda: sim.stats.abandoned == 15, timeout=5)
            return [
                (e["args"][1], e["channel"]["caller"]["number"], e["channel"]["caller"]["name"])
                for e in probe.events
                if e["type"] == "StasisStart"
            ]
    finally:
        await sim.stop()


async def test_generator_offers_the_same_callers_for_the_same_seed() -> None:
    first, second, other = await asyncio.gather(_placed_calls(5), _placed_calls(5), _placed_calls(6))
    assert len(first) == 15
    assert first == second
    assert first != other


async def test_hundreds_of_concurrent_calls_stay_consistent() -> None:
    """400 calls offered at 400/s to a tiny app in the same process: all connected, nothing leaks."""
    scale = 0.01
    sim = PbxSimulator(seed=1, time_scale=scale, event_log_size=0, rest_log_size=0)
    sim.add_agents(60, PhoneBehaviour.answer(0.5))
    await sim.start()
    agents: asyncio.Queue[str] = asyncio.Queue()
    for n in range(1, 61):
        agents.put_nowait(f"PJSIP/agent{n}")
    started: dict[str, asyncio.Future[None]] = {}
    done = 0
    try:
        async with AriProbe(sim.base_url) as probe:
            await probe.connect()

            async def handle(caller: str) -> None:
                nonlocal done
                await probe.call("POST", f"/channels/{caller}/answer")
                agent = await agents.get()
                leg_id = f"leg-{caller}"
                started[leg_id] = asyncio.get_running_loop().create_future()
                body = {"endpoint": agent, "app": "acd", "appArgs": f"agent,{caller}"}
                assert (await probe.call("POST", f"/channels/{leg_id}", body))[0] == 200
                await started[leg_id]
                _, bridge = await probe.call("POST", "/bridges", {"type": "mixing"})
                await probe.call(
                    "POST", f"/bridges/{bridge['id']}/addChannel", {"channel": f"{caller},{leg_id}"}
                )
                await probe.call("DELETE", f"/channels/{caller}")
                await probe.call("DELETE", f"/channels/{leg_id}")
                await probe.call("DELETE", f"/bridges/{bridge['id']}")
                agents.put_nowait(agent)
                done += 1

            began = time.monotonic()
            sim.traffic.start(
                TrafficProfile(rate=400 * scale, patience=None, talk_time=None, max_calls=400), 3
            )
            tasks: list[asyncio.Task[None]] = []
            seen = 0
            async with asyncio.timeout(30):
                while done < 400:
                    for event in probe.events[seen:]:
                        if event["type"] == "StasisStart":
                            if event["args"][0] == "inbound":
                                tasks.append(asyncio.create_task(handle(event["channel"]["id"])))
                            else:
                                started[event["channel"]["id"]].set_result(None)
                    seen = len(probe.events)
                    await asyncio.sleep(0.002)
            await asyncio.gather(*tasks)
            elapsed = time.monotonic() - began
        assert sim.leaks() == [] and sim.stats.completed == 400
        assert 400 / elapsed > 80, f"only {400 / elapsed:.0f} calls/s with the app on the same core"
    finally:
        await sim.stop()

"""Call arrivals: a Poisson process over a queue mix, drawn from its own seeded generator.

The plan of arrivals depends only on the profile and the seed (never on how the daemon behaves or
how fast the machine is), so two runs with the same seed offer the same callers, with the same
numbers, queues, patience and talk times, at the same simulated instants. Running behind schedule
under load places late calls at once rather than dropping them.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from acd.sim.clock import SimClock


@dataclass(frozen=True, slots=True)
class Dist:
    """A duration in seconds: ``fixed`` a, ``exp`` with mean a, or ``uniform`` between a and b."""

    kind: str = "fixed"
    a: float = 0.0
    b: float = 0.0

    @classmethod
    def fixed(cls, value: float) -> Dist:
        return cls("fixed", value)

    @classmethod
    def exp(cls, mean: float) -> Dist:
        return cls("exp", mean)

    @classmethod
    def uniform(cls, low: float, high: float) -> Dist:
        return cls("uniform", low, high)

    def draw(self, rng: random.Random) -> float:
        if self.kind == "exp":
            return rng.expovariate(1.0 / self.a) if self.a > 0 else 0.0
        if self.kind == "uniform":
            return rng.uniform(self.a, self.b)
        return self.a

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "a": self.a, "b": self.b}

    @classmethod
    def from_json(cls, data: Any) -> Dist | None:
        if data is None:
            return None
        if isinstance(data, int | float):
            return cls.fixed(float(data))
        kind = str(data.get("kind", "fixed"))
        if kind not in ("fixed", "exp", "uniform"):
            raise ValueError(f"unknown distribution {kind!r}")
        return cls(kind, float(data.get("a", 0.0)), float(data.get("b", 0.0)))


@dataclass(frozen=True, slots=True)
class TrafficProfile:
    """Offered load: ``rate`` calls per simulated second spread over ``queues`` by weight."""

    rate: float = 1.0
    queues: tuple[tuple[str, float], ...] = (("support", 1.0),)
    patience: Dist | None = field(default_factory=lambda: Dist.exp(60.0))
    talk_time: Dist | None = field(default_factory=lambda: Dist.exp(120.0))
    max_calls: int | None = None
    number_prefix: str = "+1555"

    def to_json(self) -> dict[str, Any]:
        return {
            "rate": self.rate,
            "queues": dict(self.queues),
            "patience": None if self.patience is None else self.patience.to_json(),
            "talk_time": None if self.talk_time is None else self.talk_time.to_json(),
            "max_calls": self.max_calls,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrafficProfile:
        queues = data.get("queues") or {"support": 1.0}
        if isinstance(queues, list):
            queues = dict.fromkeys(queues, 1.0)
        max_calls = data.get("max_calls")
        return cls(
            rate=float(data.get("rate", 1.0)),
            queues=tuple((str(k), float(v)) for k, v in queues.items()),
            patience=Dist.from_json(data.get("patience", {"kind": "exp", "a": 60.0})),
            talk_time=Dist.from_json(data.get("talk_time", {"kind": "exp", "a": 120.0})),
            max_calls=None if max_calls is None else int(max_calls),
        )


@dataclass(frozen=True, slots=True)
class Arrival:
    """One caller of the plan; ``at`` is simulated seconds after the generator started."""

    index: int
    at: float
    queue: str
    number: str
    name: str
    patience: float | None
    talk_time: float | None


def arrivals(profile: TrafficProfile, seed: int) -> Iterator[Arrival]:
    """The (endless unless ``max_calls``) plan of arrivals for ``profile`` and ``seed``."""
    if profile.rate <= 0:
        raise ValueError("rate must be positive")
    rng = random.Random(seed)
    names = [q for q, _ in profile.queues]
    weights = [w for _, w in profile.queues]
    at = 0.0
    index = 0
    while profile.max_calls is None or index < profile.max_calls:
        at += rng.expovariate(profile.rate)
        queue = rng.choices(names, weights)[0]
        number = f"{profile.number_prefix}{rng.randrange(10**7):07d}"
        patience = None if profile.patience is None else round(profile.patience.draw(rng), 3)
        talk = None if profile.talk_time is None else round(profile.talk_time.draw(rng), 3)
        index += 1
        yield Arrival(index, at, queue, number, f"Caller {index}", patience, talk)


class TrafficGenerator:
    """Places the planned arrivals in (scaled) real time until stopped or ``max_calls`` is reached."""

    def __init__(self, clock: SimClock, place: Callable[[Arrival], None]) -> None:
        self._clock = clock
        self._place = place
        self._task: asyncio.Task[None] | None = None
        self.profile: TrafficProfile | None = None
        self.seed = 0
        self.generated = 0
        self.errors = 0

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self, profile: TrafficProfile, seed: int = 0) -> None:
        if self.running:
            raise RuntimeError("traffic is already running")
        self.profile, self.seed, self.generated, self.errors = profile, seed, 0, 0
        self._task = asyncio.get_running_loop().create_task(self._run(profile, seed), name="sim-traffic")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self, profile: TrafficProfile, seed: int) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        for arrival in arrivals(profile, seed):
            delay = start + self._clock.real(arrival.at) - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                self._place(arrival)
                self.generated += 1
            except RuntimeError:
                self.errors += 1  # the PBX is restarting: the call is lost, as on a real trunk

    def status(self) -> dict[str, Any]:
        return {
            "running": self.running,
            "seed": self.seed,
            "generated": self.generated,
            "errors": self.errors,
            "profile": None if self.profile is None else self.profile.to_json(),
        }

"""A driver for the sans-I/O engine: a controllable clock, readable ids, and effect queries.

It plays the part of the runner and of Asterisk, by hand: tests say what happened ("the agent's
leg answered") and look at what the engine asked for. Timers fire only when a test advances the
clock past them, in order.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from acd.config import EngineSettings, QueueSettings
from acd.engine.core import Engine
from acd.engine.effects import (
    AgentActivityRecord,
    CallEventRecord,
    CallRecord,
    CancelTimer,
    Effect,
    Hangup,
    Originate,
    StartTimer,
)
from acd.engine.inputs import (
    AgentProfile,
    CallerEntered,
    ChannelGone,
    Input,
    LegAnswered,
    Login,
    SetReady,
    TimerFired,
    UpsertAgent,
)
from acd.state.agent import AgentState

T = TypeVar("T")


@dataclass
class Harness:
    queues: list[QueueSettings] = field(default_factory=lambda: [QueueSettings(name="support")])
    settings: EngineSettings = field(default_factory=EngineSettings)
    now: float = 1000.0
    seed: int = 7

    def __post_init__(self) -> None:
        counter = itertools.count(1)
        self.engine = Engine(
            self.queues, self.settings, id_factory=lambda: f"id{next(counter)}", seed=self.seed
        )
        self.effects: list[Effect] = []
        self.timers: dict[tuple[str, str], tuple[float, int]] = {}

    # ------------------------------------------------------------ driving

    def feed(self, inp: Input) -> list[Effect]:
        out = self.engine.handle(inp, self.now)
        for effect in out:
            if isinstance(effect, StartTimer):
                self.timers[effect.key] = (effect.at, effect.token)
            elif isinstance(effect, CancelTimer):
                self.timers.pop(effect.key, None)
        self.effects.extend(out)
        return out

    def advance(self, seconds: float) -> None:
        """Move the clock, firing due timers in time order (each may start new ones)."""
        target = self.now + seconds
        while True:
            due = sorted((at, key) for key, (at, _) in self.timers.items() if at <= target)
            if not due:
                break
            at, key = due[0]
            _, token = self.timers.pop(key)
            self.now = max(self.now, at)
            self.feed(TimerFired(key, token))
        self.now = target

    def add_agent(
        self,
        agent_id: str,
        queues: dict[str, int] | None = None,
        *,
        ready: bool = True,
        wrapup: float | None = None,
    ) -> None:
        skills = queues if queues is not None else {"support": 1}
        self.feed(UpsertAgent(AgentProfile(agent_id, agent_id.title(), f"PJSIP/{agent_id}", skills, wrapup)))
        if ready:
            self.feed(Login(agent_id))
            self.feed(SetReady(agent_id))

    def caller(
        self,
        channel_id: str,
        queue: str = "support",
        name: str = "Caller",
        number: str = "+1555",
        priority: int | None = None,
    ) -> list[Effect]:
        return self.feed(CallerEntered(channel_id, queue, number, name, priority))

    def answer(self, leg_id: str) -> list[Effect]:
        offer = self.engine.offers.get(leg_id)
        call_id = offer.call_id if offer else "?"
        return self.feed(LegAnswered(leg_id, "agent", call_id))

    def gone(
        self, channel_id: str, cause: int | None = 16, cause_txt: str = "Normal Clearing"
    ) -> list[Effect]:
        return self.feed(ChannelGone(channel_id, cause, cause_txt))

    # ------------------------------------------------------------ queries

    def of(self, kind: type[T], effects: Iterable[Effect] | None = None) -> list[T]:
        return [e for e in (self.effects if effects is None else effects) if isinstance(e, kind)]

    def originates(self, effects: Iterable[Effect] | None = None) -> list[Originate]:
        return self.of(Originate, effects)

    def last_originate_to(self, agent_id: str) -> Originate:
        return [o for o in self.originates() if o.endpoint == f"PJSIP/{agent_id}"][-1]

    def hangups(self, effects: Iterable[Effect] | None = None) -> list[str]:
        return [h.channel_id for h in self.of(Hangup, effects)]

    def state(self, agent_id: str) -> AgentState:
        return self.engine.agents[agent_id].state

    def agent(self, agent_id: str) -> Any:
        return self.engine.agents[agent_id]

    def call_events(self, call_id: str | None = None) -> list[str]:
        return [e.event_type for e in self.of(CallEventRecord) if call_id is None or e.call_id == call_id]

    def call_rows(self, call_id: str) -> list[CallRecord]:
        return [r for r in self.of(CallRecord) if r.call_id == call_id]

    def activities(self, agent_id: str) -> list[tuple[str, str, str | None]]:
        return [
            (r.from_state, r.to_state, r.reason)
            for r in self.of(AgentActivityRecord)
            if r.agent_id == agent_id
        ]

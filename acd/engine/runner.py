"""The runner: the single owner of the engine, and the executor of its effects.

Every input (an ARI event, a command from a page, a timer) goes through :meth:`EngineRunner.apply`,
which calls the engine synchronously: the engine never awaits, so inputs are applied one at a time
in the order they arrive, without locks. The effects are then carried out without blocking the
next input: telephony actions go to the action sink (which runs one lane per call, in order),
records to the outbox (which never waits on PostgreSQL), notifications to the live hub, timers to
the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from acd.engine.base import SUPERVISORS
from acd.engine.core import Engine
from acd.engine.effects import (
    AgentActivityRecord,
    CallEventRecord,
    CallRecord,
    CancelTimer,
    Effect,
    Notify,
    StartTimer,
    TelephonyAction,
)
from acd.engine.hub import LiveHub
from acd.engine.inputs import Command, Input, TimerFired
from acd.engine.kpis import KpiRecorder
from acd.logging import get_logger
from acd.metrics import Metrics

log = get_logger(__name__)

Record = AgentActivityRecord | CallEventRecord | CallRecord
#: A tuple, not the ``Record`` union: ``isinstance`` against ``A | B | C`` written in a loop
#: builds the union anew each time, and checks it at twice the cost (~40 effects per call).
_RECORD_TYPES = (AgentActivityRecord, CallEventRecord, CallRecord)


def _log_record(record: Record) -> None:
    """The engine's decisions, one event name per line with the ids bound (debug level)."""
    if isinstance(record, CallEventRecord):
        log.debug(
            f"call.{record.event_type}",
            call_id=record.call_id,
            queue=record.queue,
            agent_id=record.agent_id,
            **record.data,
        )
    elif isinstance(record, AgentActivityRecord):
        log.debug(
            "agent.state_changed",
            agent_id=record.agent_id,
            from_state=record.from_state,
            to_state=record.to_state,
            reason=record.reason,
            call_id=record.metadata.get("call_id"),
        )


class ActionSink(Protocol):
    def submit(self, actions: list[TelephonyAction]) -> None: ...


class RecordSink(Protocol):
    def submit(self, record: Record) -> None: ...


class _NoActions:
    def submit(self, actions: list[TelephonyAction]) -> None:
        log.warning("runner.actions_dropped", count=len(actions))


class EngineRunner:
    def __init__(
        self,
        engine: Engine,
        *,
        metrics: Metrics,
        hub: LiveHub | None = None,
        records: RecordSink | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.metrics = metrics
        self.hub = hub or LiveHub()
        self.records = records
        self.actions: ActionSink = _NoActions()
        self.kpis = KpiRecorder(metrics, engine.settings.short_abandon_seconds)
        self._clock = clock
        self._timers: dict[tuple[str, str], asyncio.TimerHandle] = {}
        self._changed = False
        self._observe = metrics.routing_seconds.labels().observe
        self._debug = log.is_enabled_for(logging.DEBUG) if hasattr(log, "is_enabled_for") else False
        self._errors = metrics.engine_errors

    @property
    def changed(self) -> bool:
        """True if state changed since the last call to :meth:`clear_changed` (for snapshots)."""
        return self._changed

    def clear_changed(self) -> None:
        self._changed = False

    def now(self) -> float:
        return self._clock()

    # ------------------------------------------------------------ inputs

    def apply(self, inp: Input) -> None:
        """Apply one input now. A command refused by the engine raises CommandRejected."""
        started = time.perf_counter()
        try:
            effects = self.engine.handle(inp, self._clock())
        except Exception as exc:
            kind = "rejected" if type(exc).__name__ == "CommandRejected" else "crash"
            self._errors.labels(kind).inc()
            if kind == "crash":
                log.exception("engine.input_failed", input=type(inp).__name__)
            raise
        finally:
            self._observe(time.perf_counter() - started)
        self._changed = True
        self._carry_out(effects)

    def apply_safely(self, inp: Input) -> None:
        """Apply an input that came from the outside world: a failure is logged, never raised."""
        try:
            self.apply(inp)
        except Exception:  # noqa: BLE001 - logged and counted in apply(); one bad input must not stop us
            return

    def command(self, cmd: Command) -> dict[str, Any] | None:
        """Apply a command from a person; the agent's view after it, for the API's answer."""
        self.apply(cmd)
        agent_id = getattr(cmd, "agent_id", None)
        if agent_id and agent_id in self.engine.agents:
            return self.engine.agent_view(self.engine.agents[agent_id])
        return None

    # ------------------------------------------------------------ effects

    def _carry_out(self, effects: list[Effect]) -> None:
        actions: list[TelephonyAction] = []
        for effect in effects:
            if isinstance(effect, Notify):
                self.hub.publish(effect.topic, effect.kind, effect.data)
            elif isinstance(effect, _RECORD_TYPES):
                self.kpis.observe(effect)
                if self.records is not None:
                    self.records.submit(effect)
                if self._debug:
                    _log_record(effect)
            elif isinstance(effect, StartTimer):
                self._start_timer(effect)
            elif isinstance(effect, CancelTimer):
                handle = self._timers.pop(effect.key, None)
                if handle is not None:
                    handle.cancel()
            else:
                actions.append(effect)
        if actions:
            self.actions.submit(actions)

    def _start_timer(self, effect: StartTimer) -> None:
        previous = self._timers.pop(effect.key, None)
        if previous is not None:
            previous.cancel()
        loop = asyncio.get_running_loop()
        delay = max(0.0, effect.at - self._clock())
        self._timers[effect.key] = loop.call_later(delay, self._fire, effect.key, effect.token)

    def _fire(self, key: tuple[str, str], token: int) -> None:
        self._timers.pop(key, None)
        self.apply_safely(TimerFired(key, token))

    def cancel_all_timers(self) -> None:
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()

    def publish_queue_stats(self) -> None:
        """Queue counters for supervisors' pages, coalesced: called a few times a second."""
        for name in self.engine.take_dirty_queues():
            if name in self.engine.queue_calls:
                self.hub.publish(SUPERVISORS, "queue.stats", self.engine.queue_view(name))

    # ------------------------------------------------------------ gauges

    def refresh_gauges(self) -> None:
        """Queue gauges from the engine's live state (called before each scrape and periodically)."""
        engine = self.engine
        now = self._clock()
        metrics = self.metrics
        for name, calls in engine.queue_calls.items():
            metrics.calls_waiting.labels(name).set(len(calls.members))
            oldest = calls.oldest_entered_at()
            metrics.oldest_wait.labels(name).set(now - oldest if oldest is not None else 0.0)
            counts = engine.state_counts[name]
            for state, count in counts.items():
                if state.value != "logged-out":
                    metrics.agents.labels(name, state.value).set(count)
        metrics.browser_connections.set(self.hub.subscriber_count())

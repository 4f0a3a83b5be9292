"""Prometheus KPIs derived from the engine's records, exactly as KPIS.md defines them.

The records are the single source: the same call events that land in PostgreSQL move the
counters, so ``/metrics`` and the SQL reports can only differ by when an event was observed
(Prometheus counts at observation; reports attribute a call to the interval it entered).
"""

from __future__ import annotations

from acd.engine.effects import AgentActivityRecord, CallEventRecord, CallRecord
from acd.metrics import Metrics

_OFFER_RESULTS = {
    "answered": "answered",
    "rejected": "rejected",
    "rang-out": "timeout",
    "offer-failed": "failed",
    "offer-canceled": "canceled",
    "offer-withdrawn": "canceled",
}


class KpiRecorder:
    """Moves the KPI metrics for each record."""

    def __init__(self, metrics: Metrics, short_abandon_seconds: float) -> None:
        self.m = metrics
        self.short = short_abandon_seconds

    def observe(self, record: AgentActivityRecord | CallEventRecord | CallRecord) -> None:
        if isinstance(record, CallEventRecord):
            self._call_event(record)
        elif isinstance(record, AgentActivityRecord):
            seconds = record.metadata.get("seconds_in_previous", 0.0)
            if seconds:
                reason = record.metadata.get("from_reason") or ""
                self.m.agent_state_seconds.labels(record.from_state, reason).inc(seconds)
        elif record.wrapup_seconds is not None and record.answered_at is not None and record.queue:
            # The final row of an answered call (after its wrap-up): handle-time components.
            handle = self.m.handle_seconds
            handle.labels(record.queue, "talk").observe(record.talk_seconds or 0.0)
            handle.labels(record.queue, "hold").observe(record.hold_seconds or 0.0)
            handle.labels(record.queue, "wrapup").observe(record.wrapup_seconds)

    def _call_event(self, event: CallEventRecord) -> None:
        queue = event.queue or ""
        kind = event.event_type
        m = self.m
        if kind == "entered-queue":
            m.calls_offered.labels(queue).inc()
        elif kind == "answered":
            if queue:
                m.calls_answered.labels(queue).inc()
                m.wait_seconds.labels(queue, "answered").observe(event.data.get("wait", 0.0))
                m.offers.labels(queue, "answered").inc()
        elif kind == "abandoned":
            wait = event.data.get("wait", 0.0)
            m.calls_abandoned.labels(queue, "true" if event.data.get("short") else "false").inc()
            m.wait_seconds.labels(queue, "abandoned").observe(wait)
        elif kind == "exited":
            m.calls_exited.labels(queue, event.data.get("reason", "")).inc()
        elif kind in _OFFER_RESULTS and kind != "answered":
            m.offers.labels(queue, _OFFER_RESULTS[kind]).inc()

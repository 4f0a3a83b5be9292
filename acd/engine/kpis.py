"""Prometheus KPIs derived from the engine's records, exactly as KPIS.md defines them.

The records are the single source: the same call events that land in PostgreSQL move the
counters, so ``/metrics`` and the SQL reports can only differ by when an event was observed
(Prometheus counts at observation; reports attribute a call to the interval it entered).
"""

from __future__ import annotations

from acd.engine.effects import AgentActivityRecord, CallEventRecord, CallRecord
from acd.metrics import Metrics, SeriesCache

_OFFER_RESULTS = {
    "answered": "answered",
    "rejected": "rejected",
    "rang-out": "timeout",
    "offer-failed": "failed",
    "offer-canceled": "canceled",
    "offer-withdrawn": "canceled",
}


class KpiRecorder:
    """Moves the KPI metrics for each record (series looked up once: ``SeriesCache``)."""

    def __init__(self, metrics: Metrics, short_abandon_seconds: float) -> None:
        self.m = metrics
        self.short = short_abandon_seconds
        self._series = SeriesCache()

    def observe(self, record: AgentActivityRecord | CallEventRecord | CallRecord) -> None:
        if isinstance(record, CallEventRecord):
            self._call_event(record)
        elif isinstance(record, AgentActivityRecord):
            seconds = record.metadata.get("seconds_in_previous", 0.0)
            if seconds:
                reason = record.metadata.get("from_reason") or ""
                self._series(self.m.agent_state_seconds, record.from_state, reason).inc(seconds)
        elif record.wrapup_seconds is not None and record.answered_at is not None and record.queue:
            # The final row of an answered call (after its wrap-up): handle-time components.
            handle = self.m.handle_seconds
            series = self._series
            series(handle, record.queue, "talk").observe(record.talk_seconds or 0.0)
            series(handle, record.queue, "hold").observe(record.hold_seconds or 0.0)
            series(handle, record.queue, "wrapup").observe(record.wrapup_seconds)

    def _call_event(self, event: CallEventRecord) -> None:
        queue = event.queue or ""
        kind = event.event_type
        m = self.m
        series = self._series
        if kind == "entered-queue":
            series(m.calls_offered, queue).inc()
        elif kind == "answered":
            if queue:
                series(m.calls_answered, queue).inc()
                series(m.wait_seconds, queue, "answered").observe(event.data.get("wait", 0.0))
                series(m.offers, queue, "answered").inc()
        elif kind == "abandoned":
            wait = event.data.get("wait", 0.0)
            series(m.calls_abandoned, queue, "true" if event.data.get("short") else "false").inc()
            series(m.wait_seconds, queue, "abandoned").observe(wait)
        elif kind == "exited":
            series(m.calls_exited, queue, event.data.get("reason", "")).inc()
        elif kind in _OFFER_RESULTS and kind != "answered":
            series(m.offers, queue, _OFFER_RESULTS[kind]).inc()

"""KPI metrics from records: each record moves its labelled series, every time (children are cached)."""

from __future__ import annotations

from acd.engine.effects import AgentActivityRecord, CallEventRecord, CallRecord
from acd.engine.kpis import KpiRecorder
from acd.metrics import Metrics


def value(metrics: Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


def call_event(kind: str, queue: str = "support", **data: object) -> CallEventRecord:
    return CallEventRecord("e", "c1", kind, 0.0, queue, None, dict(data))


def test_repeated_records_keep_moving_the_same_series_and_new_labels_get_their_own() -> None:
    metrics = Metrics()
    kpis = KpiRecorder(metrics, short_abandon_seconds=5)
    for _ in range(3):
        kpis.observe(call_event("entered-queue"))
    kpis.observe(call_event("entered-queue", queue="sales"))
    for wait in (2.0, 4.0):
        kpis.observe(call_event("answered", wait=wait))
    kpis.observe(call_event("abandoned", wait=1.0, short=True))
    kpis.observe(call_event("rang-out"))
    kpis.observe(call_event("rang-out"))
    assert value(metrics, "acd_calls_offered_total", queue="support") == 3
    assert value(metrics, "acd_calls_offered_total", queue="sales") == 1
    assert value(metrics, "acd_calls_answered_total", queue="support") == 2
    assert value(metrics, "acd_wait_seconds_sum", queue="support", outcome="answered") == 6.0
    assert value(metrics, "acd_wait_seconds_count", queue="support", outcome="abandoned") == 1
    assert value(metrics, "acd_offers_total", queue="support", result="answered") == 2
    assert value(metrics, "acd_offers_total", queue="support", result="timeout") == 2


def test_agent_time_and_handle_time_accumulate_per_label() -> None:
    metrics = Metrics()
    kpis = KpiRecorder(metrics, short_abandon_seconds=5)
    for seconds in (1.5, 2.5):
        kpis.observe(
            AgentActivityRecord(
                "e", "a1", "state", "ready", "offered", None, 0.0, {"seconds_in_previous": seconds}
            )
        )
    kpis.observe(
        AgentActivityRecord(
            "e",
            "a1",
            "state",
            "not-ready",
            "ready",
            None,
            0.0,
            {"seconds_in_previous": 3.0, "from_reason": "break"},
        )
    )
    record = CallRecord(
        "c1", 1, "inbound", "support", "a1", "", "", "ended", "completed-by-caller", 0.0, 0.0, 0.0, 1.0, 9.0,
        1.0, 8.0, 0.0, 9.0, None, wrapup_seconds=3.0,
    )  # fmt: skip
    kpis.observe(record)
    kpis.observe(record)
    assert value(metrics, "acd_agent_state_seconds_total", state="ready", reason="") == 4.0
    assert value(metrics, "acd_agent_state_seconds_total", state="not-ready", reason="break") == 3.0
    assert value(metrics, "acd_handle_seconds_sum", queue="support", component="talk") == 16.0
    assert value(metrics, "acd_handle_seconds_count", queue="support", component="wrapup") == 2

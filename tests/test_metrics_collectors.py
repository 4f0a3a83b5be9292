"""acd's loop-only counters and histograms must scrape exactly as prometheus_client's own."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from acd.metrics import LATENCY_BUCKETS, WAIT_BUCKETS, LoopCounter, LoopHistogram, Metrics

LABELS = st.sampled_from(["support", "sales", 'we"ird\\q', "é"])
AMOUNTS = st.floats(min_value=0, max_value=1e6, allow_nan=False) | st.sampled_from(
    [0.0, 5.0, 10.0, 0.0005, 600.0, 601.0, math.inf, math.nan]
)


@given(st.lists(st.tuples(LABELS, LABELS, AMOUNTS), max_size=40))
def test_histogram_exposition_matches_the_library(observations: list[tuple[str, str, float]]) -> None:
    ours_registry, theirs_registry = CollectorRegistry(), CollectorRegistry()
    labels = ["queue", "outcome"]
    ours = LoopHistogram("h_seconds", "help", labels, buckets=WAIT_BUCKETS, registry=ours_registry)
    theirs = Histogram("h_seconds", "help", labels, buckets=WAIT_BUCKETS, registry=theirs_registry)
    for queue, outcome, amount in observations:
        ours.labels(queue, outcome).observe(amount)
        theirs.labels(queue, outcome).observe(amount)
    assert generate_latest(ours_registry) == generate_latest(theirs_registry)


@given(st.lists(AMOUNTS, max_size=20))
def test_unlabelled_histogram_matches_the_library(observations: list[float]) -> None:
    ours_registry, theirs_registry = CollectorRegistry(), CollectorRegistry()
    ours = LoopHistogram("lat_seconds", "help", buckets=LATENCY_BUCKETS, registry=ours_registry)
    theirs = Histogram("lat_seconds", "help", buckets=LATENCY_BUCKETS, registry=theirs_registry)
    for amount in observations:
        ours.observe(amount)
        theirs.observe(amount)
    assert generate_latest(ours_registry) == generate_latest(theirs_registry)


@given(st.lists(st.tuples(LABELS, AMOUNTS), max_size=40))
def test_counter_exposition_matches_the_library(increments: list[tuple[str, float]]) -> None:
    ours_registry, theirs_registry = CollectorRegistry(), CollectorRegistry()
    ours = LoopCounter("c", "help", ["queue"], registry=ours_registry)
    theirs = Counter("c", "help", ["queue"], registry=theirs_registry)
    bare_ours = LoopCounter("d", "help", registry=ours_registry)
    bare_theirs = Counter("d", "help", registry=theirs_registry)
    for queue, amount in increments:
        ours.labels(queue).inc(amount)
        theirs.labels(queue).inc(amount)
        bare_ours.inc()
        bare_theirs.inc()
    assert generate_latest(ours_registry) == generate_latest(theirs_registry)


def test_bad_use_fails_as_the_library_does() -> None:
    registry = CollectorRegistry()
    counter = LoopCounter("c", "help", ["queue"], registry=registry)
    with pytest.raises(ValueError, match="non-negative"):
        counter.labels("q").inc(-1)
    with pytest.raises(ValueError, match="expected labels"):
        counter.labels("q", "extra")
    with pytest.raises(ValueError, match="Duplicated timeseries"):
        LoopCounter("c", "help", registry=registry)
    with pytest.raises(ValueError, match="sorted"):
        LoopHistogram("h", "help", buckets=(2.0, 1.0), registry=registry)


def test_metrics_read_back_through_the_registry() -> None:
    metrics = Metrics()
    metrics.calls_offered.labels("support").inc()
    metrics.routing_seconds.observe(0.00002)
    assert metrics.registry.get_sample_value("acd_calls_offered_total", {"queue": "support"}) == 1.0
    assert metrics.registry.get_sample_value("acd_routing_seconds_count") == 1.0
    assert metrics.registry.get_sample_value("acd_routing_seconds_bucket", {"le": "5e-05"}) == 1.0

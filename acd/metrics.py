"""Every Prometheus series acd exports, in one place, on a registry of its own.

Names and meanings follow ``KPIS.md`` exactly (the help text names the variant). Labels stay
low-cardinality: queue, outcome, state, reason, operation, status; never an agent or call id.
Each daemon (and each test) builds its own ``Metrics`` with a fresh ``CollectorRegistry``, because
the global registry cannot be shared between engines in one process.
"""

from __future__ import annotations

import itertools
import math
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar

import prometheus_client
from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

# The *_created series double what Prometheus scrapes and nobody queries them. (The function is
# untyped in prometheus_client, hence getattr.)
getattr(prometheus_client, "disable_created_metrics")()  # noqa: B009
#: How the library writes a bucket's ``le`` (untyped there too).
_go_float: Callable[[float], str] = getattr(prometheus_client.utils, "floatToGoString")  # noqa: B009

V = TypeVar("V")

# Bucket edges exactly at the service-level thresholds we promise (KPIS.md).
WAIT_BUCKETS = (5.0, 10.0, 15.0, 20.0, 30.0, 45.0, 60.0, 90.0, 120.0, 180.0, 300.0, 600.0)
HANDLE_BUCKETS = (10.0, 30.0, 60.0, 120.0, 180.0, 300.0, 600.0, 900.0, 1800.0, 3600.0)
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class _LoopMetric(Collector, Generic[V]):
    """A metric for the event loop's hot paths, exported through prometheus_client's collector API.

    prometheus_client's own ``Counter`` and ``Histogram`` take a thread lock for every change and
    check and join label values in ``labels()`` (about 1 us each, cold more): that is for threads,
    and acd changes these series only from its one event-loop thread, some fifty times per call.
    Here a series is one dict lookup by its label values and keeps plain floats; a scrape turns
    them into the library's metric families, so the exposition is the library's, byte for byte
    (tested against its own classes).
    """

    def __init__(
        self,
        name: str,
        documentation: str,
        labelnames: Sequence[str],
        registry: CollectorRegistry,
        new_series: Callable[[], V],
    ) -> None:
        self._name = name
        self._documentation = documentation
        self._labelnames = tuple(labelnames)
        self._new_series = new_series
        self._children: dict[tuple[str, ...], V] = {}
        if not self._labelnames:
            self._children[()] = new_series()
        registry.register(self)

    def labels(self, *values: str) -> V:
        child = self._children.get(values)
        if child is None:
            if len(values) != len(self._labelnames):
                raise ValueError(f"{self._name}: expected labels {self._labelnames}, got {values}")
            key = tuple(str(v) for v in values)
            child = self._children.get(key)
            if child is None:
                child = self._children[key] = self._new_series()
        return child

    def _family(self) -> Any:
        raise NotImplementedError

    def describe(self) -> list[Any]:
        """The registry refuses a second series of the same name by this."""
        return [self._family()]


class _CounterValue:
    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0.0

    def inc(self, amount: float = 1.0) -> None:
        if amount < 0:
            raise ValueError("Counters can only be incremented by non-negative amounts.")
        self.value += amount


class LoopCounter(_LoopMetric[_CounterValue]):
    def __init__(
        self, name: str, documentation: str, labelnames: Sequence[str] = (), *, registry: CollectorRegistry
    ) -> None:
        super().__init__(name, documentation, labelnames, registry, _CounterValue)

    def inc(self, amount: float = 1.0) -> None:
        self._children[()].inc(amount)

    def _family(self) -> CounterMetricFamily:
        return CounterMetricFamily(self._name, self._documentation, labels=self._labelnames)

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = self._family()
        for labels, child in list(self._children.items()):
            family.add_metric(labels, child.value)
        yield family


class _HistogramValue:
    __slots__ = ("_bounds", "counts", "sum")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self._bounds = bounds
        self.counts = [0.0] * len(bounds)
        self.sum = 0.0

    def observe(self, amount: float) -> None:
        if not math.isnan(amount):  # NaN falls in no bucket, as with the library
            # The first bound >= amount: Prometheus buckets are "less than or equal".
            self.counts[bisect_left(self._bounds, amount)] += 1.0
        self.sum += amount


class LoopHistogram(_LoopMetric[_HistogramValue]):
    def __init__(
        self,
        name: str,
        documentation: str,
        labelnames: Sequence[str] = (),
        *,
        buckets: Sequence[float],
        registry: CollectorRegistry,
    ) -> None:
        bounds = [float(b) for b in buckets]
        if bounds != sorted(bounds):
            raise ValueError(f"{name}: buckets not in sorted order")
        if not bounds or bounds[-1] != math.inf:
            bounds.append(math.inf)
        frozen_bounds = tuple(bounds)
        self._les = tuple(_go_float(b) for b in bounds)
        super().__init__(name, documentation, labelnames, registry, lambda: _HistogramValue(frozen_bounds))

    def observe(self, amount: float) -> None:
        self._children[()].observe(amount)

    def _family(self) -> HistogramMetricFamily:
        return HistogramMetricFamily(self._name, self._documentation, labels=self._labelnames)

    def collect(self) -> Iterator[HistogramMetricFamily]:
        family = self._family()
        for labels, child in list(self._children.items()):
            cumulative = list(itertools.accumulate(child.counts))
            family.add_metric(labels, list(zip(self._les, cumulative, strict=True)), child.sum)
        yield family


class Metrics:
    """The collectors; attributes are named after the series without the ``acd_`` prefix."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        # --- call-center KPIs (KPIS.md) ---
        self.calls_offered = LoopCounter(
            "acd_calls_offered", "O: calls that entered the queue", ["queue"], registry=r
        )
        self.calls_answered = LoopCounter(
            "acd_calls_answered", "A: calls connected to an agent", ["queue"], registry=r
        )
        self.calls_abandoned = LoopCounter(
            "acd_calls_abandoned",
            "Ab: caller hung up while waiting (ringing an agent counts as waiting); "
            "short=true when the wait was under the short-abandon threshold",
            ["queue", "short"],
            registry=r,
        )
        self.calls_exited = LoopCounter(
            "acd_calls_exited",
            "X: left the queue by timeout, full queue, join/leave-empty, exit key or transfer",
            ["queue", "reason"],
            registry=r,
        )
        self.offers = LoopCounter(
            "acd_offers",
            "Offers of a call to an agent, by result",
            ["queue", "result"],
            registry=r,
        )
        self.wait_seconds = LoopHistogram(
            "acd_wait_seconds",
            "Wait from entering the queue to answer (outcome=answered) or abandon "
            "(outcome=abandoned); includes agent ring time",
            ["queue", "outcome"],
            buckets=WAIT_BUCKETS,
            registry=r,
        )
        self.handle_seconds = LoopHistogram(
            "acd_handle_seconds",
            "Handle time components of answered calls (talk, hold, wrapup); AHT = their sum / handled",
            ["queue", "component"],
            buckets=HANDLE_BUCKETS,
            registry=r,
        )
        self.calls_waiting = Gauge(
            "acd_calls_waiting", "Calls waiting in the queue now", ["queue"], registry=r
        )
        self.oldest_wait = Gauge(
            "acd_oldest_wait_seconds",
            "Age of the oldest waiting call (longest current wait)",
            ["queue"],
            registry=r,
        )
        self.agents = Gauge(
            "acd_agents",
            "Logged-in agents who are members of the queue, by state",
            ["queue", "state"],
            registry=r,
        )
        self.agent_state_seconds = LoopCounter(
            "acd_agent_state_seconds",
            "Agent time spent per state (and not-ready reason), for occupancy and utilization",
            ["state", "reason"],
            registry=r,
        )
        # --- the daemon's own health ---
        self.ari_request_seconds = LoopHistogram(
            "acd_ari_request_seconds",
            "Latency of ARI REST requests by operation",
            ["operation"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.ari_errors = Counter(
            "acd_ari_errors",
            "ARI REST answers that were errors, by HTTP status (0: no answer)",
            ["operation", "status"],
            registry=r,
        )
        self.ari_ws_reconnects = Counter(
            "acd_ari_websocket_reconnects",
            "Times the ARI event WebSocket was (re)connected after a loss",
            registry=r,
        )
        self.ari_connected = Gauge(
            "acd_ari_connected", "1 while the ARI event WebSocket is connected", registry=r
        )
        self.ari_events = LoopCounter("acd_ari_events", "ARI events received, by type", ["type"], registry=r)
        self.ari_events_unparsed = Counter(
            "acd_ari_events_unparsed",
            "ARI messages that could not be parsed (reason=malformed), are of a type we do not model "
            "(reason=unknown), or parsed but could not become an engine input (reason=untranslatable)",
            ["reason"],
            registry=r,
        )
        self.engine_errors = Counter(
            "acd_engine_errors",
            "Inputs the engine refused or failed to handle, by kind",
            ["kind"],
            registry=r,
        )
        self.routing_seconds = LoopHistogram(
            "acd_routing_seconds",
            "Time to handle one engine input, routing decision included",
            buckets=(0.00001, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05),
            registry=r,
        )
        self.loop_lag = Gauge(
            "acd_event_loop_lag_seconds", "Event-loop lag measured by a periodic probe", registry=r
        )
        self.outbox_backlog = Gauge(
            "acd_outbox_backlog", "Records accepted but not yet committed to PostgreSQL", registry=r
        )
        self.journal_bytes = Gauge(
            "acd_outbox_journal_bytes",
            "Size of the on-disk journal of records waiting for PostgreSQL",
            registry=r,
        )
        self.journal_torn_lines = Counter(
            "acd_outbox_journal_torn_lines",
            "Journal lines that could not be read back (a write torn by a crash) and were skipped",
            registry=r,
        )
        self.records_rejected = Counter(
            "acd_outbox_rejected",
            "Records PostgreSQL refused as invalid, set aside in the journal's rejected.jsonl",
            registry=r,
        )
        self.db_up = Gauge("acd_database_up", "1 while PostgreSQL accepts the outbox's writes", registry=r)
        self.records_written = Counter(
            "acd_records_written", "Records committed to PostgreSQL, by table", ["table"], registry=r
        )
        self.browser_connections = Gauge(
            "acd_browser_connections", "Open live-event streams to agent and supervisor pages", registry=r
        )
        self.http_errors = Counter(
            "acd_http_errors", "API requests refused, by HTTP status", ["status"], registry=r
        )
        self.login_failures = Counter(
            "acd_login_failures", "Refused login attempts, by reason", ["reason"], registry=r
        )

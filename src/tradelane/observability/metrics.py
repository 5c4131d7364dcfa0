"""Prometheus metrics: the counters and histograms the hot paths update, and the gauges read from the store
when ``/metrics`` is scraped.

Everything lives on :data:`REGISTRY`, a module-level :class:`~prometheus_client.CollectorRegistry` rather
than the library's global default, so tests (and the ``/metrics`` route) read exactly Tradelane's metrics.

Updated in-process (cheap: a dict lookup and a locked add):

* ingest — ``tradelane_ingest_events_total{channel,outcome}`` (``accepted`` | ``duplicate``),
  ``tradelane_ingest_rejected_total{channel,status}`` (4xx answers on ingest routes, counted by
  :class:`tradelane.observability.tracing.ObservabilityMiddleware`), ``tradelane_ingest_latency_seconds``
  (submit → durable commit) and ``tradelane_ingest_commit_batch_size`` (submissions per group commit);
* delivery — ``tradelane_delivery_attempts_total{endpoint,outcome}``, ``tradelane_delivery_latency_seconds
  {endpoint}`` (one send), ``tradelane_delivery_retries_total{endpoint}``,
  ``tradelane_delivery_dead_lettered_total{endpoint}``;
* Odoo — ``tradelane_odoo_rpc_calls_total{model,method}``, ``tradelane_odoo_rpc_errors_total
  {model,method,error}``, ``tradelane_odoo_rpc_latency_seconds{model,method}``;
* flows — ``tradelane_sla_breaches_total{flow,sla}`` (incremented by the SLA timers);
* HTTP — ``tradelane_http_requests_total{method,route,status}``.

Read from the store at scrape time (see :func:`exposition`): deliveries by status, DLQ size, queue
depth and age of the oldest pending delivery per lane, pending deliveries (and, when the store reports it, the
oldest one's age) per destination, breaker state, disabled flag and seconds since the last success per
endpoint.

Several API processes each keep their own counters: scrape each one (or run prometheus_client's multiprocess
mode); the store gauges are global and the same from every process.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector
from prometheus_client.values import MutexValue

__all__ = [
    "BREAKER_STATE_VALUES",
    "CONTENT_TYPE",
    "DELIVERY_ATTEMPTS",
    "DELIVERY_DEAD",
    "DELIVERY_LATENCY",
    "DELIVERY_RETRIES",
    "HTTP_REQUESTS",
    "INGEST_BATCH",
    "INGEST_EVENTS",
    "INGEST_LATENCY",
    "INGEST_REJECTED",
    "INGEST_ROUTES",
    "ODOO_RPC_CALLS",
    "ODOO_RPC_ERRORS",
    "ODOO_RPC_LATENCY",
    "REGISTRY",
    "SLA_BREACHES",
    "StatsSource",
    "StoreSnapshot",
    "count_http",
    "exposition",
    "read_store",
    "record_attempt",
    "record_ingest",
    "render",
    "snapshot_from",
]

#: the registry ``/metrics`` serves; not prometheus_client's global default
REGISTRY = CollectorRegistry(auto_describe=True)
#: media type of the text exposition format
CONTENT_TYPE = CONTENT_TYPE_LATEST

#: latency buckets (seconds) for in-process work: ingest commits and Odoo calls
FAST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: latency buckets (seconds) for one outbound send, up to the longest sensible endpoint timeout
SEND_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
#: group-commit sizes (submissions per transaction)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
#: gauge value per breaker state
BREAKER_STATE_VALUES: Mapping[str, int] = {"closed": 0, "half_open": 1, "open": 2}

INGEST_EVENTS = Counter(
    "tradelane_ingest_events", "Events committed by ingest, by channel and outcome (accepted, duplicate)",
    ["channel", "outcome"], registry=REGISTRY,
)
INGEST_REJECTED = Counter(
    "tradelane_ingest_rejected", "Ingest requests answered 4xx (invalid, too large, conflicting, refused)",
    ["channel", "status"], registry=REGISTRY,
)
INGEST_LATENCY = Histogram(
    "tradelane_ingest_latency_seconds", "Submit to durable commit, per submission", ["channel"],
    buckets=FAST_BUCKETS, registry=REGISTRY,
)
INGEST_BATCH = Histogram(
    "tradelane_ingest_commit_batch_size", "Submissions written by one group commit", buckets=BATCH_BUCKETS,
    registry=REGISTRY,
)
DELIVERY_ATTEMPTS = Counter(
    "tradelane_delivery_attempts", "Delivery attempts by endpoint and outcome (success, retry, dead, disabled)",
    ["endpoint", "outcome"], registry=REGISTRY,
)
DELIVERY_LATENCY = Histogram(
    "tradelane_delivery_latency_seconds", "Duration of one send to an endpoint", ["endpoint"],
    buckets=SEND_BUCKETS, registry=REGISTRY,
)
DELIVERY_RETRIES = Counter(
    "tradelane_delivery_retries", "Attempts that failed and were rescheduled", ["endpoint"], registry=REGISTRY,
)
DELIVERY_DEAD = Counter(
    "tradelane_delivery_dead_lettered", "Deliveries moved to the dead-letter status", ["endpoint"],
    registry=REGISTRY,
)
ODOO_RPC_CALLS = Counter(
    "tradelane_odoo_rpc_calls", "Odoo RPC calls (one per logical call, retries included)", ["model", "method"],
    registry=REGISTRY,
)
ODOO_RPC_ERRORS = Counter(
    "tradelane_odoo_rpc_errors", "Odoo RPC calls that failed, by error class", ["model", "method", "error"],
    registry=REGISTRY,
)
ODOO_RPC_LATENCY = Histogram(
    "tradelane_odoo_rpc_latency_seconds", "Duration of one logical Odoo call", ["model", "method"],
    buckets=FAST_BUCKETS, registry=REGISTRY,
)
SLA_BREACHES = Counter(
    "tradelane_sla_breaches", "Business SLAs breached, by flow and SLA name", ["flow", "sla"], registry=REGISTRY,
)
HTTP_REQUESTS = Counter(
    "tradelane_http_requests", "HTTP requests answered, by route template and status",
    ["method", "route", "status"], registry=REGISTRY,
)


def record_ingest(channel: str, results: Any, seconds: float) -> None:
    """Count one submission's events as accepted or duplicate and observe its commit latency.

    :param results: the :class:`~tradelane.ports.store.SubmissionResult` (its body carries one entry per
        event with ``status`` ``accepted`` or ``duplicate``)
    """
    _observer(INGEST_LATENCY, channel)(seconds)
    body = results.body
    if isinstance(body, dict) and "events" not in body:  # one event: its entry is the body
        if "status" in body:
            outcome = "accepted" if body["status"] == "accepted" else "duplicate"
            _incrementer(INGEST_EVENTS, channel, outcome)(1.0)
        return
    entries = body.get("events") if isinstance(body, dict) else [body]
    accepted = duplicate = 0
    for e in entries if isinstance(entries, list) else ():
        if isinstance(e, dict) and e.get("status") == "accepted":
            accepted += 1
        elif isinstance(e, dict) and "status" in e:
            duplicate += 1
    if accepted:
        _incrementer(INGEST_EVENTS, channel, "accepted")(accepted)
    if duplicate:
        _incrementer(INGEST_EVENTS, channel, "duplicate")(duplicate)


def observe_commit_batch(size: int) -> None:
    """Observe how many submissions one group commit wrote (``tradelane_ingest_commit_batch_size``)."""
    _observer(INGEST_BATCH)(size)


#: label children of the hot paths' metrics, resolved once: ``labels()`` takes a lock and builds its key
#: on every call (measured: about 2 µs each, several per ingest request)
_children: dict[tuple[Any, ...], Any] = {}
#: the hot paths' update functions per (metric, labels): see :func:`_incrementer` and :func:`_observer`
_updaters: dict[tuple[Any, ...], Callable[[float], None]] = {}


def _child(metric: Any, *labels: str) -> Any:
    """``metric.labels(*labels)``, cached (children are never removed from these metrics); the metric itself
    when it has no labels."""
    key = (metric, *labels)
    child = _children.get(key)
    if child is None:
        child = _children[key] = metric.labels(*labels) if labels else metric
    return child


def _incrementer(metric: Any, *labels: str) -> Callable[[float], None]:
    """The increment of a counter child: its value cell's own locked ``inc``, without ``Counter.inc``'s
    per-call checks (the child is observable and the amounts are never negative). In prometheus_client's
    multiprocess mode (another value class) it is the child's ``inc``."""
    key = (metric, *labels)
    fn = _updaters.get(key)
    if fn is None:
        child = _child(metric, *labels)
        cell = getattr(child, "_value", None)
        fn = _updaters[key] = cell.inc if isinstance(cell, MutexValue) else child.inc
    return fn


def _observer(metric: Any, *labels: str) -> Callable[[float], None]:
    """The observation of a histogram child: its sum cell and the first bucket whose bound is at least the
    value (``bisect_left`` finds the bucket ``Histogram.observe``'s scan finds), each through its own lock.
    Measured: a third of the cost of ``observe`` with the hub's 14 latency buckets. Falls back to the
    child's ``observe`` when the internals are not the expected ones."""
    key = (metric, *labels)
    fn = _updaters.get(key)
    if fn is None:
        child = _child(metric, *labels)
        bounds = list(getattr(child, "_upper_bounds", ()))
        buckets = list(getattr(child, "_buckets", ()))
        total = getattr(child, "_sum", None)
        if (
            bounds
            and len(bounds) == len(buckets)
            and bounds[-1] == math.inf
            and isinstance(total, MutexValue)
            and all(isinstance(b, MutexValue) for b in buckets)
        ):
            incs = [b.inc for b in buckets]
            add = total.inc

            def fn(value: float) -> None:
                add(value)
                incs[bisect_left(bounds, value)](1.0)

        else:
            fn = child.observe
        _updaters[key] = fn
    return fn


#: ``(method, route, status)`` → the increment of its ``tradelane_http_requests_total`` child
_http_counts: dict[tuple[str, str, int], Callable[[float], None]] = {}


def count_http(method: str, route: str, status: int) -> None:
    """Count one answered HTTP request (``tradelane_http_requests_total``) and, on an ingest route, a 4xx
    as a rejected ingest request (``tradelane_ingest_rejected_total``).

    :param route: the matched route's path template (bounded label values), see
        :class:`tradelane.observability.tracing.ObservabilityMiddleware`
    """
    inc = _http_counts.get((method, route, status))
    if inc is None:
        inc = _http_counts[(method, route, status)] = _incrementer(HTTP_REQUESTS, method, route, str(status))
    inc(1.0)
    if not 400 <= status < 500:
        return
    code = str(status)
    channel = INGEST_ROUTES.get(route)
    if channel is not None and method == "POST" and 400 <= status < 500:
        _child(INGEST_REJECTED, channel, code).inc()


#: ingest routes (templates) and the channel their rejections are counted under
INGEST_ROUTES: Mapping[str, str] = {
    "/v1/events": "api",
    "/v1/events/batch": "api",
    "/v1/hooks/{name}": "webhook",
    "/v1/edi/{partner}/interchanges": "edi",
}


@dataclass
class _EndpointMetrics:
    """Label children of one endpoint, resolved once (``labels()`` costs a lock and a dict lookup)."""

    latency: Any
    retries: Any
    dead: Any
    outcomes: dict[str, Any] = field(default_factory=dict)


_endpoint_cache: dict[str, _EndpointMetrics] = {}


def _endpoint(name: str) -> _EndpointMetrics:
    m = _endpoint_cache.get(name)
    if m is None:
        m = _endpoint_cache[name] = _EndpointMetrics(
            DELIVERY_LATENCY.labels(name), DELIVERY_RETRIES.labels(name), DELIVERY_DEAD.labels(name)
        )
    return m


def record_attempt(endpoint: str, outcome: str, seconds: float | None) -> None:
    """One finished attempt: ``outcome`` is ``success``, ``retry``, ``dead`` or ``disabled``.

    :param seconds: how long the send took; ``None`` when nothing was sent (endpoint disabled, no endpoint)
    """
    m = _endpoint(endpoint)
    child = m.outcomes.get(outcome)
    if child is None:
        child = m.outcomes[outcome] = DELIVERY_ATTEMPTS.labels(endpoint, outcome)
    child.inc()
    if seconds is not None:
        m.latency.observe(seconds)
    if outcome == "retry":
        m.retries.inc()
    elif outcome in ("dead", "disabled"):
        m.dead.inc()


# -- scrape-time gauges from the store ----------------------------------------------------------------


class StatsSource(Protocol):
    """What the store gauges need (``SqlStore`` provides it; the API reaches it through the hub)."""

    async def delivery_stats(self) -> dict[str, Any]: ...

    async def endpoint_states(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class StoreSnapshot:
    """The store figures of one scrape."""

    #: deliveries by status (pending, done, dead, filtered)
    by_status: Mapping[str, int] = field(default_factory=dict)
    #: pending deliveries per lane
    queue_depth: Mapping[str, int] = field(default_factory=dict)
    #: seconds since the oldest pending delivery per lane was created
    oldest_pending_age_s: Mapping[str, float] = field(default_factory=dict)
    #: pending deliveries per destination (the backlog per partner endpoint)
    pending_by_destination: Mapping[str, int] = field(default_factory=dict)
    #: age of the oldest pending delivery per destination (the lag per partner), when the store reports it
    oldest_pending_by_destination_s: Mapping[str, float] = field(default_factory=dict)
    #: breaker state per endpoint: 0 closed, 1 half-open, 2 open
    breaker: Mapping[str, int] = field(default_factory=dict)
    #: 1 for endpoints disabled (by the breaker or an operator)
    disabled: Mapping[str, int] = field(default_factory=dict)
    #: seconds since each endpoint's last successful attempt (endpoints that never succeeded are absent)
    since_success_s: Mapping[str, float] = field(default_factory=dict)


class _StoreCollector(Collector):
    """Yields the gauges of one :class:`StoreSnapshot`."""

    def __init__(self, snapshot: StoreSnapshot) -> None:
        self.snapshot = snapshot

    def describe(self) -> list[Metric]:
        return []  # families are created per scrape; nothing to pre-register

    def collect(self) -> list[Metric]:
        s = self.snapshot

        def family(name: str, doc: str, label: str, values: Mapping[str, float]) -> GaugeMetricFamily:
            g = GaugeMetricFamily(name, doc, labels=[label])
            for k in sorted(values):
                g.add_metric([k], values[k])
            return g

        dlq = GaugeMetricFamily("tradelane_dlq_size", "Deliveries in the dead-letter status")
        dlq.add_metric([], s.by_status.get("dead", 0))
        return [
            family("tradelane_deliveries", "Deliveries in the outbox by status", "status", s.by_status),
            dlq,
            family("tradelane_queue_depth", "Pending deliveries per lane", "lane", s.queue_depth),
            family(
                "tradelane_queue_oldest_pending_age_seconds",
                "Age of the oldest pending delivery per lane", "lane", s.oldest_pending_age_s,
            ),
            family(
                "tradelane_destination_pending", "Pending deliveries per destination (partner backlog)",
                "endpoint", s.pending_by_destination,
            ),
            family(
                "tradelane_destination_oldest_pending_age_seconds",
                "Age of the oldest pending delivery per destination (lag per partner)", "endpoint",
                s.oldest_pending_by_destination_s,
            ),
            family(
                "tradelane_endpoint_breaker_state", "Circuit breaker per endpoint: 0 closed, 1 half-open, 2 open",
                "endpoint", s.breaker,
            ),
            family("tradelane_endpoint_disabled", "1 when the endpoint is disabled", "endpoint", s.disabled),
            family(
                "tradelane_endpoint_since_success_seconds", "Seconds since the endpoint's last successful attempt",
                "endpoint", s.since_success_s,
            ),
        ]


#: ``delivery_stats()`` key of the per-destination oldest pending age (seconds), when the store provides it
OLDEST_BY_DESTINATION = "oldest_pending_age_s_by_destination"


def snapshot_from(stats: Mapping[str, Any], states: Mapping[str, Any], now: datetime) -> StoreSnapshot:
    """Turn ``delivery_stats()`` and ``endpoint_states()`` into gauge values (pure; unit-tested)."""
    by_lane = stats.get("by_lane", {})
    by_dest = stats.get("by_destination", {})
    since: dict[str, float] = {}
    for name, st in states.items():
        last = getattr(st, "last_success_at", None)
        if last is not None:
            last = last if last.tzinfo else last.replace(tzinfo=UTC)
            since[name] = max(0.0, (now - last).total_seconds())
    return StoreSnapshot(
        by_status=dict(stats.get("by_status", {})),
        queue_depth={lane: int(v.get("pending", 0)) for lane, v in by_lane.items()},
        oldest_pending_age_s=dict(stats.get("oldest_pending_age_s", {})),
        pending_by_destination={d: int(v.get("pending", 0)) for d, v in by_dest.items()},
        oldest_pending_by_destination_s=dict(stats.get(OLDEST_BY_DESTINATION, {})),
        breaker={n: BREAKER_STATE_VALUES.get(getattr(st, "breaker", "closed"), 0) for n, st in states.items()},
        disabled={n: int(getattr(st, "disabled_at", None) is not None) for n, st in states.items()},
        since_success_s=since,
    )


async def read_store(store: StatsSource, now: datetime | None = None) -> StoreSnapshot:
    """Read the store's delivery figures and endpoint states (two queries)."""
    stats = await store.delivery_stats()
    states = await store.endpoint_states()
    return snapshot_from(stats, states, now or datetime.now(UTC))


def render(snapshot: StoreSnapshot | None = None) -> bytes:
    """The text exposition of :data:`REGISTRY`, followed by the gauges of ``snapshot`` (when given).

    Each scrape renders its own snapshot through a throw-away registry, so concurrent scrapes need no lock.
    """
    out = generate_latest(REGISTRY)
    if snapshot is not None:
        scratch = CollectorRegistry(auto_describe=False)
        scratch.register(_StoreCollector(snapshot))
        out += generate_latest(scratch)
    return out


async def exposition(store: StatsSource | None) -> bytes:
    """:func:`render` with a fresh snapshot of ``store`` (none when ``store`` is ``None``)."""
    return render(await read_store(store) if store is not None else None)

"""Metrics: counters per outcome, the store snapshot → gauges mapping, and the text exposition."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from tradelane.observability import metrics
from tradelane.ports.delivery import EndpointState
from tradelane.ports.store import SubmissionResult

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def sample(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


def test_record_attempt_counts_outcomes_latency_retries_and_dead_letters() -> None:
    ep = "unit-ep-attempts"
    metrics.record_attempt(ep, "success", 0.02)
    metrics.record_attempt(ep, "retry", 0.5)
    metrics.record_attempt(ep, "retry", 0.7)
    metrics.record_attempt(ep, "dead", 0.1)
    metrics.record_attempt(ep, "disabled", None)  # nothing was sent: no latency sample
    assert sample("tradelane_delivery_attempts_total", endpoint=ep, outcome="success") == 1
    assert sample("tradelane_delivery_attempts_total", endpoint=ep, outcome="retry") == 2
    assert sample("tradelane_delivery_retries_total", endpoint=ep) == 2
    assert sample("tradelane_delivery_dead_lettered_total", endpoint=ep) == 2
    assert sample("tradelane_delivery_latency_seconds_count", endpoint=ep) == 4
    assert sample("tradelane_delivery_latency_seconds_sum", endpoint=ep) == 0.02 + 0.5 + 0.7 + 0.1
    # 0.5 and 0.7 fall in the 1 s bucket, not in the 0.25 s one
    assert sample("tradelane_delivery_latency_seconds_bucket", endpoint=ep, le="0.25") == 2
    assert sample("tradelane_delivery_latency_seconds_bucket", endpoint=ep, le="1.0") == 4


def test_record_ingest_splits_accepted_and_duplicate_events() -> None:
    ch = "unit-channel"
    batch = SubmissionResult("created", 201, {"events": [
        {"hubid": "a", "status": "accepted"}, {"hubid": "b", "status": "duplicate"}, {"hubid": "c", "status": "accepted"},
    ]})
    single = SubmissionResult("duplicate", 200, {"hubid": "a", "status": "duplicate"})
    conflict = SubmissionResult("conflict", 409, {"conflicts": [], "detail": "x"})  # counted as rejected by HTTP
    for r in (batch, single, conflict):
        metrics.record_ingest(ch, r, 0.003)
    assert sample("tradelane_ingest_events_total", channel=ch, outcome="accepted") == 2
    assert sample("tradelane_ingest_events_total", channel=ch, outcome="duplicate") == 2
    assert sample("tradelane_ingest_latency_seconds_count", channel=ch) == 3


def test_snapshot_maps_store_figures_to_gauges() -> None:
    stats = {
        "by_status": {"pending": 5, "done": 10, "dead": 2},
        "by_lane": {"critical": {"pending": 4, "done": 10}, "bulk": {"pending": 1, "dead": 2}},
        "by_destination": {"wms": {"pending": 5, "dead": 2}, "tms": {"done": 10}},
        "oldest_pending_age_s": {"critical": 12.5, "bulk": 3.0},
        "oldest_pending_age_s_by_destination": {"wms": 12.5},
    }
    states = {
        "wms": EndpointState("wms", breaker="open", last_success_at=NOW - timedelta(seconds=90)),
        "tms": EndpointState("tms", breaker="half_open", disabled_at=NOW),
        "erp": EndpointState("erp"),
    }
    snap = metrics.snapshot_from(stats, states, NOW)
    assert snap.queue_depth == {"critical": 4, "bulk": 1}
    assert snap.pending_by_destination == {"wms": 5, "tms": 0}
    assert snap.breaker == {"wms": 2, "tms": 1, "erp": 0}
    assert snap.disabled == {"wms": 0, "tms": 1, "erp": 0}
    assert snap.since_success_s == {"wms": 90.0}
    assert snap.oldest_pending_age_s == {"critical": 12.5, "bulk": 3.0}
    assert snap.oldest_pending_by_destination_s == {"wms": 12.5}
    assert metrics.snapshot_from({}, {}, NOW).oldest_pending_by_destination_s == {}  # older stores: absent


@dataclass
class _FakeStore:
    stats: dict[str, Any]
    states: dict[str, EndpointState]

    async def delivery_stats(self) -> dict[str, Any]:
        return self.stats

    async def endpoint_states(self) -> dict[str, EndpointState]:
        return self.states


async def test_exposition_parses_and_carries_counters_and_store_gauges() -> None:
    metrics.SLA_BREACHES.labels("order_to_ship", "release_24h").inc()
    store = _FakeStore(
        {"by_status": {"dead": 7, "pending": 1}, "by_lane": {"bulk": {"pending": 1}}, "by_destination": {},
         "oldest_pending_age_s": {"bulk": 42.0}},
        {"wms": EndpointState("wms", breaker="open")},
    )
    text = (await metrics.exposition(store)).decode()
    values = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in text_string_to_metric_families(text)
        for s in fam.samples
    }
    assert values[("tradelane_dlq_size", ())] == 7
    assert values[("tradelane_deliveries", (("status", "dead"),))] == 7
    assert values[("tradelane_queue_depth", (("lane", "bulk"),))] == 1
    assert values[("tradelane_queue_oldest_pending_age_seconds", (("lane", "bulk"),))] == 42.0
    assert values[("tradelane_endpoint_breaker_state", (("endpoint", "wms"),))] == 2
    assert values[("tradelane_sla_breaches_total", (("flow", "order_to_ship"), ("sla", "release_24h")))] >= 1
    # without a store only the in-process metrics are served
    bare = metrics.render(None).decode()
    assert "tradelane_dlq_size" not in bare and "tradelane_sla_breaches_total" in bare

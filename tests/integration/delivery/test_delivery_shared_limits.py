"""Limits that must hold across processes: the relay holds an open breaker's deliveries (PostgreSQL + NATS
JetStream, as in distributed mode), and a destination's rate limit is shared by every worker (one token
bucket row in the database)."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tradelane.bootstrap import build_hub
from tradelane.ports.delivery import DeliveryFilter, EndpointState
from tradelane.store import outbox
from tradelane.testing.delivery import delivery_settings, milestone
from tradelane.testing.sink import WebhookSink


async def _until(cond: Callable[[], Awaitable[bool]], what: str, timeout_s: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await cond():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def _terminal(hub: Any, n: int) -> dict[str, int]:
    async def done() -> bool:
        stats = (await hub.store.delivery_stats())["by_status"]
        return bool(sum(stats.values()) >= n and stats.get("pending", 0) == 0)

    await _until(done, f"{n} terminal deliveries")
    return dict((await hub.store.delivery_stats())["by_status"])


def _set_endpoint(hub: Any, name: str, change: Callable[[EndpointState], EndpointState]) -> None:
    """Write an endpoint's shared breaker state as another worker would have."""
    now = datetime.now(UTC)
    with hub.store.engine.begin() as conn:
        old = outbox.endpoint_states(conn).get(name)
        outbox.save_endpoint(conn, old, change(old or EndpointState(name=name)), now)


@pytest.mark.postgres
@pytest.mark.nats
async def test_the_relay_holds_an_open_breakers_deliveries_until_its_probe_is_due(
    pg_url: str, tmp_path: Path
) -> None:
    import nats

    sink = await WebhookSink().start()
    stream = f"TL_TEST_{uuid.uuid4().hex[:8].upper()}"
    settings = delivery_settings(
        tmp_path, pg_url, {"tms": {"url": sink.url}},
        [{"name": "to-tms", "events": ["*"], "destination": "tms"}],
        mode="distributed", bus={"url": "nats://127.0.0.1:4222", "stream": stream},
        secret_key="distributed-test-secret",
        delivery={"breaker": {"failure_threshold": 3, "cool_down_s": 3600}},
    )
    api = build_hub(settings, role="api")
    hubs = [api] + [build_hub(settings, role=r, migrate=False) for r in ("relay", "worker", "worker")]
    relay = hubs[1].relay
    for h in hubs:
        await h.start()
    try:
        # another worker saw the endpoint fail: its breaker is open for an hour
        opened = datetime.now(UTC)
        _set_endpoint(api, "tms", lambda s: replace(
            s, breaker="open", consecutive_failures=3, opened_at=opened, failing_since=opened))

        async def relay_holds() -> bool:
            return "tms" in relay.held

        await _until(relay_holds, "the relay to see the open breaker")
        await api.ingest.submit("acme", [milestone(i, f"shp_{i}", 1) for i in range(10)], batch=True)
        pumps = relay.pumps

        async def pumped() -> bool:
            return bool(relay.pumps >= pumps + 5)

        await _until(pumped, "five relay pumps")
        # held in the database: not dispatched, so no worker claimed, released or sent any of them
        assert relay.published == 0
        assert sink.requests == 0
        pending, _ = await api.store.list_deliveries(DeliveryFilter(status="pending", destination="tms"), 20)
        assert len(pending) == 10
        for d in pending:
            view = await api.store.get_delivery(d.id)
            assert view is not None and view.attempt_log == ()

        # the cool-down has passed: the relay dispatches, one worker wins the probe, the breaker closes
        _set_endpoint(api, "tms", lambda s: replace(s, opened_at=opened - timedelta(hours=2)))
        assert await _terminal(api, 10) == {"done": 10}
        assert len(sink.effects) == 10 and sink.effect_duplicates == 0
        assert relay.published >= 10
        assert (await api.store.endpoint_states())["tms"].breaker == "closed"
    finally:
        for h in reversed(hubs):
            await h.stop()
        await sink.stop()
        nc = await nats.connect("nats://127.0.0.1:4222")
        try:
            with contextlib.suppress(Exception):
                await nc.jetstream().delete_stream(stream)
        finally:
            await nc.close()


def _max_over_rate(times: list[float], rate: float, burst: float) -> float:
    """The largest excess, over any window of arrivals, of the count beyond ``burst + rate × window``."""
    times = sorted(times)
    worst = float("-inf")
    for i in range(len(times)):
        for j in range(i, len(times)):
            worst = max(worst, (j - i + 1) - (burst + rate * (times[j] - times[i])))
    return worst


@pytest.mark.postgres
async def test_a_destinations_rate_limit_holds_across_two_workers(pg_url: str, tmp_path: Path) -> None:
    arrivals: list[float] = []

    def stamp(doc: dict[str, Any]) -> None:
        arrivals.append(time.monotonic())

    sink = await WebhookSink(status_for=stamp).start()  # type: ignore[arg-type]
    rate = 10.0
    settings = delivery_settings(
        tmp_path, pg_url,
        {"tms": {"url": sink.url, "rate_limit_per_s": rate}},
        [{"name": "to-tms", "events": ["*"], "destination": "tms"}],
        secret_key="rate-test-secret",
        # four deliveries per worker at a time: both workers hold some for the endpoint at once
        delivery={"critical_concurrency": 4},
    )
    api = build_hub(settings, role="api")
    workers = [build_hub(settings, role="worker", migrate=False) for _ in range(2)]
    for h in (api, *workers):
        await h.start()
    try:
        await api.ingest.submit("acme", [milestone(i, f"shp_{i}", 1) for i in range(40)], batch=True)
        assert await _terminal(api, 40) == {"done": 40}
        assert len(sink.effects) == 40
        assert all(w.worker is not None and w.worker.stats["attempts"] > 0 for w in workers)  # both sent
        # one shared bucket: at most one second's burst plus `rate` per second in any window; two
        # per-process buckets would have let 2 × 10 through at once and 20 per second after
        assert _max_over_rate(arrivals, rate, burst=rate) <= 1.0, sorted(arrivals)
    finally:
        for h in (*workers, api):
            await h.stop()
        await sink.stop()


async def test_the_token_bucket_refills_at_its_rate_and_never_grants_beyond_its_burst(tmp_path: Path) -> None:
    settings = delivery_settings(tmp_path, f"sqlite:///{tmp_path / 'tl.db'}", {}, [])
    hub = build_hub(settings, role="api")
    store = hub.store
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    try:
        assert await store.take_rate_tokens("tms", 10.0, 10.0, 25, t0) == (10, 0.0)  # a new bucket is full
        granted, wait_s = await store.take_rate_tokens("tms", 10.0, 10.0, 5, t0)
        assert granted == 0 and wait_s == pytest.approx(0.1)
        assert (await store.take_rate_tokens("tms", 10.0, 10.0, 5, t0 + timedelta(seconds=0.35)))[0] == 3
        # a taker whose clock is behind the last one's adds no tokens (and does not move the bucket back)
        assert (await store.take_rate_tokens("tms", 10.0, 10.0, 5, t0))[0] == 0
        # a long idle time refills only up to the burst
        assert (await store.take_rate_tokens("tms", 10.0, 10.0, 50, t0 + timedelta(hours=1)))[0] == 10
        # buckets are per destination
        assert (await store.take_rate_tokens("wms", 2.0, 2.0, 5, t0))[0] == 2
    finally:
        await store.close()

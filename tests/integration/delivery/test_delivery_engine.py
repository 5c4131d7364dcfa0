"""The delivery engine end to end on a real database (SQLite and PostgreSQL) and a real loopback sink."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from tradelane.bootstrap import build_hub
from tradelane.delivery.signing import generate_secret
from tradelane.ports.delivery import AttemptRecord, DeliveryFilter, DeliveryResult
from tradelane.testing.delivery import delivery_settings, milestone
from tradelane.testing.sink import WebhookSink


async def _wait_terminal(hub, n: int, timeout_s: float = 30.0) -> dict[str, int]:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        stats = (await hub.store.delivery_stats())["by_status"]
        if sum(stats.values()) >= n and stats.get("pending", 0) == 0:
            return stats
        if asyncio.get_running_loop().time() > deadline:
            pending, _ = await hub.store.list_deliveries(DeliveryFilter(status="pending"), 20)
            detail = [
                (d.id, d.partition_key, d.attempts, d.next_attempt_at.isoformat(), d.last_status, d.last_error)
                for d in pending
            ]
            worker = dict(hub.worker.stats) if hub.worker is not None else None
            in_flight = (
                {n: e.in_flight for n, e in hub.worker.endpoints.items()} if hub.worker is not None else None
            )
            raise AssertionError(
                f"deliveries not terminal: {stats}; now={datetime.now(UTC).isoformat()} pending={detail} "
                f"worker={worker} in_flight={in_flight} states={await hub.store.endpoint_states()}"
            )
        await asyncio.sleep(0.05)


@pytest.fixture(params=["embedded", pytest.param("distributed", marks=pytest.mark.nats)])
def mode(request: pytest.FixtureRequest, db_url: str) -> str:
    """Each behaviour test using this runs embedded (SQLite and PostgreSQL) and distributed (PostgreSQL)."""
    if request.param == "distributed" and db_url.startswith("sqlite"):
        pytest.skip("distributed mode runs on PostgreSQL")
    return str(request.param)


@contextlib.asynccontextmanager
async def _hubs(  # type: ignore[type-arg]
    mode: str, db_url: str, tmp_path: Path, endpoints: dict, routes: list, breaker: dict | None = None,
    delivery: dict | None = None,
) -> AsyncIterator[Any]:
    """Embedded: one hub doing everything. Distributed: API, relay and two workers over NATS JetStream.
    Yields the API hub (where events are submitted and the store is read)."""
    delivery = {**(delivery or {}), "breaker": breaker or {}}
    if mode == "embedded":
        hub = build_hub(delivery_settings(tmp_path, db_url, endpoints, routes, delivery=delivery))
        await hub.start()
        try:
            yield hub
        finally:
            await hub.stop()
        return
    import nats

    stream = f"TL_TEST_{uuid.uuid4().hex[:8].upper()}"
    settings = delivery_settings(
        tmp_path, db_url, endpoints, routes, mode="distributed",
        bus={"url": "nats://127.0.0.1:4222", "stream": stream}, secret_key="distributed-test-secret",
        delivery=delivery,
    )
    hubs = [build_hub(settings, role="api")]
    hubs += [build_hub(settings, role=r, migrate=False) for r in ("relay", "worker", "worker")]
    for h in hubs:
        await h.start()
    try:
        yield hubs[0]
    finally:
        for h in reversed(hubs):
            await h.stop()
        nc = await nats.connect("nats://127.0.0.1:4222")
        try:
            await nc.jetstream().delete_stream(stream)
        finally:
            await nc.close()


async def test_every_event_is_delivered_once_in_order_despite_failures(
    mode: str, db_url: str, tmp_path: Path
) -> None:
    sink = await WebhookSink(fail_ratio=0.3, seed=3).start()
    endpoints = {"tms": {"url": sink.url}}
    # The default (Svix) schedule compressed ×0.001 still waits 7 s before a fourth retry; an event that
    # fails four times in a row then holds its whole key. Twelve short retries keep the test about order.
    retry = {"schedule": [5.0] * 12, "jitter": 0}
    routes = [
        {"name": "milestones-to-tms", "events": ["tradelane.shipment.*"], "destination": "tms", "ordered": True,
         "retry": retry}
    ]
    # Five failures in a row (in completion order, with sends in flight) can open the breaker for its
    # 30 s default cool-down; this test is about order and exactly-once, the breaker has its own tests.
    breaker = {"failure_threshold": 1000}
    try:
        async with _hubs(mode, db_url, tmp_path, endpoints, routes, breaker) as hub:
            keys = [f"shp_{k}" for k in range(5)]
            for i in range(12):
                await hub.ingest.submit("acme", [milestone(i, k, i) for k in keys], batch=True)
            stats = await _wait_terminal(hub, 60, timeout_s=60)
            assert stats == {"done": 60}
            assert len(sink.effects) == 60
            assert sink.effect_duplicates == 0
            assert sink.failures_injected > 0  # the failures really happened and were retried
            per_key: dict[str, list[int]] = defaultdict(list)
            for key, seq, _ in sink.arrivals:
                per_key[str(key)].append(int(seq or 0))
            assert all(seqs == sorted(seqs) and len(seqs) == 12 for seqs in per_key.values()), per_key
            # every delivery's attempts are recorded; retried ones have more than one
            done, _ = await hub.store.list_deliveries(DeliveryFilter(status="done"), 100)
            retried = [d for d in done if d.attempts > 1]
            assert retried
            view = await hub.store.get_delivery(retried[0].id)
            assert view is not None
            assert [a["outcome"] for a in view.attempt_log][-1] == "success"
            assert any(a["status_code"] == 500 for a in view.attempt_log)
    finally:
        await sink.stop()


async def test_filtered_routes_are_recorded_with_a_reason(mode: str, db_url: str, tmp_path: Path) -> None:
    sink = await WebhookSink().start()
    routes = [
        {
            "name": "only-key-a",
            "events": ["tradelane.shipment.milestone.v1"],
            "filter": "partitionkey == 'shp_a'",
            "destination": "portal",
        }
    ]
    try:
        async with _hubs(mode, db_url, tmp_path, {"portal": {"url": sink.url}}, routes) as hub:
            await hub.ingest.submit("acme", [milestone(1, "shp_a", 1), milestone(2, "shp_b", 1)], batch=True)
            stats = await _wait_terminal(hub, 2)
            assert stats == {"done": 1, "filtered": 1}
            rows, _ = await hub.store.list_deliveries(DeliveryFilter(status="filtered"), 10)
            assert rows[0].filter_reason == "filter: partitionkey == 'shp_a'"
            assert rows[0].partition_key == "shp_b"
            assert len(sink.effects) == 1
    finally:
        await sink.stop()


async def test_permanent_failure_dead_letters_and_replay_redelivers(mode: str, db_url: str, tmp_path: Path) -> None:
    answer = {"status": 400}
    sink = await WebhookSink(status_for=lambda doc: answer["status"]).start()
    routes = [{"name": "to-wms", "events": ["*"], "destination": "wms"}]
    try:
        async with _hubs(mode, db_url, tmp_path, {"wms": {"url": sink.url}}, routes) as hub:
            await hub.ingest.submit("acme", [milestone(i, "shp_x", i) for i in range(3)], batch=True)
            assert await _wait_terminal(hub, 3) == {"dead": 3}
            dead, _ = await hub.store.list_deliveries(DeliveryFilter(status="dead"), 10)
            assert {d.error_class for d in dead} == {"http_4xx"}
            assert all(d.attempts == 1 for d in dead)  # a 400 is not retried
            flt = DeliveryFilter(status="dead", route="to-wms", error_class="http_4xx")
            assert await hub.store.count_deliveries(flt) == 3  # the dry-run count
            answer["status"] = None  # type: ignore[assignment]
            replayed = await hub.store.replay_deliveries(flt, "ops@test", datetime.now(UTC), 100)
            assert len(replayed) == 3
            if hub.worker is not None:  # embedded: the replay command wakes the worker of its process
                hub.worker.wake()
            assert await _wait_terminal(hub, 3) == {"done": 3}
            view = await hub.store.get_delivery(replayed[0])
            assert view is not None and view.replays == 1
            assert [a["outcome"] for a in view.attempt_log] == ["dead", "replayed", "success"]
            assert len(sink.effects) == 3
    finally:
        await sink.stop()


async def test_a_late_result_from_a_worker_that_lost_its_lease_is_rejected(db_url: str, tmp_path: Path) -> None:
    settings = delivery_settings(
        tmp_path,
        db_url,
        {"wms": {"url": "http://127.0.0.1:9/none"}},
        [{"name": "to-wms", "events": ["*"], "destination": "wms"}],
    )
    hub = build_hub(settings, role="api")
    await hub.start()
    try:
        await hub.ingest.submit("acme", [milestone(1, "shp_f", 1)])
        t0 = datetime.now(UTC)
        (a,) = await hub.store.claim_deliveries("worker-a", "critical", 10, 5.0, t0)
        assert await hub.store.claim_deliveries("worker-b", "critical", 10, 5.0, t0) == []  # leased
        (b,) = await hub.store.claim_deliveries("worker-b", "critical", 10, 5.0, t0 + timedelta(seconds=6))
        assert b.id == a.id and b.fence == a.fence + 1

        def result(fence: int) -> DeliveryResult:
            return DeliveryResult(a.id, fence, "done", None, AttemptRecord("success", t0, 3, status_code=200))

        def no_breaker(state, outcomes, now):  # type: ignore[no-untyped-def]
            return state, []

        assert await hub.store.complete_deliveries("worker-a", [result(a.fence)], no_breaker, t0) == [False]
        assert await hub.store.complete_deliveries("worker-b", [result(b.fence)], no_breaker, t0) == [True]
        view = await hub.store.get_delivery(a.id)
        assert view is not None and view.status == "done" and view.attempts == 1
        assert [(x["worker"], x["outcome"]) for x in view.attempt_log] == [
            ("worker-a", "stale"),
            ("worker-b", "success"),
        ]
    finally:
        await hub.stop()


async def test_breaker_opens_notifies_and_one_bad_endpoint_does_not_block_others(
    mode: str, db_url: str, tmp_path: Path
) -> None:
    bad = await WebhookSink(status_for=lambda doc: 503).start()
    good = await WebhookSink().start()
    endpoints = {"bad": {"url": bad.url}, "good": {"url": good.url}}
    routes = [
        {"name": "to-bad", "events": ["*"], "destination": "bad", "retry": {"schedule": [0.5] * 7, "jitter": 0}},
        {"name": "to-good", "events": ["*"], "destination": "good"},
    ]
    try:
        async with _hubs(mode, db_url, tmp_path, endpoints, routes, {"failure_threshold": 3, "cool_down_s": 60},
                         delivery={"retry_compress": 1.0}) as hub:
            await hub.ingest.submit("acme", [milestone(i, f"shp_{i}", 1) for i in range(20)], batch=True)
            await good.wait_for(20, timeout_s=30)
            for _ in range(200):
                states = await hub.store.endpoint_states()
                if "bad" in states and states["bad"].breaker == "open":
                    break
                await asyncio.sleep(0.05)
            assert states["bad"].breaker == "open"
            notes = await hub.store.notifications()
            assert any(n["kind"] == "endpoint.opened" and n["subject"] == "bad" for n in notes)
            # once open, the bad endpoint gets no more requests until the cool-down (60 s) passes (the
            # probe slot of an open breaker is taken by at most one attempt)
            await asyncio.sleep(0.5)
            seen = bad.requests
            await asyncio.sleep(0.5)
            assert bad.requests == seen
            pending = await hub.store.count_deliveries(DeliveryFilter(status="pending", destination="bad"))
            assert pending == 20
    finally:
        await bad.stop()
        await good.stop()


async def test_an_open_breaker_probes_after_its_cool_down_and_closes_when_the_endpoint_recovers(
    mode: str, db_url: str, tmp_path: Path
) -> None:
    sink = await WebhookSink(fail_ratio=1.0).start()
    routes = [
        {"name": "to-tms", "events": ["*"], "destination": "tms", "retry": {"schedule": [0.05] * 40, "jitter": 0}}
    ]
    try:
        async with _hubs(mode, db_url, tmp_path, {"tms": {"url": sink.url}}, routes,
                         {"failure_threshold": 3, "cool_down_s": 0.3}, delivery={"retry_compress": 1.0}) as hub:
            await hub.ingest.submit("acme", [milestone(i, f"shp_{i}", 1) for i in range(10)], batch=True)
            for _ in range(200):
                states = await hub.store.endpoint_states()
                if "tms" in states and states["tms"].breaker == "open":
                    break
                await asyncio.sleep(0.05)
            assert states["tms"].breaker == "open"
            sink.fail_ratio = 0.0  # the partner recovers
            stats = await _wait_terminal(hub, 10)
            assert stats == {"done": 10}
            assert len(sink.effects) == 10
            states = await hub.store.endpoint_states()
            assert states["tms"].breaker == "closed"
            kinds = [n["kind"] for n in await hub.store.notifications() if n["subject"] == "tms"]
            assert "endpoint.opened" in kinds and "endpoint.closed" in kinds
    finally:
        await sink.stop()


async def test_gone_disables_the_endpoint_and_signatures_verify_with_rotation(
    mode: str, db_url: str, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    old, new = generate_secret(), generate_secret()
    monkeypatch.setenv("TL_TEST_WHSEC", f"{old} {new}")

    def status(doc):  # type: ignore[no-untyped-def]
        return 410 if doc["id"] == "ms-shp_g-3" else None

    sink = await WebhookSink(secrets=(new,), status_for=status).start()  # the partner already rotated
    endpoints = {"wms": {"url": sink.url, "secrets_env": "TL_TEST_WHSEC", "max_in_flight": 1}}
    routes = [{"name": "to-wms", "events": ["*"], "destination": "wms", "ordered": True}]
    try:
        async with _hubs(mode, db_url, tmp_path, endpoints, routes) as hub:
            await hub.ingest.submit("acme", [milestone(i, "shp_g", i) for i in range(6)], batch=True)
            stats = await _wait_terminal(hub, 6)
            assert sink.bad_signatures == 0
            assert len(sink.effects) == 3  # 0, 1, 2 before the 410
            assert stats == {"done": 3, "dead": 3}
            states = await hub.store.endpoint_states()
            assert states["wms"].disabled_at is not None
            dead, _ = await hub.store.list_deliveries(DeliveryFilter(status="dead"), 10)
            assert sorted(d.error_class or "" for d in dead) == ["endpoint_disabled", "endpoint_disabled", "http_4xx"]
            notes = await hub.store.notifications()
            assert any(n["kind"] == "endpoint.disabled" for n in notes)
    finally:
        await sink.stop()


async def test_a_stuck_key_blocks_only_itself(mode: str, db_url: str, tmp_path: Path) -> None:
    tried: list[str] = []

    def status(doc: dict[str, Any]) -> int | None:
        if doc["partitionkey"] != "shp_stuck":
            return None
        tried.append(doc["id"])
        return 500

    sink = await WebhookSink(status_for=status).start()
    routes = [{"name": "to-tms", "events": ["*"], "destination": "tms", "ordered": True,
               "retry": {"schedule": [3600.0], "jitter": 0}}]
    try:
        async with _hubs(mode, db_url, tmp_path, {"tms": {"url": sink.url}}, routes, {"failure_threshold": 1000},
                         delivery={"retry_compress": 1.0}) as hub:
            events = [milestone(i, "shp_stuck", i) for i in range(3)] + [milestone(i, "shp_ok", i) for i in range(3)]
            await hub.ingest.submit("acme", events, batch=True)
            await sink.wait_for(3, timeout_s=20)
            assert sorted(doc["partitionkey"] for doc in sink.effects.values()) == ["shp_ok"] * 3
            for _ in range(200):  # the head of the stuck key failed once and waits for its retry (1 h)
                pending, _ = await hub.store.list_deliveries(DeliveryFilter(status="pending"), 10)
                if len(pending) == 3 and any(d.attempts > 0 for d in pending):
                    break
                await asyncio.sleep(0.05)
            assert len(pending) == 3
            assert sorted(d.attempts for d in pending) == [0, 0, 1]
            assert tried == ["ms-shp_stuck-0"]  # only the head of the stuck key was tried, once
    finally:
        await sink.stop()


async def test_distributed_mode_relay_and_two_workers_over_nats(pg_url: str, tmp_path: Path) -> None:
    """API, relay and two workers as separate hubs on PostgreSQL + NATS JetStream (one loop, same code as
    separate processes)."""
    import uuid

    import pytest

    pytest.importorskip("nats")
    sink = await WebhookSink(fail_ratio=0.2, seed=11).start()
    stream = f"TL_TEST_{uuid.uuid4().hex[:8].upper()}"
    settings = delivery_settings(
        tmp_path,
        pg_url,
        {"tms": {"url": sink.url}},
        [{"name": "to-tms", "events": ["*"], "destination": "tms", "ordered": True}],
        mode="distributed",
        bus={"url": "nats://127.0.0.1:4222", "stream": stream},
        secret_key="distributed-test-secret",
    )
    api = build_hub(settings, role="api")
    relay = build_hub(settings, role="relay", migrate=False)
    workers = [build_hub(settings, role="worker", migrate=False) for _ in range(2)]
    hubs = [api, relay, *workers]
    for h in hubs:
        await h.start()
    try:
        for i in range(10):
            await api.ingest.submit("acme", [milestone(i, f"shp_{k}", i) for k in range(10)], batch=True)
        await sink.wait_for(100, timeout_s=60)
        stats = await _wait_terminal(api, 100)
        assert stats == {"done": 100}
        assert sink.effect_duplicates == 0
        per_key: dict[str, list[int]] = defaultdict(list)
        for key, seq, _ in sink.arrivals:
            per_key[str(key)].append(int(seq or 0))
        assert all(v == sorted(v) for v in per_key.values())
        assert all(w.worker is not None and w.worker.stats["recorded"] > 0 for w in workers)  # both worked
    finally:
        for h in reversed(hubs):
            await h.stop()
        await sink.stop()
        import nats

        nc = await nats.connect("nats://127.0.0.1:4222")
        try:
            await nc.jetstream().delete_stream(stream)
        finally:
            await nc.close()


@pytest.mark.nats
async def test_nats_endpoint_receives_each_event_once_with_its_delivery_id(tmp_path: Path) -> None:
    import nats

    stream = f"TL_TEST_{uuid.uuid4().hex[:8].upper()}"
    subject = f"tl.test.{uuid.uuid4().hex[:8]}"
    settings = delivery_settings(
        tmp_path,
        f"sqlite:///{tmp_path / 'tl.db'}",
        {"bus-out": {"kind": "nats", "subject": subject}},
        [{"name": "to-bus", "events": ["*"], "destination": "bus-out"}],
        bus={"url": "nats://127.0.0.1:4222", "stream": stream},
    )
    hub = build_hub(settings)
    await hub.start()
    nc = await nats.connect("nats://127.0.0.1:4222")
    try:
        await hub.ingest.submit("acme", [milestone(i, "shp_n", i) for i in range(4)], batch=True)
        assert await _wait_terminal(hub, 4) == {"done": 4}
        js = nc.jetstream()
        sub = await js.pull_subscribe(subject, stream=f"{stream}_EVENTS")
        msgs = await sub.fetch(10, timeout=2)
        done, _ = await hub.store.list_deliveries(DeliveryFilter(status="done"), 10)
        assert sorted(m.headers["Nats-Msg-Id"] for m in msgs) == sorted(d.id for d in done)
        assert sorted(orjson.loads(m.data)["id"] for m in msgs) == [f"ms-shp_n-{i}" for i in range(4)]
    finally:
        await hub.stop()
        js = nc.jetstream()
        for name in (stream, f"{stream}_EVENTS"):
            with contextlib.suppress(Exception):
                await js.delete_stream(name)
        await nc.close()

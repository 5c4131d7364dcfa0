"""A send that outlives its lease keeps it: the worker renews the lease of every delivery still in flight, so
no other worker claims and sends it again, and its result is recorded (not rejected as stale). Seen before the
renewal existed: a flow step on a busy Odoo took 42 s against the 30 s lease and was started a second time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tradelane.bootstrap import build_hub
from tradelane.ports.delivery import DeliveryFilter
from tradelane.testing.delivery import delivery_settings, milestone
from tradelane.testing.flows import eventually
from tradelane.testing.sink import WebhookSink

from .test_delivery_engine import _hubs, mode  # noqa: F401  (the embedded/distributed fixture)


async def test_the_store_renews_only_the_holders_current_leases(db_url: str, tmp_path: Path) -> None:
    settings = delivery_settings(
        tmp_path, db_url, {"wms": {"url": "http://127.0.0.1:9/none"}},
        [{"name": "to-wms", "events": ["*"], "destination": "wms"}],
    )
    hub = build_hub(settings, role="api")
    await hub.start()
    try:
        await hub.ingest.submit("acme", [milestone(1, "shp_r", 1)])
        t0 = datetime.now(UTC)
        (a,) = await hub.store.claim_deliveries("worker-a", "critical", 10, 5.0, t0)
        # another worker's name, or an old fence, renews nothing
        assert await hub.store.renew_leases("worker-b", ((a.id, a.fence),), 5.0, t0) == set()
        assert await hub.store.renew_leases("worker-a", ((a.id, a.fence - 1),), 5.0, t0) == set()
        # the holder renews at t0+4 s for 5 s more: at t0+6 s (past the first lease) it is still leased
        assert await hub.store.renew_leases("worker-a", ((a.id, a.fence),), 5.0, t0 + timedelta(seconds=4)) == {a.id}
        assert await hub.store.claim_deliveries("worker-b", "critical", 10, 5.0, t0 + timedelta(seconds=6)) == []
        # once the renewed lease runs out too, another worker may take it (and the fence moves on)
        (b,) = await hub.store.claim_deliveries("worker-b", "critical", 10, 5.0, t0 + timedelta(seconds=10))
        assert b.id == a.id and b.fence == a.fence + 1
        assert await hub.store.renew_leases("worker-a", ((a.id, a.fence),), 5.0, t0 + timedelta(seconds=10)) == set()
    finally:
        await hub.stop()


async def test_a_send_slower_than_its_lease_is_sent_once_and_recorded(
    mode: str, db_url: str, tmp_path: Path  # noqa: F811
) -> None:
    sink = await WebhookSink(delay_s=2.5).start()  # answers after 2.5 s: four times the 0.6 s lease
    try:
        endpoints = {"slow": {"url": sink.url, "timeout_s": 10}}
        routes = [{"name": "to-slow", "events": ["*"], "destination": "slow"}]
        async with _hubs(mode, db_url, tmp_path, endpoints, routes,
                         delivery={"lease_s": 0.6, "poll_interval_s": 0.1}) as hub:
            await hub.ingest.submit("acme", [milestone(i, f"shp_slow{i}", 1) for i in range(3)], batch=True)

            async def all_done() -> bool:
                return (await hub.store.delivery_stats())["by_status"].get("done", 0) == 3

            await eventually(all_done, "3 slow deliveries done", timeout_s=30)
            assert len(sink.effects) == 3
            assert sink.requests == 3 and sink.http_duplicates == 0  # no second send of any of them
            done, _ = await hub.store.list_deliveries(DeliveryFilter(status="done"), 10)
            for d in done:
                view = await hub.store.get_delivery(d.id)
                assert view is not None
                assert [a["outcome"] for a in view.attempt_log] == ["success"]  # nothing rejected as stale
    finally:
        await sink.stop()

"""The board and charts cache (``tradelane.web.cache``) on a real hub over HTTP: within ``web.board.cache_ttl_s``
every request gets the figures computed once (and says when), events arriving over the API show after the
TTL, and any control-tower action drops the cache so the next page shows fresh figures."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tradelane.core.envelope import CloudEvent
from tradelane.core.examples import example
from tradelane.testing.delivery import delivery_settings
from tradelane.web import cache

pytestmark = pytest.mark.e2e

#: long enough that no test step outlives it
TTL_S = 300


def _order(key: str) -> dict[str, Any]:
    body = example("tradelane.order.confirmed.v1")
    body["order_id"] = body["order"]["order_id"] = key
    return CloudEvent(id=f"order-{key}", source="urn:test:odoo", type="tradelane.order.confirmed.v1",
                      partitionkey=key, data=body).to_wire()


def _card(html: str, metric: str) -> int:
    m = re.search(rf'id="biz-{metric}"[^>]*><span class="n">(\d+)</span>', html)
    assert m is not None, metric
    return int(m.group(1))


def _received_total(html: str) -> str:
    m = re.search(r'id="chart-received">\s*<h2>[^<]*<span class="muted">[^<]*total (\d+)', html)
    assert m is not None
    return m.group(1)


def _computed_at(html: str) -> str:
    m = re.search(r'id="computed-at">Figures as of ([^(<]+)', html)
    assert m is not None
    return m.group(1).strip()


def test_board_and_charts_are_reused_within_the_ttl_and_dropped_by_an_action(
    sqlite_url: str, tmp_path: Path, hub_server: Any
) -> None:
    running = hub_server(delivery_settings(
        tmp_path, sqlite_url, {"wms": {"url": "http://127.0.0.1:9/hook"}}, [],
        web={"board": {"cache_ttl_s": TTL_S}},
    ))
    partner = {"Authorization": f"Bearer {running.key('acme')}"}
    admin = running.key(None, ("admin",))
    with httpx2.Client(base_url=running.base_url, timeout=30) as c:
        assert c.post("/v1/events", json=_order("ord_c1"), headers=partner).status_code == 201
        r = c.get("/ui/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', r.text)
        assert token is not None
        assert c.post("/ui/login", data={"csrf_token": token.group(1), "api_key": admin, "next": "/ui"}
                      ).status_code == 303
        first = c.get("/ui").text
        assert _card(first, "awaiting_release") == 1
        assert f"recomputed at most every {TTL_S} s" in first
        charts = c.get("/ui/charts?window=1h").text
        assert _received_total(charts) == "1"

        # a second order over the API: within the TTL the pages show the figures computed before it
        assert c.post("/v1/events", json=_order("ord_c2"), headers=partner).status_code == 201
        again = c.get("/ui").text
        assert _card(again, "awaiting_release") == 1 and _computed_at(again) == _computed_at(first)
        drill = c.get("/ui/business/awaiting_release").text
        assert drill.count("<tr data-record=") == 1  # the drill-down lists the records the card counted
        assert _received_total(c.get("/ui/charts?window=1h").text) == "1"

        # an action in the control tower (disable, then enable an endpoint) drops the cache
        page = c.get("/ui/partners").text
        csrf = re.search(r'"X-CSRF-Token": "([^"]+)"', page)
        assert csrf is not None
        for action in ("disable", "enable"):
            r = c.post(f"/ui/partners/wms/{action}", data={"csrf_token": csrf.group(1)}, follow_redirects=False)
            assert r.status_code == 303, r.text
        fresh = c.get("/ui").text
        assert _card(fresh, "awaiting_release") == 2
        assert c.get("/ui/business/awaiting_release").text.count("<tr data-record=") == 2
        assert _received_total(c.get("/ui/charts?window=1h").text) == "2"


async def test_concurrent_requests_for_an_expired_board_share_one_computation(
    sqlite_url: str, tmp_path: Path
) -> None:
    from tradelane.bootstrap import build_hub

    hub = build_hub(delivery_settings(tmp_path, sqlite_url, {}, [], web={"board": {"cache_ttl_s": TTL_S}}),
                    role="api")
    await hub.start()
    try:
        results = await asyncio.gather(*(cache.board(hub) for _ in range(8)))
        assert len({id(r.value) for r in results}) == 1  # one board object: computed once
        cache.clear(hub)
        assert (await cache.board(hub)).value is not results[0].value
    finally:
        await hub.stop()


async def test_a_stale_board_is_served_at_once_and_recomputed_once_in_the_background(
    sqlite_url: str, tmp_path: Path
) -> None:
    from tradelane.bootstrap import build_hub

    hub = build_hub(delivery_settings(tmp_path, sqlite_url, {}, [], web={"board": {"cache_ttl_s": 0.001}}),
                    role="api")
    await hub.start()
    try:
        first = await cache.board(hub)
        await asyncio.sleep(0.01)  # older than the TTL now
        stale = await asyncio.gather(*(cache.board(hub) for _ in range(5)))
        assert all(s is first for s in stale)  # answered with the stale figures, not recomputed in line
        state = hub._web_cache
        assert state.refreshing == {"board"} and len(state.tasks) == 1  # one background recomputation
        await asyncio.gather(*state.tasks)
        fresh = await cache.board(hub)
        assert fresh is not first and fresh.computed_at >= first.computed_at
        await asyncio.gather(*state.tasks)  # a refresh the last read may have started
    finally:
        await hub.stop()

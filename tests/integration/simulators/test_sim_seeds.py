"""Simulators of different partners started with one seed issue different numbers.

Regression of the demo's stuck order (issue #6): the WMS and the TMS simulators were both ``Random(seed)``, so
the TMS drew, as PRO numbers, the very numbers the WMS had drawn as tracking numbers of other shipments
(``RHN`` + ten digits both). The day in the life let the carrier follow a PRO number as soon as some delivery
order in Odoo carried it; a WMS tracking number still on another delivery order started the carrier before the
booking was known, its webhooks were refused (unknown tracking number, ``422``) and that order was never
delivered nor invoiced.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import aiohttp

from tradelane.testing.simulators.base import Simulator
from tradelane.testing.simulators.carrier import CarrierSimulator
from tradelane.testing.simulators.portal import PortalSimulator
from tradelane.testing.simulators.tms import TmsSimulator
from tradelane.testing.simulators.wms import WmsSimulator
from tradelane.testing.simulators.yard import YardSimulator

SEED = 11
ORDERS = 40


def _ten_digit_draws(sim: Simulator, n: int = 2000) -> set[int]:
    return {sim.rng.randrange(10**9, 10**10) for _ in range(n)}


def test_each_kind_of_partner_draws_its_own_stream_for_one_seed() -> None:
    sims: list[Simulator] = [WmsSimulator(seed=SEED), TmsSimulator(seed=SEED), CarrierSimulator(seed=SEED),
                             YardSimulator(seed=SEED), PortalSimulator(seed=SEED)]
    draws = {sim.kind: _ten_digit_draws(sim) for sim in sims}
    for a, b in combinations(draws, 2):
        assert not draws[a] & draws[b], f"{a} and {b} simulators draw the same numbers"
    # still deterministic per kind and seed
    assert _ten_digit_draws(TmsSimulator(seed=SEED)) == draws["tms"]
    assert _ten_digit_draws(TmsSimulator(seed=SEED + 1)) != draws["tms"]


def _release(n: int) -> dict[str, Any]:
    return {"messageType": "ORDER_RELEASE", "orderNo": f"S{n:05d}", "siteCode": "RTM1",
            "lines": [{"lineNo": 1, "sku": "NZ-ESP-1KG", "qty": 2, "uom": "PCS"}]}


def _tender(n: int) -> dict[str, Any]:
    return {"tenderId": f"TND-{n}", "shipperRef": f"WH/OUT/{n:05d}", "pickup": {"site": "RTM1"},
            "delivery": {"city": "Köln"}, "offeredRate": 200}


async def test_the_tms_never_issues_a_pro_number_the_wms_issued_as_a_tracking_number() -> None:
    """Over real HTTP, as in the day in the life: one seed for both, many shipments each."""
    wms = await WmsSimulator(seed=SEED, short_pick_ratio=0.1).start()
    tms = await TmsSimulator(seed=SEED, eta_change_ratio=0.2).start()
    try:
        async with aiohttp.ClientSession() as http:
            for n in range(1, ORDERS + 1):
                async with http.post(f"{wms.url}/api/v1/orders", json=_release(n)) as r:
                    assert r.status == 202
                async with http.post(f"{tms.url}/api/tenders", json=_tender(n)) as r:
                    assert r.status == 202
        await wms.settle()
        await tms.settle()
    finally:
        await wms.stop()
        await tms.stop()
    tracking = {cb.document["trackingNo"] for cb in wms.callbacks if cb.document["messageType"] == "SHIP_CONFIRM"}
    pros = {t.pro_number for t in tms.tenders.values()}
    assert len(tracking) == ORDERS and len(pros) == ORDERS
    assert not tracking & pros

"""A rig for the business flows end to end: the Odoo emulator, the WMS, TMS and carrier simulators, and the hub
configuration that connects them (a ``flow`` endpoint, the flow's route, native partner hooks), used by the
acceptance tests and the demo.

The rig starts the partners and says how to configure the hub (:meth:`FlowRig.settings_doc` and
:meth:`FlowRig.env`); the caller serves the hub (a test fixture, or the demo's server), then calls
:meth:`FlowRig.connect` with its URL so the simulators call back into ``/v1/hooks/{wms,tms,carrier}``, and
:meth:`FlowRig.seed_references` to load the partners' cross references (sites, carriers) into the hub.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from tradelane.delivery.signing import generate_secret
from tradelane.mapping.loader import parse_xref_seed, template_dir
from tradelane.ports.xref import XrefStore
from tradelane.testing.odoo import OdooEmulator
from tradelane.testing.simulators.carrier import CarrierSimulator
from tradelane.testing.simulators.tms import TmsSimulator
from tradelane.testing.simulators.wms import WmsSimulator
from tradelane.testing.simulators.yard import YardSimulator

__all__ = ["FLOW_EVENTS", "INBOUND_EVENTS", "OUTBOUND_SLAS", "RETURN_EVENTS", "RIG_CUSTOMER", "FlowRig", "LateTms",
           "eventually"]

#: the events the outbound flow's route delivers to it (see :mod:`tradelane.flows.outbound`)
FLOW_EVENTS = (
    "tradelane.order.released.v1",
    "tradelane.order.cancelled.v1",
    "tradelane.shipment.shipped.v1",
    "tradelane.shipment.tendered.v1",
    "tradelane.shipment.booked.v1",
    "tradelane.shipment.tender_rejected.v1",
    "tradelane.shipment.milestone.v1",
    "tradelane.shipment.delivered.v1",
)
#: the events the inbound flow's route delivers to it (see :mod:`tradelane.flows.inbound`)
INBOUND_EVENTS = (
    "tradelane.receipt.expected.v1",
    "tradelane.appointment.requested.v1",
    "tradelane.appointment.confirmed.v1",
    "tradelane.gate.checked_in.v1",
    "tradelane.dock.assigned.v1",
    "tradelane.receipt.completed.v1",
    "tradelane.gate.checked_out.v1",
)
#: the events the returns flow's route delivers to it (see :mod:`tradelane.flows.returns`)
RETURN_EVENTS = ("tradelane.return.requested.v1", "tradelane.receipt.expected.v1", "tradelane.return.received.v1")
#: ``res.partner.ref`` of the customer the rig creates in a real Odoo (:meth:`FlowRig.prepare_real_odoo`)
RIG_CUSTOMER = "TL-RIG-CUSTOMER"
#: the Odoo emulator's demo products the simulated warehouse stocks (SKU → units on hand in the WMS)
WMS_STOCK: Mapping[str, int] = {"TL-1001": 120, "TL-1002": 400, "TL-1006": 250, "TL-1008": 60, "TL-1009": 8}
#: hub webhook names of the partners, with the connector mapping their documents and its template
PARTNERS = (("wms", "wms_rest", "wms-rest"), ("tms", "tms_rest", "tms-rest"),
            ("carrier", "carrier_webhook", "carrier-webhook"), ("yard", "yard", "yard"))
#: the environment variables holding each partner's callback signing secret
SECRET_ENV = {"wms": "TL_FLOW_WMS_SECRET", "tms": "TL_FLOW_TMS_SECRET", "carrier": "TL_FLOW_CARRIER_SECRET",
              "yard": "TL_FLOW_YARD_SECRET"}
#: the SLAs of the issue's examples, scoped to the flows' own events (tenant ``hub``; the release the outbound
#: flow emits; carrier and TMS milestones, which name a tracking number, not the yard's dock milestones)
OUTBOUND_SLAS: tuple[dict[str, Any], ...] = (
    # released → the WMS acknowledges by starting to pick; the release names the Odoo delivery order
    # (WH/OUT/00007), the pick the canonical shipment (shp_wh_out_00007)
    {"name": "wms-ack", "start": ["tradelane.order.released.v1"], "stop": ["tradelane.shipment.picked.v1"],
     "within": "15m", "key": "concat('shp_', lower(replace(subject, '/', '_')))", "stop_key": "data.shipment_id",
     "where": "tenant == 'hub'", "start_where": "source == 'urn:tradelane:flow:outbound'", "severity": "high",
     "entity": "shipment"},
    {"name": "first-milestone", "start": ["tradelane.shipment.shipped.v1"],
     "stop": ["tradelane.shipment.milestone.v1"], "within": "4h", "key": "data.shipment_id",
     "where": "tenant == 'hub'", "stop_where": "data.tracking_number != null", "severity": "medium"},
    # in transit past the ETA the carrier or TMS last gave (plus 30 min grace); a new ETA moves the timer
    {"name": "past-eta", "start": ["tradelane.shipment.eta_changed.v1"], "stop": ["tradelane.shipment.delivered.v1"],
     "due_at": "data.new_eta", "within": "30m", "key": "data.shipment_id", "where": "tenant == 'hub'",
     "severity": "high"},
    # the TMS or carrier reports "delivered" → the proof of delivery (with its document) within 24 h
    {"name": "pod", "start": ["tradelane.shipment.milestone.v1"], "stop": ["tradelane.shipment.delivered.v1"],
     "within": "24h", "key": "data.shipment_id", "where": "tenant == 'hub'",
     "start_where": "data.event.milestone == 'delivered' && data.tracking_number != null",
     "stop_where": "length(data.pod.documents || `[]`) > `0`", "severity": "medium"},
    # proof of delivery → the carrier's invoice for the shipment (its shipment_refs) within 1 h
    {"name": "invoice", "start": ["tradelane.shipment.delivered.v1"],
     "stop": ["tradelane.carrier_invoice.received.v1"], "within": "1h", "key": "data.shipment_id",
     "stop_key": "data.invoice.shipment_refs", "where": "tenant == 'hub'", "severity": "low", "owner": "finance"},
)
#: simulated time between two steps of a partner's process, seconds (the WMS answers a release before it
#: starts picking, as real ones do, so the hub has recorded the WMS's delivery number by then)
STEP_DELAY_S = 0.2


class LateTms(TmsSimulator):
    """The TMS simulator with a late-pickup fault: the carrier reaches the pickup of the accepted tenders
    numbered in ``late_tenders`` (1 = the first accepted) ``late_by`` after the planned time, so every milestone
    of those shipments comes late.

    :attr:`late` holds the PRO numbers of those tenders and :attr:`milestones_sent` those whose first milestone
    the hub has acknowledged (:meth:`FlowRig.follow_bookings` lets the carrier follow a late one only then, so
    the late milestone is the shipment's first)."""

    def __init__(self, *, late_tenders: frozenset[int] = frozenset(), late_by: timedelta = timedelta(hours=5),
                 **options: Any) -> None:
        super().__init__(**options)
        self.late_tenders = late_tenders
        self.late_by = late_by
        self.late: set[str] = set()
        #: PRO numbers whose transport (milestones, charges) has begun
        self.transporting: set[str] = set()
        self.milestones_sent: set[str] = set()
        self._accepted = 0

    async def _transport(self, tender: Any, start: datetime, rate: float, currency: str) -> None:
        self._accepted += 1
        if self._accepted in self.late_tenders and tender.pro_number:
            self.late.add(tender.pro_number)
            start += self.late_by
        if tender.pro_number:
            self.transporting.add(tender.pro_number)
        await super()._transport(tender, start, rate, currency)

    async def send_callback(self, document: dict[str, Any], msg_id: str | None = None) -> Any:
        sent = await super().send_callback(document, msg_id)
        if document.get("type") == "MILESTONE" and document.get("proNumber"):
            self.milestones_sent.add(str(document["proNumber"]))
        return sent


async def eventually(check: Callable[[], Awaitable[Any]], what: str, timeout_s: float = 90.0) -> Any:
    """Await ``check`` until it returns something truthy (returned); fail naming ``what`` after ``timeout_s``.
    The async twin of :func:`tradelane.testing.wait.wait_until`, for tests whose simulators share the loop."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what}")
        await asyncio.sleep(0.1)


@dataclass
class FlowRig:
    """Odoo emulator + WMS, TMS and carrier simulators, and the hub configuration for the outbound flow."""

    #: WMS faults: share of lines picked short (seeded)
    short_pick_ratio: float = 0.0
    #: a partial shipment keeps a backorder in Odoo (else the rest is cancelled)
    backorder: bool = True
    #: ``pod`` | ``shipment`` | ``never``
    invoice_on: str = "pod"
    #: every partner callback sent twice with one webhook id
    duplicate_callbacks: bool = False
    seed: int = 11
    #: share of WMS API calls answered 500 (an outage the delivery engine retries through)
    wms_fail_ratio: float = 0.0
    #: what the WMS holds at start (default :data:`WMS_STOCK`, the same as the emulator's demo stock)
    wms_stock: Mapping[str, int] | None = None
    step_delay_s: float = STEP_DELAY_S
    secrets: dict[str, str] = field(default_factory=lambda: {k: generate_secret() for k in SECRET_ENV})
    odoo: OdooEmulator | None = None
    wms: WmsSimulator | None = None
    tms: LateTms | None = None
    carrier: CarrierSimulator | None = None
    yard: YardSimulator | None = None
    #: simulated minutes between two events of a trailer's visit at the yard (dwell, hence detention)
    yard_minutes_per_step: float = 0.0
    #: late-milestone fault: the accepted tenders with these numbers (1 = the first) are picked up 5 h late
    late_tenders: frozenset[int] = frozenset()
    #: share of tenders whose ETA the TMS moves while in transit
    eta_change_ratio: float = 0.0
    #: the returns flow's credit-note policy: ``none`` | ``draft`` | ``posted``
    credit_note: str = "posted"

    #: a real Odoo to use instead of the emulator (url, db, user, password), read by :meth:`start` from
    #: ``TRADELANE_ODOO_URL``/``_DB``/``_USER``/``_PASSWORD`` when set
    real_odoo: dict[str, str] | None = None

    async def start(self) -> FlowRig:
        if os.environ.get("TRADELANE_ODOO_URL"):
            self.real_odoo = {"url": os.environ["TRADELANE_ODOO_URL"],
                              "db": os.environ.get("TRADELANE_ODOO_DB", ""),
                              "user": os.environ.get("TRADELANE_ODOO_USER", "admin"),
                              "password": os.environ.get("TRADELANE_ODOO_PASSWORD", "")}
            # the simulators' ids (PRO numbers, lots, SSCCs) come from the seed: salt it per run, so they do not
            # collide with the records earlier runs left in the database
            self.seed = self.seed * 1_000_000 + int(time.time() * 1000) % 1_000_000
            await self.prepare_real_odoo()
        else:
            self.odoo = OdooEmulator()
            self.odoo.__enter__()
        common: dict[str, Any] = {"seed": self.seed, "step_delay_s": self.step_delay_s,
                                  "duplicate_callbacks": self.duplicate_callbacks}
        from tradelane.testing.odoo.seed import DEMO_PRODUCTS

        # the WMS's item master: every product of the Odoo demo data (expected receipts may name any of them)
        self.wms = WmsSimulator(stock=dict(self.wms_stock or WMS_STOCK), short_pick_ratio=self.short_pick_ratio,
                                fail_ratio=self.wms_fail_ratio, items=[p[0] for p in DEMO_PRODUCTS],
                                secret=self.secrets["wms"], **common)
        self.tms = LateTms(eta_change_ratio=self.eta_change_ratio, late_tenders=self.late_tenders,
                           secret=self.secrets["tms"], **common)
        self.carrier = CarrierSimulator(exception_ratio=0.0, secret=self.secrets["carrier"], **common)
        yard_clock = None
        if self.yard_minutes_per_step:
            start, step, ticks = datetime.now(UTC), timedelta(minutes=self.yard_minutes_per_step), [0]

            def yard_clock() -> datetime:
                ticks[0] += 1
                return start + step * ticks[0]

        self.yard = YardSimulator(auto_visit=True, secret=self.secrets["yard"], clock=yard_clock, **common)
        for sim in (self.wms, self.tms, self.carrier, self.yard):
            await sim.start()
        return self

    async def stop(self) -> None:
        for sim in (self.yard, self.carrier, self.tms, self.wms):
            if sim is not None:
                await sim.stop()
        if self.odoo is not None:
            self.odoo.__exit__(None, None, None)

    async def prepare_real_odoo(self) -> None:
        """On a real Odoo: the emulator's demo products (by SKU, created when missing) with the emulator's demo
        stock in WH/Stock (:data:`WMS_STOCK`; an absolute count of each product's total there, lots and
        packages earlier runs left included, so every run starts alike whatever the simulated warehouse is
        told it holds), and a customer of the rig's own (:data:`RIG_CUSTOMER`). Nothing depends on the
        database's demo ids."""
        from tradelane.connectors.odoo import (
            OdooClient,
            OdooSettings,
            PartnerData,
            ProductData,
            StockCount,
            apply_inventory_counts,
            read_quants,
            read_warehouses,
            upsert_partners,
            upsert_products,
        )
        from tradelane.testing.odoo.seed import DEMO_PRODUCTS

        assert self.real_odoo is not None
        c = self.real_odoo
        client = await OdooClient(OdooSettings(url=c["url"], db=c["db"], user=c["user"],
                                               password=c["password"])).connect()
        try:
            await upsert_products(client, [
                ProductData(code, name, list_price=price, standard_price=cost, weight=weight,
                            tracking=cast(Any, tracking), invoice_policy=cast(Any, policy))
                for code, name, tracking, weight, price, cost, _on_hand, policy in DEMO_PRODUCTS])
            location = (await read_warehouses(client))[0].stock_location_id
            # a count without a lot covers the stock without a lot (packaged or not); the stock on lots is
            # left as it is and taken off, so the total at the location is the count
            held: dict[str, float] = {}
            for q in await read_quants(client, location_ids=[location], product_refs=sorted(WMS_STOCK),
                                       include_children=False):
                if q.lot and q.product_ref:
                    held[q.product_ref] = held.get(q.product_ref, 0.0) + q.quantity
            await apply_inventory_counts(client, f"tradelane rig {time.time():.3f}", [
                StockCount(sku, location, qty - held.get(sku, 0.0)) for sku, qty in sorted(WMS_STOCK.items())])
            await upsert_partners(client, [PartnerData(RIG_CUSTOMER, "Tradelane Rig Customer", city="Rotterdam")])
        finally:
            await client.close()

    def odoo_connection(self) -> dict[str, str]:
        """url, db, user and password of the Odoo the rig uses (the emulator, or the real one)."""
        if self.real_odoo is not None:
            return dict(self.real_odoo)
        assert self.odoo is not None
        return {"url": self.odoo.url, "db": self.odoo.db, "user": "admin", "password": "admin"}

    def env(self) -> dict[str, str]:
        """The environment the hub reads its connections and hook secrets from."""
        assert self.wms is not None and self.tms is not None
        odoo = self.odoo_connection()
        return {
            "TRADELANE_ODOO_URL": odoo["url"], "TRADELANE_ODOO_DB": odoo["db"],
            "TRADELANE_ODOO_USER": odoo["user"], "TRADELANE_ODOO_PASSWORD": odoo["password"],
            "TRADELANE_WMS_REST_BASE_URL": self.wms.url, "TRADELANE_TMS_REST_BASE_URL": self.tms.url,
            "TRADELANE_YARD_BASE_URL": self.yard.url if self.yard else "",
            **{SECRET_ENV[k]: v for k, v in self.secrets.items()},
        }

    def settings_doc(self, *, capture_interval_s: float = 0.3, slas: bool = True) -> dict[str, Any]:
        """The hub settings of the flows (merge into the rest of the configuration).

        :param slas: declare the outbound flow's SLAs (:data:`OUTBOUND_SLAS`, scoped to the flows' events)
        """
        # a real Odoo has history: capture only what changes from now on (the emulator starts empty)
        capture_from = {"capture_from": "now"} if self.real_odoo is not None else {}
        return {
            "endpoints": {
                "outbound-flow": {"kind": "flow", "flow": "outbound", "odoo": {
                    "backorder": self.backorder, "invoice_on": self.invoice_on, "milestone_notes": True}},
                "inbound-flow": {"kind": "flow", "flow": "inbound", "odoo": {"backorder": self.backorder}},
                "returns-flow": {"kind": "flow", "flow": "returns"},
            },
            "routes": [
                # a yard's dock-work milestone names no carrier tracking number: not the outbound flow's
                {"name": "outbound", "events": list(FLOW_EVENTS), "destination": "outbound-flow", "ordered": True,
                 "filter": "type != 'tradelane.shipment.milestone.v1' || data.tracking_number != null",
                 "retry": {"schedule": [0.2, 0.5, 1, 2, 5, 10], "jitter": 0.1}},
                # each flow announces its own expected receipts to the WMS
                {"name": "inbound", "events": list(INBOUND_EVENTS), "destination": "inbound-flow",
                 "filter": "type != 'tradelane.receipt.expected.v1' || source == 'urn:tradelane:flow:inbound'",
                 "ordered": False, "retry": {"schedule": [0.2, 0.5, 1, 2, 5, 10], "jitter": 0.1}},
                {"name": "returns", "events": list(RETURN_EVENTS), "destination": "returns-flow", "ordered": True,
                 "filter": "type != 'tradelane.receipt.expected.v1' || source == 'urn:tradelane:flow:returns'",
                 "retry": {"schedule": [0.2, 0.5, 1, 2, 5, 10], "jitter": 0.1}},
            ],
            "hooks": {name: {"scheme": "standard", "secrets_env": SECRET_ENV[name], "tenant": "hub",
                             "connector": connector} for name, connector, _t in PARTNERS},
            "flows": {
                "outbound": {
                    "description": "Odoo sale order → WMS → ship → TMS → milestones → POD → invoice",
                    "mode": "realtime", "owner_team": "logistics",
                    "options": {"capture_interval_s": capture_interval_s, **capture_from},
                    "slas": [dict(sla) for sla in OUTBOUND_SLAS] if slas else [],
                },
                "inbound": {
                    "description": "Odoo purchase order → yard appointment → gate → dock → receipt → gate-out",
                    "mode": "realtime", "owner_team": "receiving",
                    "options": {"capture_interval_s": capture_interval_s, "free_time": "2h",
                                "detention_rate": "45.00", **capture_from},
                },
                "returns": {
                    "description": "return request → expected return receipt → inspection → Odoo return and credit",
                    "mode": "realtime", "owner_team": "customer-service",
                    "options": {"credit_note": self.credit_note, "capture_interval_s": capture_interval_s,
                                **capture_from},
                },
            },
            "flow_runtime": {"mirror_interval_s": 0.2, "sla_interval_s": 0.5, "settle_s": 0.0},
        }

    def connect(self, hub_url: str) -> None:
        """Point the simulators' callbacks at the hub's partner hooks."""
        assert self.wms is not None and self.tms is not None and self.carrier is not None
        self.wms.callback_url = f"{hub_url}/v1/hooks/wms"
        self.tms.callback_url = f"{hub_url}/v1/hooks/tms"
        self.carrier.callback_url = f"{hub_url}/v1/hooks/carrier"
        if self.yard is not None:
            self.yard.callback_url = f"{hub_url}/v1/hooks/yard"

    @staticmethod
    async def seed_references(xrefs: XrefStore, tenant: str = "hub") -> int:
        """Load each partner template's cross references (sites, carriers, customers) except the sample
        shipments (the flow links real ones as it releases and books); returns how many were written."""
        from tradelane.mapping.loader import load_mapping

        n = 0
        for _name, _connector, template in PARTNERS:
            partner = load_mapping(template).partner
            text = template_dir(template).joinpath("xref.yaml").read_text(encoding="utf-8")
            for entry in parse_xref_seed(text, tenant=tenant, partner=partner):
                if entry.kind != "shipment":
                    await xrefs.put(entry)
                    n += 1
        return n

    async def settle(self, timeout_s: float = 90.0) -> None:
        """Wait until every partner has sent (and had answered) every callback it scheduled."""
        for sim in (self.wms, self.tms, self.carrier, self.yard):
            if sim is not None:
                await sim.settle(timeout_s)

    def follow_bookings(self, tracking_numbers: list[str]) -> None:
        """The carrier starts following shipments it was booked for (its journey webhooks follow)."""
        assert self.carrier is not None and self.tms is not None
        for number in tracking_numbers:
            if number not in self.tms.transporting:
                continue  # the TMS has not decided yet whether this pickup is late
            if number in self.tms.late and number not in self.tms.milestones_sent:
                continue  # the late pickup: the carrier follows once the TMS's (late) first milestone is in
            if number not in self.carrier.scans:
                self.carrier.scans[number] = []
                self.carrier.schedule(self.carrier.journey(number))

"""Wiring of the business flows (part of :mod:`tradelane.bootstrap`): the adapters that put the Odoo, WMS and
TMS connectors, the ingest service and the cross-reference table behind the ports of
:mod:`tradelane.ports.flows`, and :func:`build_business_flows`, which builds the flows the configuration names.

A flow is switched on by an endpoint of kind ``flow`` naming it (``endpoints.outbound-flow: {kind: flow,
flow: outbound}``) and routes delivering the flow's events there. Connections come from the environment:
Odoo from ``TRADELANE_ODOO_*``, the WMS from ``TRADELANE_WMS_REST_*`` and the TMS from ``TRADELANE_TMS_REST_*``
(see each connector's settings).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson

from tradelane.core.envelope import CloudEvent
from tradelane.core.errors import BusinessError, ConfigError, TradelaneError
from tradelane.core.registry import registry
from tradelane.flows.exceptions import ExceptionService
from tradelane.flows.inbound import InboundConfig, InboundFlow
from tradelane.flows.inventory import InventoryConfig, InventoryFlow
from tradelane.flows.outbound import OutboundConfig, OutboundFlow
from tradelane.flows.returns import ReturnOutcome, ReturnsConfig, ReturnsFlow
from tradelane.flows.settlement import SettlementConfig, SettlementFlow
from tradelane.ingest.validate import validate_event
from tradelane.ports.flows import (
    Applied,
    BillRequest,
    CancelledOrder,
    CursorPositions,
    PickingState,
    QuantRow,
    ReleaseCandidate,
)
from tradelane.ports.store import EventFilter
from tradelane.ports.xref import XrefEntry, XrefField

__all__ = [
    "BusinessFlows",
    "IngestSink",
    "OdooDesk",
    "TmsTransport",
    "WmsWarehouse",
    "XrefReferences",
    "build_business_flows",
]

log = logging.getLogger("tradelane.flows")

#: seconds between two change-capture polls of Odoo by the outbound flow
CAPTURE_INTERVAL_S = 2.0


#: ``flow_cursors`` rows of the change capture: where each poll of Odoo stopped (its ``write_date`` watermark)
CAPTURE_CURSORS = {"release": ("odoo-capture:sale.order:release", "sale.order"),
                   "cancel": ("odoo-capture:sale.order:cancel", "sale.order"),
                   "receipt": ("odoo-capture:purchase.order:receipt", "purchase.order"),
                   "return": ("odoo-capture:stock.picking:return", "stock.picking")}


class OdooDesk:
    """:class:`~tradelane.ports.flows.OrderDesk` over the Odoo connector (connects on first use).

    :param positions: where the change-capture watermarks persist (``None``: in memory only). A restarted hub
        resumes each poll from its stored watermark (minus the poll's overlap window) instead of re-reading
        every confirmed order; what the overlap re-reads is emitted again under the same event ids, so the
        ingest deduplicates it.
    :param capture_from: where a capture with no stored watermark starts (``None``: every record Odoo holds).
        A hub connected to an Odoo with history (a real database) starts "now" so it does not release the
        orders of the past (flow option ``capture_from: now`` or an ISO datetime).
    """

    def __init__(self, odoo_settings: Any, policy: Any, positions: CursorPositions | None = None,
                 capture_from: datetime | None = None) -> None:
        self._settings = odoo_settings
        self._policy = policy
        self._positions = positions
        self._capture_from = capture_from
        #: the watermark last persisted per capture
        self._persisted: dict[str, str] = {}
        self._client: Any = None
        self._applier: Any = None
        self._cursor: Any = None
        self._cancel_cursor: Any = None
        self._receipt_cursor: Any = None
        self._return_cursor: Any = None
        self._lock = asyncio.Lock()
        #: ship confirmations are applied one at a time: two validations creating the same lot name at once
        #: would collide on Odoo's unique (lot, product) constraint (search-then-create is not atomic)
        self._ship_lock = asyncio.Lock()

    async def _odoo(self) -> Any:
        async with self._lock:
            if self._client is None:
                from tradelane.connectors.odoo import ChangeCursor, OdooClient
                from tradelane.connectors.odoo.applier import OdooApplier

                client = await OdooClient(self._settings).connect()
                self._applier = OdooApplier(client, self._policy)
                self._cursor = await self._restore("release", ChangeCursor)
                self._cancel_cursor = await self._restore("cancel", ChangeCursor)
                self._receipt_cursor = await self._restore("receipt", ChangeCursor)
                self._return_cursor = await self._restore("return", ChangeCursor)
                self._client = client
            return self._client

    async def _restore(self, which: str, cursor_type: Any) -> Any:
        from datetime import UTC

        from tradelane.connectors.odoo.common import to_odoo_datetime

        name, model = CAPTURE_CURSORS[which]
        position = await self._positions.get(name) if self._positions is not None else None
        if not position:
            if self._capture_from is not None:  # one overlap later, so the first poll reads from capture_from
                from tradelane.connectors.odoo.changes import DEFAULT_OVERLAP

                start = self._capture_from.astimezone(UTC) + DEFAULT_OVERLAP
                return cursor_type(model, watermark=to_odoo_datetime(start))
            return cursor_type(model)
        watermark = to_odoo_datetime(datetime.fromtimestamp(position, UTC))
        self._persisted[which] = watermark
        return cursor_type(model, watermark=watermark)

    async def _save(self, which: str, done: Any) -> None:
        """Persist the watermark a poll starts from (seconds since the epoch, UTC), when it moved.

        That is the previous poll's result: the flow polls, emits what it found, then polls again, so by now
        what the previous poll found is stored. A hub stopped between a poll and its emit therefore resumes
        from the poll before, and emits again what it had not.
        """
        if self._positions is None or done.watermark is None or self._persisted.get(which) == done.watermark:
            return
        from datetime import UTC

        from tradelane.connectors.odoo.common import from_odoo_datetime

        stamp = int(from_odoo_datetime(done.watermark).replace(tzinfo=UTC).timestamp())
        await self._positions.put(CAPTURE_CURSORS[which][0], stamp)
        self._persisted[which] = done.watermark

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def poll_releases(self) -> list[ReleaseCandidate]:
        from tradelane.connectors.odoo.applier import poll_release_candidates

        client = await self._odoo()
        before = self._cursor
        await self._save("release", before)
        found, self._cursor = await poll_release_candidates(client, before)
        return list(found)

    async def poll_cancellations(self) -> list[CancelledOrder]:
        from tradelane.connectors.odoo.applier import poll_cancelled_orders

        client = await self._odoo()
        before = self._cancel_cursor
        await self._save("cancel", before)
        found, self._cancel_cursor = await poll_cancelled_orders(client, before)
        return list(found)

    async def poll_receipts(self) -> list[ReleaseCandidate]:
        """Receipts of purchase orders confirmed or changed since the last poll (the inbound flow's capture)."""
        from tradelane.connectors.odoo.applier import poll_receipt_candidates

        client = await self._odoo()
        before = self._receipt_cursor
        await self._save("receipt", before)
        found, self._receipt_cursor = await poll_receipt_candidates(client, before)
        return list(found)

    async def poll_returns(self) -> list[Any]:
        """Return pickings made in Odoo since the last poll (the returns flow's capture)."""
        from tradelane.connectors.odoo.returns import poll_odoo_returns

        client = await self._odoo()
        before = self._return_cursor
        await self._save("return", before)
        found, self._return_cursor = await poll_odoo_returns(client, before)
        return list(found)

    async def is_open_odoo_return(self, picking_ref: str) -> bool:
        from tradelane.connectors.odoo.returns import is_open_odoo_return

        return await is_open_odoo_return(await self._odoo(), picking_ref)

    async def note(self, picking_id: int, body: str, key: str) -> None:
        from tradelane.connectors.odoo.applier import note_on_picking

        await note_on_picking(await self._odoo(), picking_id, body, key)

    async def order_pickings(self, order_ref: str) -> list[PickingState]:
        from tradelane.connectors.odoo.applier import read_order_deliveries

        return list(await read_order_deliveries(await self._odoo(), order_ref))

    async def picking(self, name: str) -> PickingState | None:
        from tradelane.connectors.odoo.applier import read_delivery_order

        result: PickingState | None = await read_delivery_order(await self._odoo(), name)
        return result

    async def apply(self, event: Mapping[str, Any]) -> Applied:
        await self._odoo()
        if event.get("type") == "tradelane.shipment.shipped.v1":
            async with self._ship_lock:
                done = await self._applier.apply(event)
        else:
            done = await self._applier.apply(event)
        return Applied(done.outcome, done.detail, tuple(done.records), tuple(done.discrepancies))

    async def set_carrier(self, picking_id: int, tracking_ref: str | None, carrier_name: str | None, note: str,
                          key: str) -> None:
        from tradelane.connectors.odoo.applier import record_booking

        await record_booking(await self._odoo(), picking_id, tracking_ref, note, key)

    async def post_vendor_bill(self, bill: BillRequest) -> tuple[int, bool]:
        from datetime import date

        from tradelane.connectors.odoo import BillLine, CarrierBill, post_carrier_bill

        result = await post_carrier_bill(await self._odoo(), CarrierBill(
            vendor_ref=bill.carrier_ref, ref=bill.invoice_number, invoice_date=date.fromisoformat(bill.invoice_date),
            lines=tuple(BillLine(desc, amount, product_ref=bill.product_ref) for desc, amount in bill.lines),
            hub_event_id=bill.key,
            carrier_ref=None,
        ))
        return result.invoice_id, result.created

    async def return_goods(self, delivery_ref: str, lines: list[tuple[str, float]], key: str, credit: str,
                           reason: str | None, existing: str | None = None) -> ReturnOutcome:
        """:class:`~tradelane.flows.returns.ReturnDesk`: the return picking (Odoo's return wizard) and credit
        note, keyed by ``key``."""
        from tradelane.connectors.odoo.returns import ReturnLineQty, ReturnRequest, return_delivery

        done = await return_delivery(await self._odoo(), ReturnRequest(
            delivery_ref, tuple(ReturnLineQty(sku, qty) for sku, qty in lines), key, credit=credit, reason=reason,
            return_ref=existing))
        return ReturnOutcome(done.picking_id, done.picking_ref, done.state, dict(done.quantities),
                             done.credit_note_id, done.credit_note_state, done.created)

    async def _stock_location(self) -> int:
        client = await self._odoo()
        rows = await client.search_read("stock.warehouse", [], ["lot_stock_id"], order="id", limit=1)
        if not rows:
            raise BusinessError("Odoo has no warehouse", kind="MissingError")
        return int(rows[0]["lot_stock_id"][0])

    async def quants(self, skus: list[str]) -> list[QuantRow]:
        from tradelane.connectors.odoo import read_quants

        loc = await self._stock_location()
        rows = await read_quants(await self._odoo(), location_ids=[loc], product_refs=skus, include_children=False)
        return [QuantRow(str(q.product_ref), q.quantity, q.lot, q.location_name) for q in rows if q.product_ref]

    async def adjust(self, counts: list[QuantRow], key: str) -> int:
        """Set each product's total at the stock location to the counted total: the quant without lot or package
        takes the difference (lot and package quants are left as they are)."""
        from tradelane.connectors.odoo import StockCount, apply_inventory_counts

        loc = await self._stock_location()
        current = await self.quants([c.sku for c in counts])
        others: dict[str, float] = {}
        for q in current:
            if q.lot:
                others[q.sku] = others.get(q.sku, 0.0) + q.quantity
        done = await apply_inventory_counts(await self._odoo(), key, [
            StockCount(c.sku, loc, c.quantity - others.get(c.sku, 0.0)) for c in counts])
        return len(done.applied)


class WmsWarehouse:
    """:class:`~tradelane.ports.flows.Warehouse` over the WMS connector."""

    def __init__(self, connector: Any) -> None:
        self.connector = connector

    @property
    def partner(self) -> str:
        return str(self.connector.mapping.partner)

    async def release(self, event: Mapping[str, Any]) -> tuple[str | None, tuple[str, ...]]:
        from tradelane.connectors.rest_common import json_body, outbound_document
        from tradelane.connectors.wms_rest import mapper
        from tradelane.connectors.wms_rest import mapping as wms_mapping

        c = self.connector
        ce = CloudEvent.model_validate(dict(event))
        mapped = await outbound_document(c.mapping, wms_mapping.OUTBOUND, "release_order", ce, xrefs=c.xrefs,
                                         tenant=c.settings.tenant)
        response = await c.proxy.send(mapper.release_order_request(ce, mapped.document, c.settings))
        parsed = mapper.parse_release_order_response(response, c.settings)
        refused = tuple(f"{m.code}: {m.text}" for m in parsed.messages if m.severity == "error")
        body = json_body(response) if not refused else None
        delivery_no = body.get("deliveryNo") if isinstance(body, dict) else None
        return (str(delivery_no) if delivery_no else None), refused

    async def expect(self, event: Mapping[str, Any]) -> tuple[str, ...]:
        """:class:`~tradelane.flows.inbound.Receiving`: announce an expected receipt; returns refusals."""
        parsed = await self.connector.expect_receipt(CloudEvent.model_validate(dict(event)))
        return tuple(f"{m.code}: {m.text}" for m in parsed.messages if m.severity == "error")

    async def cancel(self, order_no: str) -> str:
        from urllib.parse import quote

        from tradelane.connectors.rest_common import raise_for_fault
        from tradelane.ports.connector import PartnerRequest

        response = await self.connector.proxy.send(PartnerRequest(
            "cancel_order", "POST", f"/api/v1/orders/{quote(order_no, safe='')}/cancel"))
        if response.status == 409:
            return "too_late"
        if response.status == 404:
            return "unknown"
        raise_for_fault(response, "WMS")
        return "cancelled"

    async def snapshot(self, site: str) -> list[QuantRow]:
        parsed = await self.connector.fetch_inventory(site)
        out: list[QuantRow] = []
        for ev in parsed.events:
            for level in ev.to_wire()["data"].get("levels") or ():
                out.append(QuantRow(str(level["product"]["sku"]), float(level["on_hand"]["value"]),
                                    level.get("lot"), level.get("location_id")))
        return out


class TmsTransport:
    """:class:`~tradelane.ports.flows.Transport` over the TMS connector."""

    def __init__(self, connector: Any) -> None:
        self.connector = connector

    @property
    def partner(self) -> str:
        return str(self.connector.mapping.partner)

    async def tender(self, event: Mapping[str, Any]) -> tuple[str, ...]:
        parsed = await self.connector.tender(CloudEvent.model_validate(dict(event)))
        return tuple(f"{m.code}: {m.text}" for m in parsed.messages if m.severity == "error")


class YardScheduler:
    """:class:`~tradelane.flows.inbound.Yard` over the yard connector."""

    def __init__(self, connector: Any) -> None:
        self.connector = connector

    async def request(self, event: Mapping[str, Any]) -> tuple[str, ...]:
        parsed = await self.connector.request_appointment(CloudEvent.model_validate(dict(event)))
        return tuple(f"{m.code}: {m.text}" for m in parsed.messages if m.severity == "error")


class IngestSink:
    """:class:`~tradelane.ports.flows.EventSink` over the hub's ingest service and store."""

    def __init__(self, ingest: Any, store: Any) -> None:
        self.ingest = ingest
        self.store = store

    async def emit(self, tenant: str, events: list[dict[str, Any]]) -> list[str]:
        """Each event is its own submission, so each gets its own outcome. An id already stored with another
        payload (``conflict``) counts as ``duplicate``: the id names the effect (a release of one delivery
        order), which already happened."""
        out = []
        for doc in events:
            ev = validate_event(orjson.loads(orjson.dumps(doc)), registry)
            result = await self.ingest.submit(tenant, [ev], channel="flow")
            out.append("created" if result.outcome == "created" else "duplicate")
        return out

    async def find(self, tenant: str, event_type: str, since: datetime | None = None,
                   limit: int = 1000) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        cursor = None
        while len(out) < limit:
            page = await self.store.list_events(EventFilter(tenant=tenant, type=event_type, since=since), cursor,
                                                min(500, limit - len(out)))
            out += [e.event.to_wire() for e in page.items]
            cursor = page.next_cursor
            if not cursor:
                break
        return out


class XrefReferences:
    """:class:`~tradelane.ports.flows.References` over the cross-reference table."""

    def __init__(self, xrefs: Any) -> None:
        self.xrefs = xrefs

    async def link(self, tenant: str, partner: str, kind: str, partner_value: str, canonical_id: str,
                   odoo_id: int | None = None) -> None:
        await self.xrefs.put(XrefEntry(tenant, partner, kind, partner_value, canonical_id, odoo_id))

    async def lookup(self, tenant: str, partner: str, kind: str, partner_value: str) -> tuple[str, int | None] | None:
        entry = await self.xrefs.get(tenant, partner, kind, partner_value)
        return (entry.canonical_id, entry.odoo_id) if entry is not None else None

    async def partner_value(self, tenant: str, partner: str, kind: str, canonical_id: str) -> str | None:
        found = await self.xrefs.find_many(tenant, partner, kind, XrefField.CANONICAL, [canonical_id])
        entry = found.get(canonical_id)
        return entry.partner_value if entry is not None else None


class BusinessFlows:
    """The business flows one hub runs: handlers by flow name (for ``flow`` endpoints), batch jobs, pollers."""

    def __init__(self) -> None:
        self.outbound: OutboundFlow | None = None
        self.settlement: SettlementFlow | None = None
        self.inventory: InventoryFlow | None = None
        self.inbound: InboundFlow | None = None
        self.returns: ReturnsFlow | None = None
        self._closers: list[Any] = []

    def handler(self, flow: str) -> Any:
        """The delivery destination of a ``flow`` endpoint (resolved at send time, so wiring order is free)."""

        async def deliver(delivery: Any) -> None:
            target = getattr(self, flow.replace("-", "_"), None)
            if target is None or not hasattr(target, "deliver"):
                raise BusinessError(f"flow {flow!r} is not running in this hub (check its connections)",
                                    kind="ConfigError")
            await target.deliver(delivery)

        return deliver

    async def close(self) -> None:
        for closer in self._closers:
            try:
                await closer()
            except Exception:  # closing must never fail the shutdown
                log.exception("closing a flow adapter failed")


def _odoo_policy(settings: Any) -> Any:
    from tradelane.connectors.odoo.applier import ApplyPolicy

    odoo_eps = [e for e in settings.endpoints.values() if e.kind == "odoo"]
    flow_eps = [e for e in settings.endpoints.values() if e.kind == "flow"]
    apply = (flow_eps[0].odoo if flow_eps else None) or (odoo_eps[0].odoo if odoo_eps else None)
    if apply is None:
        return ApplyPolicy()
    return ApplyPolicy(backorder=apply.backorder, invoice_on=apply.invoice_on, milestone_notes=apply.milestone_notes)


def _capture_from(settings: Any) -> datetime | None:
    """The ``capture_from`` option of the outbound or inbound flow: ``now`` or an ISO datetime (UTC if naive)."""
    from datetime import UTC

    for name in ("outbound", "inbound", "returns"):
        flow = settings.flows.get(name)
        value = dict(flow.options).get("capture_from") if flow is not None else None
        if not value:
            continue
        if str(value) == "now":
            return datetime.now(UTC)
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError as exc:
            raise ConfigError(f"capture_from must be 'now' or an ISO datetime, not {value!r}",
                              key=f"flows.{name}.options.capture_from") from exc
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return None


def build_business_flows(settings: Any, store: Any, engine: Any, ingest: Any, exceptions: ExceptionService,
                         runtime: Any, *, into: BusinessFlows | None = None) -> BusinessFlows:
    """The flows named by ``flow`` endpoints, their adapters, pollers and batch jobs.

    :raises ConfigError: a flow endpoint names a flow that is not in the catalogue, or a connection is missing
    """
    from tradelane.bootstrap import odoo_connection
    from tradelane.store.xref import SqlXrefStore

    flows = into if into is not None else BusinessFlows()
    wanted = {e.flow for e in settings.endpoints.values() if e.kind == "flow" and e.flow}
    batch = {name for name, f in settings.flows.items() if f.mode == "batch" and name in ("settlement", "inventory")}
    for name in wanted:
        if name not in settings.flows:
            raise ConfigError(f"endpoint names flow {name!r}, which is not in the flows catalogue", key="flows")
    if not os.environ.get("TRADELANE_ODOO_URL"):
        if wanted:
            raise ConfigError("the business flows need an Odoo connection: set TRADELANE_ODOO_URL",
                              key="TRADELANE_ODOO_URL")
        if batch:  # declared in the catalogue, but this hub cannot run them: listed, not scheduled
            log.warning("batch flows %s are not scheduled: no Odoo connection (TRADELANE_ODOO_URL)", sorted(batch))
        return flows
    if "inventory" in batch and not os.environ.get("TRADELANE_WMS_REST_BASE_URL"):
        log.warning("the inventory flow is not scheduled: no WMS connection (TRADELANE_WMS_REST_BASE_URL)")
        batch.discard("inventory")
    if not wanted and not batch:
        return flows
    from tradelane.store.flows import SqlCursorPositions

    desk = OdooDesk(odoo_connection(), _odoo_policy(settings), SqlCursorPositions(engine),
                    capture_from=_capture_from(settings))
    flows._closers.append(desk.close)
    xrefs = SqlXrefStore(engine)
    refs = XrefReferences(xrefs)
    sink = IngestSink(ingest, store)
    wms: Any = None
    # inbound and returns announce their expected receipts to the WMS when there is one (optional, like the yard)
    receiving = bool(wanted & {"inbound", "returns"}) and bool(os.environ.get("TRADELANE_WMS_REST_BASE_URL"))
    if "outbound" in wanted or "inventory" in batch or receiving:
        from tradelane.connectors.wms_rest import WmsRestConnector, WmsRestSettings

        try:
            wms = WmsRestConnector(WmsRestSettings(), xrefs)
        except (ValueError, TradelaneError) as exc:
            raise ConfigError(f"the business flows need the WMS: {exc}", key="TRADELANE_WMS_REST_BASE_URL") from exc
        flows._closers.append(wms.aclose)
    if "outbound" in wanted:
        options = dict(settings.flows["outbound"].options)
        transport = None
        tms_partner = "globex-tms"
        if os.environ.get("TRADELANE_TMS_REST_BASE_URL"):
            from tradelane.connectors.tms_rest import TmsRestConnector, TmsRestSettings

            tms = TmsRestConnector(TmsRestSettings(), xrefs)
            flows._closers.append(tms.aclose)
            transport = TmsTransport(tms)
            tms_partner = transport.partner
        config = OutboundConfig(
            tenant=wms.settings.tenant, warehouse_id=options.get("warehouse_id", OutboundConfig.warehouse_id),
            wms_partner=WmsWarehouse(wms).partner, tms_partner=tms_partner,
            carrier_partner=options.get("carrier_partner", OutboundConfig.carrier_partner),
            owner_team=settings.flows["outbound"].owner_team,
        )
        flows.outbound = OutboundFlow(desk, WmsWarehouse(wms), transport, sink, refs, exceptions, config)
        runtime.add_poller("outbound-capture", flows.outbound.capture_once,
                           float(options.get("capture_interval_s", CAPTURE_INTERVAL_S)))
    if "inbound" in wanted:
        from datetime import timedelta
        from decimal import Decimal

        from tradelane.flows.spec import parse_duration

        f = settings.flows["inbound"]
        opts = dict(f.options)
        yard = None
        yard_partner = InboundConfig.yard_partner
        if os.environ.get("TRADELANE_YARD_BASE_URL"):
            from tradelane.connectors.yard import YardConnector, YardSettings

            yc = YardConnector(YardSettings(), xrefs)
            flows._closers.append(yc.aclose)
            yard = YardScheduler(yc)
            yard_partner = str(yc.mapping.partner)
        free: timedelta = parse_duration(str(opts["free_time"])) if "free_time" in opts else InboundConfig.free_time
        icfg = InboundConfig(
            tenant=str(opts.get("tenant", "hub")), location_id=str(opts.get("location_id", InboundConfig.location_id)),
            dock_id=opts.get("dock_id", InboundConfig.dock_id), carrier_id=opts.get("carrier_id", InboundConfig.carrier_id),
            yard_partner=yard_partner, free_time=free,
            detention_rate=Decimal(str(opts.get("detention_rate", InboundConfig.detention_rate))),
            owner_team=f.owner_team,
        )
        flows.inbound = InboundFlow(desk, yard, sink, refs, exceptions, desk.note, icfg, poll=desk.poll_receipts,
                                    receiving=WmsWarehouse(wms) if wms is not None else None)
        runtime.add_poller("inbound-capture", flows.inbound.capture_once,
                           float(opts.get("capture_interval_s", CAPTURE_INTERVAL_S)))
    if "returns" in wanted:
        f = settings.flows["returns"]
        ropts = dict(f.options)
        try:
            rcfg = ReturnsConfig(tenant=str(ropts.get("tenant", "hub")),
                                 credit_note=str(ropts.get("credit_note", ReturnsConfig.credit_note)),
                                 location_id=str(ropts.get("location_id", ReturnsConfig.location_id)),
                                 owner_team=f.owner_team)
        except ValueError as exc:
            raise ConfigError(str(exc), key="flows.returns.options.credit_note") from exc
        flows.returns = ReturnsFlow(desk, sink, exceptions, desk.note, rcfg, poll=desk.poll_returns,
                                    receiving=WmsWarehouse(wms) if wms is not None else None)
        runtime.add_poller("returns-capture", flows.returns.capture_once,
                           float(ropts.get("capture_interval_s", CAPTURE_INTERVAL_S)))
    if "settlement" in batch:
        f = settings.flows["settlement"]
        flows.settlement = SettlementFlow(desk, sink, exceptions, SettlementConfig.from_options(
            dict(f.options), owner_team=f.owner_team))
        runtime.add_job("settlement", flows.settlement.run)
    if "inventory" in batch:
        from tradelane.routing.ownership import OwnershipMatrix, SystemRef

        f = settings.flows["inventory"]
        opts = dict(f.options)
        flows.inventory = InventoryFlow(
            desk, WmsWarehouse(wms), exceptions, OwnershipMatrix.from_config(getattr(settings, "ownership", {})),
            InventoryConfig(site=str(opts.get("site", InventoryConfig.site)), tenant=wms.settings.tenant,
                            owner_team=f.owner_team, wms=SystemRef(WmsWarehouse(wms).partner, "wms")),
        )
        runtime.add_job("inventory", flows.inventory.run)
    runtime.add_closer(flows.close)
    return flows

"""The inbound and yard flow: Odoo purchase order → expected receipt and a dock appointment at the yard →
gate-in → door → unloading → receipt in Odoo (discrepancies become an exception, never a silent overwrite) →
gate-out, with a detention charge when the trailer stayed beyond the free time.

* **capture** (:meth:`InboundFlow.capture_once`): Odoo change capture finds receipts of confirmed purchase
  orders and emits ``receipt.expected`` and ``appointment.requested`` per receipt, with ids derived from the
  Odoo record (polling again stores nothing new);
* **react** (:meth:`InboundFlow.handle`, the destination of the flow's route):

==============================  =================================================================================
``receipt.expected``            announced to the WMS (an advance ship notice; a refusal opens ``wms_refused``)
``appointment.requested``       booked at the yard (a refusal opens ``yard_refused``)
``appointment.confirmed``       the slot and confirmation number noted on the receipt in Odoo
``gate.checked_in``             noted on the receipt (trailer, seals)
``dock.assigned``               noted on the receipt (door)
``receipt.completed``           Odoo: received quantities and lots, validation (partial → backorder per policy);
                                every discrepancy (short, over, damaged, wrong item) listed in a
                                ``receipt_discrepancy`` exception on the receipt
``gate.checked_out``            dwell since gate-in; beyond the free time a ``freight.charged`` detention charge
                                is emitted and a ``detention`` exception opened
==============================  =================================================================================

The WMS's receiving confirmation arrives as a canonical ``receipt.completed`` event (API, EDI 944/DESADV or
a WMS hook: the reference WMS's ``RECEIPT_CONFIRM`` names the expected receipt by its own receipt number,
linked to the canonical receipt when the WMS accepted the expected receipt).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from tradelane.core.errors import BusinessError
from tradelane.flows.exceptions import ExceptionService
from tradelane.ports.flows import EventSink, NewException, OrderDesk, References, ReleaseCandidate

__all__ = ["INBOUND_EVENTS", "InboundConfig", "InboundFlow", "Receiving", "Yard", "detention_charge"]

EXPECTED = "tradelane.receipt.expected.v1"
REQUESTED = "tradelane.appointment.requested.v1"
CONFIRMED = "tradelane.appointment.confirmed.v1"
GATE_IN = "tradelane.gate.checked_in.v1"
DOCK = "tradelane.dock.assigned.v1"
COMPLETED = "tradelane.receipt.completed.v1"
GATE_OUT = "tradelane.gate.checked_out.v1"
CHARGED = "tradelane.freight.charged.v1"
#: the events the inbound flow's route delivers to :meth:`InboundFlow.handle`
INBOUND_EVENTS = (EXPECTED, REQUESTED, CONFIRMED, GATE_IN, DOCK, COMPLETED, GATE_OUT)
#: the cross-reference "partner" under which the flow remembers which receipt an appointment is for
APPOINTMENTS = "tradelane-inbound"
#: length of a requested unloading slot
SLOT = timedelta(hours=1)

Clock = Callable[[], datetime]


class Receiving(Protocol):
    """The warehouse (WMS) as the inbound and returns flows use it: goods announced before they arrive."""

    async def expect(self, event: Mapping[str, Any]) -> tuple[str, ...]:
        """Announce the expected receipt of a ``receipt.expected`` event; returns refusal messages."""
        ...


class Yard(Protocol):
    """The yard / dock scheduling system as the inbound flow uses it."""

    async def request(self, event: Mapping[str, Any]) -> tuple[str, ...]:
        """Book the appointment of an ``appointment.requested`` event; returns refusal messages."""
        ...


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def detention_charge(dwell: timedelta, free: timedelta, rate_per_hour: Decimal) -> Decimal:
    """What a trailer's dwell costs beyond the free time: every started hour at ``rate_per_hour`` (pure)."""
    beyond = dwell - free
    if beyond <= timedelta(0):
        return Decimal(0)
    return rate_per_hour * math.ceil(beyond.total_seconds() / 3600)


@dataclass(frozen=True)
class InboundConfig:
    tenant: str = "hub"
    #: the receiving site (canonical location id) and the door appointments ask for
    location_id: str = "loc_dc_rtm"
    dock_id: str | None = "loc_dc_rtm_door_07"
    #: the carrier bringing the goods, when the purchase order does not say
    carrier_id: str | None = "party_rhenus"
    #: the yard's partner name in the cross-reference table
    yard_partner: str = "dockflow-yard"
    #: dwell (gate-in to gate-out) included in the carrier's rate
    free_time: timedelta = timedelta(hours=2)
    #: detention per started hour beyond the free time
    detention_rate: Decimal = Decimal("45.00")
    currency: str = "EUR"
    source: str = "urn:tradelane:flow:inbound"
    owner_team: str = "receiving"
    name: str = "inbound"


class InboundFlow:
    """The inbound and yard flow over its ports (see the module docstring)."""

    def __init__(self, desk: OrderDesk, yard: Yard | None, sink: EventSink, refs: References,
                 exceptions: ExceptionService, notes: Callable[[int, str, str], Any],
                 config: InboundConfig | None = None, clock: Clock = _utcnow,
                 poll: Callable[[], Any] | None = None, receiving: Receiving | None = None) -> None:
        self.desk = desk
        self.yard = yard
        self.sink = sink
        self.refs = refs
        self.exceptions = exceptions
        self.notes = notes
        self.config = config or InboundConfig()
        self.clock = clock
        self.poll = poll
        #: the WMS the expected receipts are announced to (``None``: not announced)
        self.receiving = receiving
        self.outcomes: dict[str, int] = {}

    def _count(self, what: str) -> None:
        self.outcomes[what] = self.outcomes.get(what, 0) + 1

    # -- capture -------------------------------------------------------------------------------------------
    def appointment_id(self, picking_ref: str) -> str:
        return f"appt_{_slug(picking_ref)}"

    def events_for(self, c: ReleaseCandidate) -> list[dict[str, Any]]:
        """``receipt.expected`` and ``appointment.requested`` of one Odoo receipt."""
        now = self.clock()
        rid = f"rcpt_{_slug(c.picking_ref)}"
        start = c.scheduled or now
        receipt = {
            "receipt_id": rid, "reference": c.picking_ref, "order_ref": c.order_ref,
            "location_id": self.config.location_id, "expected_at": _iso(start),
            "lines": [{"line_id": line.line_id, "product": {"sku": line.sku},
                       "expected_quantity": {"value": str(line.quantity), "unit": line.unit}} for line in c.lines],
        }
        appointment: dict[str, Any] = {
            "appointment_id": self.appointment_id(c.picking_ref), "location_id": self.config.location_id,
            "direction": "inbound", "window": {"start": _iso(start), "end": _iso(start + SLOT)},
            "shipment_ids": [rid], "order_refs": [c.order_ref],
        }
        if self.config.dock_id:
            appointment["dock_id"] = self.config.dock_id
        if self.config.carrier_id:
            appointment["carrier_id"] = self.config.carrier_id
        common = {"specversion": "1.0", "source": self.config.source, "subject": c.picking_ref,
                  "time": _iso(now), "correlationid": c.order_ref}
        return [
            {**common, "id": f"odoo-receipt-{c.picking_odoo_id}", "type": EXPECTED,
             "data": {"receipt_id": rid, "receipt": receipt}},
            {**common, "id": f"odoo-appointment-{c.picking_odoo_id}", "type": REQUESTED,
             "data": {"appointment_id": appointment["appointment_id"], "requested_at": _iso(now),
                      "appointment": appointment}},
        ]

    async def capture_once(self) -> int:
        """Poll Odoo for receipts of confirmed purchase orders; returns how many new events were emitted."""
        if self.poll is None:
            return 0
        candidates = [c for c in await self.poll() if c.lines]
        docs: list[dict[str, Any]] = []
        for c in candidates:
            rid = f"rcpt_{_slug(c.picking_ref)}"
            # the yard names loads by Odoo id; its callbacks map back through these
            await self.refs.link(self.config.tenant, self.config.yard_partner, "shipment", c.picking_ref, rid,
                                 c.picking_odoo_id)
            await self.refs.link(self.config.tenant, APPOINTMENTS, "appointment", self.appointment_id(c.picking_ref),
                                 c.picking_ref, c.picking_odoo_id)
            docs += self.events_for(c)
        if not docs:
            return 0
        results = await self.sink.emit(self.config.tenant, docs)
        fresh = sum(1 for r in results if r == "created")
        self.outcomes["captured"] = self.outcomes.get("captured", 0) + fresh
        return fresh

    # -- react ---------------------------------------------------------------------------------------------
    async def deliver(self, delivery: Any) -> None:
        await self.handle(delivery.event)

    async def handle(self, event: Mapping[str, Any]) -> None:
        steps = {EXPECTED: self._expected, REQUESTED: self._requested, CONFIRMED: self._confirmed,
                 GATE_IN: self._gate_in, DOCK: self._dock, COMPLETED: self._completed, GATE_OUT: self._gate_out}
        step = steps.get(str(event.get("type")))
        if step is None:
            raise BusinessError(f"the inbound flow does not handle {event.get('type')!r} (check the route)",
                                kind="ValidationError")
        await step(event)

    async def _receipt_of(self, appointment_id: Any) -> tuple[str, int] | None:
        if not appointment_id:
            return None
        found = await self.refs.lookup(self.config.tenant, APPOINTMENTS, "appointment", str(appointment_id))
        if found is None or found[1] is None:
            return None
        return found[0], int(found[1])

    async def _note(self, appointment_id: Any, body: str, event: Mapping[str, Any]) -> bool:
        receipt = await self._receipt_of(appointment_id)
        if receipt is None:
            self._count("note:no_receipt")
            return False
        await self.notes(receipt[1], body, f"{event.get('source')}#{event.get('id')}")
        return True

    async def _exception(self, type_: str, severity: str, entity_id: str, summary: str, detail: str,
                         event: Mapping[str, Any], odoo: Mapping[str, Any] | None, entity_kind: str = "receipt"
                         ) -> None:
        links: dict[str, Any] = {"event_ids": [f"{event.get('source')}#{event.get('id')}"]}
        if odoo:
            links["odoo"] = dict(odoo)
        await self.exceptions.open(NewException(
            tenant=self.config.tenant, type=type_, severity=severity, entity_kind=entity_kind, entity_id=entity_id,
            owner_team=self.config.owner_team, summary=summary[:300], detail=detail, flow=self.config.name,
            dedupe_key=f"{self.config.name}:{type_}:{entity_id}", links=links,
        ))
        self._count(f"exception:{type_}")

    async def _expected(self, event: Mapping[str, Any]) -> None:
        if self.receiving is None:
            self._count("expected:no_wms")
            return
        refused = await self.receiving.expect(event)
        if refused:
            reference = str(((event.get("data") or {}).get("receipt") or {}).get("reference") or event.get("subject"))
            picking = await self.desk.picking(reference)
            await self._exception("wms_refused", "high", reference, f"WMS refused the expected receipt {reference}",
                                  "\n".join(refused), event,
                                  {"model": "stock.picking", "id": picking.odoo_id} if picking is not None else None)
            return
        self._count("expected:sent")

    async def _requested(self, event: Mapping[str, Any]) -> None:
        if self.yard is None:
            self._count("appointment:no_yard")
            return
        refused = await self.yard.request(event)
        if refused:
            appt = str((event.get("data") or {}).get("appointment_id"))
            receipt = await self._receipt_of(appt)
            await self._exception("yard_refused", "high", receipt[0] if receipt else appt,
                                  f"the yard refused appointment {appt}", "\n".join(refused), event,
                                  {"model": "stock.picking", "id": receipt[1]} if receipt else None)
            return
        self._count("appointment:requested")

    async def _confirmed(self, event: Mapping[str, Any]) -> None:
        data = event.get("data") or {}
        appt = data.get("appointment") or {}
        window = appt.get("window") or {}
        await self._note(data.get("appointment_id"),
                         f"Dock appointment confirmed: {window.get('start')} – {window.get('end')}, "
                         f"confirmation {appt.get('confirmation_number') or '-'}", event)
        self._count("appointment:confirmed")

    async def _gate_in(self, event: Mapping[str, Any]) -> None:
        gate = (event.get("data") or {}).get("gate") or {}
        seals = ", ".join(gate.get("seal_numbers") or ()) or "none"
        await self._note(gate.get("appointment_id"),
                         f"Trailer {(gate.get('trailer') or {}).get('number')} checked in at gate "
                         f"{gate.get('gate_id') or '-'} at {gate.get('occurred_at')} (seals {seals})", event)
        self._count("gate:in")

    async def _dock(self, event: Mapping[str, Any]) -> None:
        a = (event.get("data") or {}).get("assignment") or {}
        await self._note(a.get("appointment_id"), f"Trailer {a.get('trailer_number')} at door {a.get('dock_id')}",
                         event)
        self._count("dock:assigned")

    async def _completed(self, event: Mapping[str, Any]) -> None:
        data = event.get("data") or {}
        receipt = data.get("receipt") or {}
        applied = await self.desk.apply(event)
        self._count(f"receipt:{applied.outcome}")
        if not applied.discrepancies:
            return
        picking = await self.desk.picking(str(receipt.get("reference")))
        detail = "\n".join(f"{d.get('sku')}: {d.get('reason')} {float(d.get('quantity') or 0):g}"
                           + (f" — {d['note']}" if d.get("note") else "") for d in applied.discrepancies)
        await self._exception(
            "receipt_discrepancy", "medium", str(receipt.get("reference")),
            f"{receipt.get('reference')} received with {len(applied.discrepancies)} discrepancy(ies)", detail,
            event, {"model": "stock.picking", "id": picking.odoo_id} if picking is not None else None,
        )

    async def _gate_out(self, event: Mapping[str, Any]) -> None:
        data = event.get("data") or {}
        trailer = str(data.get("trailer_number"))
        gate = data.get("gate") or {}
        ins = [e for e in await self.sink.find(self.config.tenant, GATE_IN)
               if (e.get("data") or {}).get("trailer_number") == trailer]
        if not ins:
            self._count("gate:out_without_in")
            return
        gate_in = (ins[-1].get("data") or {}).get("gate") or {}
        dwell = _parse(str(gate.get("occurred_at"))) - _parse(str(gate_in.get("occurred_at")))
        amount = detention_charge(dwell, self.config.free_time, self.config.detention_rate)
        self._count("gate:out")
        if amount <= 0:
            return
        receipt = await self._receipt_of(gate_in.get("appointment_id"))
        minutes = int(dwell.total_seconds() // 60)
        free = int(self.config.free_time.total_seconds() // 60)
        shipment = f"rcpt_{_slug(receipt[0])}" if receipt else f"trailer_{_slug(trailer)}"
        charge = {
            "specversion": "1.0", "id": f"detention-{_slug(trailer)}-{_slug(str(gate.get('gate_event_id')))}",
            "source": self.config.source, "type": CHARGED, "subject": trailer, "time": _iso(self.clock()),
            "causationid": event.get("id"),
            "data": {"shipment_id": shipment, "charged_at": _iso(self.clock()), "charges": [{
                "charge_id": f"det-{_slug(trailer)}", "kind": "accessorial", "accessorial": "detention",
                "amount": {"amount": f"{amount:.2f}", "currency": self.config.currency}, "shipment_id": shipment,
                "description": f"detention: {minutes} min on site, {free} min free"}]},
        }
        await self.sink.emit(self.config.tenant, [charge])
        await self._exception(
            "detention", "low", receipt[0] if receipt else trailer,
            f"trailer {trailer} stayed {minutes} min ({free} free): detention {amount:.2f} {self.config.currency}",
            f"gate-in {gate_in.get('occurred_at')}, gate-out {gate.get('occurred_at')}; charged as freight",
            event, {"model": "stock.picking", "id": receipt[1]} if receipt else None,
        )

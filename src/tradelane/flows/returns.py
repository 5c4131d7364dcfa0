"""The returns flow: a return request (portal API or Odoo) → expected return receipt → received and inspected
→ Odoo return picking (through Odoo's return wizard) with the received quantities, and the credit-note policy.

* **capture** (:meth:`ReturnsFlow.capture_once`): a return started in Odoo (a person ran the return wizard on a
  delivery) is found by change capture and becomes a ``return.requested`` (return id ``ret_odoo_<picking>``, the
  RMA number is the return picking's name, one line per move), so the same steps follow: the WMS expects it,
  and when it is received the hub validates **that** return picking with the received quantities instead of
  making another one;
* **react** (:meth:`ReturnsFlow.handle`, the destination of the flow's route):

==============================  =================================================================================
``return.requested``            the original delivery of ``rma.order_ref`` is found in Odoo (none done → a
                                ``return_no_delivery`` exception); a ``receipt.expected`` for the returning
                                goods is emitted (receipt ``rtn_<return_id>``) and the RMA noted on the delivery
``receipt.expected``            the expected return receipt announced to the WMS (a refusal opens ``wms_refused``)
``return.received``             (over the API, or the WMS's inspected ``RECEIPT_CONFIRM`` of the expected return
                                receipt, mapped by its ``return`` cross reference) lines graded
                                ``new``/``resellable`` go back into stock: one return picking in
                                Odoo from the delivery, validated with the received quantities, then the credit
                                note per policy (``none`` | ``draft`` | ``posted``) for what was restocked.
                                ``damaged``/``scrap`` lines are **not** restocked: a ``return_inspection``
                                exception lists them (and any short or over receipt) for a person to decide
==============================  =================================================================================

Every Odoo write is keyed by the ``return.received`` event id, so a redelivered event changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from tradelane.core.errors import BusinessError
from tradelane.flows.exceptions import ExceptionService
from tradelane.flows.inbound import Receiving
from tradelane.ports.flows import EventSink, NewException, PickingState

__all__ = ["CREDIT_POLICIES", "ODOO_RETURN_PREFIX", "RETURN_EVENTS", "OdooReturnRequest", "ReturnDesk",
           "ReturnOutcome", "ReturnsConfig", "ReturnsFlow", "restock_plan"]

REQUESTED = "tradelane.return.requested.v1"
RECEIVED = "tradelane.return.received.v1"
EXPECTED = "tradelane.receipt.expected.v1"
#: the events the returns flow's route delivers to :meth:`ReturnsFlow.handle`
RETURN_EVENTS = (REQUESTED, EXPECTED, RECEIVED)
CREDIT_POLICIES = ("none", "draft", "posted")
#: conditions that go back into sellable stock
RESTOCK = frozenset({"new", "resellable"})
#: return id prefix of the returns started in Odoo (their RMA number is the Odoo return picking's name)
ODOO_RETURN_PREFIX = "ret_odoo_"


class OdooReturnRequest(Protocol):
    """A return picking made in Odoo, still to be received, as change capture finds it."""

    @property
    def picking_id(self) -> int: ...
    @property
    def picking_ref(self) -> str: ...
    @property
    def delivery_ref(self) -> str: ...
    @property
    def order_ref(self) -> str | None: ...
    @property
    def partner_id(self) -> int | None: ...
    @property
    def partner_ref(self) -> str | None: ...
    @property
    def created_at(self) -> datetime | None: ...
    @property
    def lines(self) -> Sequence[tuple[str, float]]: ...


@dataclass(frozen=True)
class ReturnOutcome:
    """What Odoo holds after a return: the return picking and, per policy, the credit note."""

    picking_id: int
    picking_ref: str
    state: str
    #: sku → quantity done on the return picking
    quantities: Mapping[str, float]
    credit_note_id: int | None = None
    credit_note_state: str | None = None
    created: bool = False


class ReturnDesk(Protocol):
    """Odoo as the returns flow uses it."""

    async def order_pickings(self, order_ref: str) -> list[PickingState]:
        """The delivery orders of a sale order, oldest first."""
        ...

    async def return_goods(self, delivery_ref: str, lines: list[tuple[str, float]], key: str, credit: str,
                           reason: str | None, existing: str | None = None) -> ReturnOutcome:
        """Return ``lines`` (sku, quantity) of the done delivery into stock, once per ``key``, and apply the
        credit-note policy ``credit``; ``existing`` names the return picking already made in Odoo to validate
        (else one is made through Odoo's return wizard)."""
        ...

    async def is_open_odoo_return(self, picking_ref: str) -> bool:
        """Whether ``picking_ref`` is a return picking made in Odoo (not by the hub), still to be received."""
        ...


@dataclass(frozen=True)
class ReturnsConfig:
    tenant: str = "hub"
    #: ``none`` | ``draft`` | ``posted``
    credit_note: str = "draft"
    location_id: str = "loc_dc_rtm"
    source: str = "urn:tradelane:flow:returns"
    owner_team: str = "customer-service"
    name: str = "returns"

    def __post_init__(self) -> None:
        if self.credit_note not in CREDIT_POLICIES:
            raise ValueError(f"credit_note must be one of {', '.join(CREDIT_POLICIES)}, not {self.credit_note!r}")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _decimal(qty: float) -> str:
    """A quantity as a plain decimal string (``2.0`` → ``2``, ``1e6`` → ``1000000``, never an exponent)."""
    return f"{qty:.6f}".rstrip("0").rstrip(".") or "0"


def _qty(value: Any) -> float:
    return float((value or {}).get("value") or 0)


def restock_plan(rma: Mapping[str, Any]) -> tuple[list[tuple[str, float]], list[str]]:
    """Split a received return (pure): (sku, quantity) to put back into stock, and the findings a person must
    look at (damaged or scrap goods, less or more than authorised)."""
    restock: dict[str, float] = {}
    findings: list[str] = []
    for line in rma.get("lines") or ():
        sku = str((line.get("product") or {}).get("sku"))
        asked, got = _qty(line.get("quantity")), _qty(line.get("received_quantity"))
        condition = str(line.get("condition"))
        if got > 0 and condition in RESTOCK:
            restock[sku] = restock.get(sku, 0.0) + got
        elif got > 0:
            findings.append(f"{sku}: {got:g} received {condition}, not restocked")
        if got < asked:
            findings.append(f"{sku}: {asked - got:g} of {asked:g} authorised did not arrive")
        elif got > asked:
            findings.append(f"{sku}: {got - asked:g} more than the {asked:g} authorised")
    return sorted(restock.items()), findings


class ReturnsFlow:
    """The returns flow over its ports (see the module docstring)."""

    def __init__(self, desk: ReturnDesk, sink: EventSink, exceptions: ExceptionService,
                 notes: Callable[[int, str, str], Any], config: ReturnsConfig | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 poll: Callable[[], Awaitable[Sequence[OdooReturnRequest]]] | None = None,
                 receiving: Receiving | None = None) -> None:
        self.desk = desk
        self.sink = sink
        self.exceptions = exceptions
        self.notes = notes
        self.config = config or ReturnsConfig()
        self.clock = clock
        self.poll = poll
        #: the WMS the expected return receipts are announced to (``None``: not announced)
        self.receiving = receiving
        self.outcomes: dict[str, int] = {}

    # -- capture -------------------------------------------------------------------------------------------
    def request_for(self, r: OdooReturnRequest) -> dict[str, Any]:
        """The ``return.requested`` of a return picking made in Odoo (its id derived from the picking, so
        capturing it again stores nothing new)."""
        now = _iso(self.clock())
        rid = f"{ODOO_RETURN_PREFIX}{_slug(r.picking_ref)}"
        rma: dict[str, Any] = {
            "return_id": rid, "rma_number": r.picking_ref, "order_ref": r.order_ref,
            "customer_id": r.partner_ref or f"odoo_res_partner_{r.partner_id or 0}",
            "location_id": self.config.location_id,
            "reason_text": f"return {r.picking_ref} of {r.delivery_ref} made in Odoo",
            "requested_at": _iso(r.created_at) if r.created_at else now,
            "lines": [{"line_id": str(i), "product": {"sku": sku}, "quantity": {"value": _decimal(qty), "unit": "EA"},
                       "reason": "other"} for i, (sku, qty) in enumerate(r.lines, start=1)],
        }
        if not r.order_ref:
            del rma["order_ref"]
        return {"specversion": "1.0", "id": f"odoo-return-{r.picking_id}", "source": self.config.source,
                "type": REQUESTED, "subject": r.picking_ref, "time": now,
                **({"correlationid": r.order_ref} if r.order_ref else {}),
                "data": {"return_id": rid, "rma": rma}}

    async def capture_once(self) -> int:
        """Poll Odoo for return pickings made there; returns how many new ``return.requested`` were emitted."""
        if self.poll is None:
            return 0
        docs = [self.request_for(r) for r in await self.poll() if r.lines]
        if not docs:
            return 0
        fresh = sum(1 for r in await self.sink.emit(self.config.tenant, docs) if r == "created")
        self.outcomes["captured"] = self.outcomes.get("captured", 0) + fresh
        return fresh

    def _count(self, what: str) -> None:
        self.outcomes[what] = self.outcomes.get(what, 0) + 1

    async def deliver(self, delivery: Any) -> None:
        await self.handle(delivery.event)

    async def handle(self, event: Mapping[str, Any]) -> None:
        kind = str(event.get("type"))
        if kind == REQUESTED:
            await self._requested(event)
        elif kind == RECEIVED:
            await self._received(event)
        elif kind == EXPECTED:
            await self._expected(event)
        else:
            raise BusinessError(f"the returns flow does not handle {kind!r} (check the route)",
                                kind="ValidationError")

    async def _delivery(self, rma: Mapping[str, Any]) -> PickingState | None:
        if not rma.get("order_ref"):
            return None
        done = [p for p in await self.desk.order_pickings(str(rma["order_ref"])) if p.state == "done"]
        return done[-1] if done else None

    async def _exception(self, type_: str, severity: str, rma: Mapping[str, Any], summary: str, detail: str,
                         event: Mapping[str, Any], odoo: Mapping[str, Any] | None) -> None:
        links: dict[str, Any] = {"event_ids": [f"{event.get('source')}#{event.get('id')}"]}
        if odoo:
            links["odoo"] = dict(odoo)
        entity = str(rma.get("return_id"))
        await self.exceptions.open(NewException(
            tenant=self.config.tenant, type=type_, severity=severity, entity_kind="return", entity_id=entity,
            owner_team=self.config.owner_team, summary=summary[:300], detail=detail, flow=self.config.name,
            dedupe_key=f"{self.config.name}:{type_}:{entity}", links=links,
        ))
        self._count(f"exception:{type_}")

    async def _requested(self, event: Mapping[str, Any]) -> None:
        rma = (event.get("data") or {}).get("rma") or {}
        if str(rma.get("return_id")).startswith(ODOO_RETURN_PREFIX) and not await self.desk.is_open_odoo_return(
                str(rma.get("rma_number"))):
            self._count("return:not_from_odoo")  # the hub's own return picking (or received since): nothing to do
            return
        delivery = await self._delivery(rma)
        if delivery is None:
            await self._exception("return_no_delivery", "medium", rma,
                                  f"return {rma.get('rma_number')}: no delivered order {rma.get('order_ref')!r}",
                                  "the RMA names no sale order with a done delivery in Odoo", event, None)
            return
        now = self.clock().astimezone(UTC).isoformat().replace("+00:00", "Z")
        rid = f"rtn_{_slug(str(rma['return_id']))}"
        receipt = {
            "receipt_id": rid, "reference": str(rma["rma_number"]), "order_ref": rma.get("order_ref"),
            "location_id": rma.get("location_id") or self.config.location_id,
            # who sends the goods back (the WMS echoes it on its return confirmation)
            "supplier_id": rma.get("customer_id"),
            "lines": [{"line_id": line["line_id"], "product": line["product"],
                       "expected_quantity": line["quantity"]} for line in rma.get("lines") or ()],
        }
        await self.sink.emit(self.config.tenant, [{
            "specversion": "1.0", "id": f"return-expected-{_slug(str(rma['return_id']))}",
            "source": self.config.source, "type": EXPECTED, "subject": str(rma["rma_number"]), "time": now,
            "causationid": event.get("id"), "correlationid": rma.get("order_ref"),
            "data": {"receipt_id": rid, "receipt": receipt},
        }])
        lines = ", ".join(f"{_qty(line.get('quantity')):g} × {(line.get('product') or {}).get('sku')}"
                          for line in rma.get("lines") or ())
        await self.notes(delivery.odoo_id, f"Return {rma.get('rma_number')} authorised: {lines}"
                         f" ({rma.get('reason_text') or 'no reason given'})", f"{event.get('source')}#{event.get('id')}")
        self._count("return:expected")

    async def _expected(self, event: Mapping[str, Any]) -> None:
        if self.receiving is None:
            self._count("expected:no_wms")
            return
        refused = await self.receiving.expect(event)
        if refused:
            data = event.get("data") or {}
            receipt = data.get("receipt") or {}
            rid = str(data.get("receipt_id") or "")
            rma = {"return_id": rid.removeprefix("rtn_"), "order_ref": receipt.get("order_ref")}
            delivery = await self._delivery(rma)
            await self._exception("wms_refused", "high", rma,
                                  f"WMS refused the expected return receipt {receipt.get('reference')}",
                                  "\n".join(refused), event,
                                  {"model": "stock.picking", "id": delivery.odoo_id} if delivery is not None else None)
            return
        self._count("expected:sent")

    async def _received(self, event: Mapping[str, Any]) -> None:
        rma = (event.get("data") or {}).get("rma") or {}
        delivery = await self._delivery(rma)
        restock, findings = restock_plan(rma)
        odoo = {"model": "stock.picking", "id": delivery.odoo_id} if delivery is not None else None
        if delivery is None:
            await self._exception("return_no_delivery", "medium", rma,
                                  f"return {rma.get('rma_number')} received: no delivered order "
                                  f"{rma.get('order_ref')!r}", "\n".join(findings), event, None)
            return
        outcome = None
        if restock:
            try:
                # a return started in Odoo already has its return picking: validate that one
                existing = (str(rma.get("rma_number")) if str(rma.get("return_id")).startswith(ODOO_RETURN_PREFIX)
                            else None)
                outcome = await self.desk.return_goods(
                    delivery.name, restock, f"{event.get('source')}#{event.get('id')}", self.config.credit_note,
                    rma.get("reason_text") or f"Return {rma.get('rma_number')}", existing)
            except BusinessError as exc:  # Odoo refused (a transient failure propagates: the delivery retries)
                await self._exception("return_refused", "high", rma,
                                      f"Odoo refused return {rma.get('rma_number')}: {exc}", str(exc), event, odoo)
                return
            odoo = {"model": "stock.picking", "id": outcome.picking_id}
            self._count(f"return:{'restocked' if outcome.created else 'replayed'}")
        if findings:
            await self._exception(
                "return_inspection", "medium", rma,
                f"return {rma.get('rma_number')} inspected with {len(findings)} finding(s)",
                "\n".join(findings), event, odoo)

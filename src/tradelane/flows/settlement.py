"""Freight settlement, a scheduled batch: carrier invoices matched to the expected charges of their shipments.

Each run reads every ``carrier_invoice.received`` event and the ``freight.charged`` events (the charges the TMS
or carrier confirmed: base rate plus accessorials) and decides, per invoice, with :func:`match_invoice` (pure):

* **matched** — every shipment is known and the invoice total is within the carrier's tolerance of the expected
  total: the vendor bill is posted in Odoo. Odoo is searched by carrier and invoice number first, so a second
  run, a replay or a crash between posting and recording never posts twice;
* **mismatch** — the totals differ by more than the tolerance: an ``invoice_mismatch`` exception listing the
  expected and invoiced amount per charge kind;
* **unknown shipment** — a billed shipment has no expected charges: ``invoice_unknown_shipment``;
* **duplicate** — the carrier used an invoice number again for a different invoice: ``invoice_duplicate``.

Exceptions are deduplicated by invoice, so the nightly run re-finding the same problem opens nothing new.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from tradelane.flows.exceptions import ExceptionService
from tradelane.ports.flows import BillRequest, EventSink, NewException, OrderDesk

__all__ = ["CarrierTerms", "InvoiceVerdict", "SettlementConfig", "SettlementFlow", "match_invoice"]

log = logging.getLogger("tradelane.flows.settlement")

INVOICE = "tradelane.carrier_invoice.received.v1"
CHARGED = "tradelane.freight.charged.v1"
#: default tolerance when a carrier has no terms: this share of the expected total …
DEFAULT_TOLERANCE_PCT = Decimal("1")
#: … or this absolute amount, whichever is larger
DEFAULT_TOLERANCE_ABS = Decimal("1.00")


@dataclass(frozen=True)
class CarrierTerms:
    """How one carrier is settled."""

    #: ``res.partner.ref`` of the carrier's vendor record in Odoo
    vendor_ref: str
    #: accepted difference, percent of the expected total
    tolerance_pct: Decimal = DEFAULT_TOLERANCE_PCT
    #: accepted difference, absolute amount in the invoice currency
    tolerance_abs: Decimal = DEFAULT_TOLERANCE_ABS
    #: ``default_code`` of the freight service product the bill's lines are booked on
    service_product: str | None = None

    def tolerance(self, expected: Decimal) -> Decimal:
        return max(self.tolerance_abs, abs(expected) * self.tolerance_pct / 100)


@dataclass(frozen=True)
class SettlementConfig:
    tenant: str = "hub"
    owner_team: str = "finance"
    #: canonical carrier id → terms
    carriers: Mapping[str, CarrierTerms] = field(default_factory=dict)
    name: str = "settlement"

    @classmethod
    def from_options(cls, options: Mapping[str, Any], *, owner_team: str) -> SettlementConfig:
        """From the flow's ``options``: ``tenant`` and ``carriers: {<carrier id>: {vendor_ref, tolerance_pct,
        tolerance_abs, service_product}}``."""
        carriers = {
            str(cid): CarrierTerms(
                vendor_ref=str(t["vendor_ref"]),
                tolerance_pct=Decimal(str(t.get("tolerance_pct", DEFAULT_TOLERANCE_PCT))),
                tolerance_abs=Decimal(str(t.get("tolerance_abs", DEFAULT_TOLERANCE_ABS))),
                service_product=t.get("service_product"),
            )
            for cid, t in (options.get("carriers") or {}).items()
        }
        return cls(tenant=str(options.get("tenant", "hub")), owner_team=owner_team, carriers=carriers)


@dataclass(frozen=True)
class InvoiceVerdict:
    """What :func:`match_invoice` decided for one invoice."""

    #: ``matched``, ``mismatch``, ``unknown_shipment``, ``duplicate`` or ``no_terms``
    status: str
    invoice_number: str
    carrier_id: str
    expected: Decimal
    invoiced: Decimal
    #: one line per difference, for the exception
    differences: tuple[str, ...] = ()


def _by_kind(charges: Sequence[Mapping[str, Any]]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for c in charges:
        kind = str(c.get("accessorial") or c.get("kind") or "other")
        out[kind] = out.get(kind, Decimal(0)) + Decimal(str((c.get("amount") or {}).get("amount") or 0))
    return out


def match_invoice(
    invoice: Mapping[str, Any], expected: Mapping[str, Sequence[Mapping[str, Any]]],
    terms: CarrierTerms | None, duplicate_of: str | None = None,
) -> InvoiceVerdict:
    """Match one canonical :class:`~tradelane.core.model.freight.CarrierInvoice` (as JSON) against the expected
    charges per shipment id (pure).

    :param duplicate_of: the id of another invoice event that already used this carrier's invoice number
    """
    number, carrier = str(invoice["invoice_number"]), str(invoice["carrier_id"])
    invoiced = Decimal(str(invoice["total"]["amount"]))
    refs = [str(r) for r in invoice.get("shipment_refs") or ()]
    known = [r for r in refs if r in expected]
    want: list[Mapping[str, Any]] = [c for r in known for c in expected[r]]
    expected_total = sum((Decimal(str(c["amount"]["amount"])) for c in want), Decimal(0))
    if duplicate_of is not None:
        return InvoiceVerdict("duplicate", number, carrier, expected_total, invoiced,
                              (f"invoice number {number} was already received as {duplicate_of}",))
    missing = [r for r in refs if r not in expected]
    if missing:
        return InvoiceVerdict("unknown_shipment", number, carrier, expected_total, invoiced,
                              tuple(f"shipment {r}: no expected charges" for r in missing))
    if terms is None:
        return InvoiceVerdict("no_terms", number, carrier, expected_total, invoiced,
                              (f"carrier {carrier} has no settlement terms (vendor, tolerance)",))
    diff = invoiced - expected_total
    if abs(diff) <= terms.tolerance(expected_total):
        return InvoiceVerdict("matched", number, carrier, expected_total, invoiced)
    exp_kinds, inv_kinds = _by_kind(want), _by_kind(invoice.get("charges") or ())
    lines = [
        f"{kind}: expected {exp_kinds.get(kind, Decimal(0)):.2f}, invoiced {inv_kinds.get(kind, Decimal(0)):.2f}"
        for kind in sorted(set(exp_kinds) | set(inv_kinds))
        if exp_kinds.get(kind, Decimal(0)) != inv_kinds.get(kind, Decimal(0))
    ]
    lines.append(f"total: expected {expected_total:.2f}, invoiced {invoiced:.2f}, difference {diff:+.2f} "
                 f"(tolerance {terms.tolerance(expected_total):.2f})")
    return InvoiceVerdict("mismatch", number, carrier, expected_total, invoiced, tuple(lines))


class SettlementFlow:
    """The settlement batch over its ports; :meth:`run` is the batch scheduler's job."""

    def __init__(self, desk: OrderDesk, sink: EventSink, exceptions: ExceptionService,
                 config: SettlementConfig | None = None) -> None:
        self.desk = desk
        self.sink = sink
        self.exceptions = exceptions
        self.config = config or SettlementConfig()

    async def run(self, flow: str = "settlement", fire_time: datetime | None = None) -> dict[str, Any]:
        """One settlement run; returns counts per verdict (recorded on the job run)."""
        tenant = self.config.tenant
        charges = await self.sink.find(tenant, CHARGED, limit=100_000)
        expected: dict[str, list[Mapping[str, Any]]] = {}
        for ev in charges:
            data = ev.get("data") or {}
            # the latest report of a shipment's charges replaces earlier ones
            expected[str(data["shipment_id"])] = list(data.get("charges") or ())
        invoices = await self.sink.find(tenant, INVOICE, limit=100_000)
        first_use: dict[tuple[str, str], tuple[str, str]] = {}
        counts: dict[str, int] = {}
        posted: list[str] = []
        for ev in invoices:
            data = ev.get("data") or {}
            inv = data.get("invoice") or {}
            key = (str(inv.get("carrier_id")), str(inv.get("invoice_number")))
            fingerprint = f"{inv.get('total')}|{sorted(map(str, inv.get('shipment_refs') or ()))}"
            dup = None
            invoice_id = str(data.get("invoice_id"))
            if key not in first_use:
                first_use[key] = (invoice_id, fingerprint)
            elif first_use[key][0] == invoice_id or first_use[key][1] == fingerprint:
                counts["repeated"] = counts.get("repeated", 0) + 1
                continue  # the same invoice sent again: settled (or reported) with the first
            else:
                dup = first_use[key][0]
            verdict = match_invoice(inv, expected, self.config.carriers.get(key[0]), dup)
            counts[verdict.status] = counts.get(verdict.status, 0) + 1
            if verdict.status == "matched":
                terms = self.config.carriers[key[0]]
                lines = tuple((f"{c.get('description') or c.get('accessorial') or c.get('kind')} "
                               f"({c.get('shipment_id') or ', '.join(inv.get('shipment_refs') or ())})",
                               float(Decimal(str(c["amount"]["amount"]))))
                              for c in inv.get("charges") or ())
                move_id, created = await self.desk.post_vendor_bill(BillRequest(
                    carrier_ref=terms.vendor_ref, invoice_number=verdict.invoice_number,
                    invoice_date=str(inv.get("invoiced_at"))[:10], currency=str(inv.get("currency")), lines=lines,
                    key=f"{ev.get('source')}#{ev.get('id')}", product_ref=terms.service_product,
                ))
                if created:
                    posted.append(f"account.move:{move_id}")
                continue
            await self.exceptions.open(NewException(
                tenant=tenant, type=f"invoice_{verdict.status}", severity="medium" if verdict.status != "duplicate"
                else "high", entity_kind="carrier_invoice", entity_id=verdict.invoice_number,
                owner_team=self.config.owner_team,
                summary=f"carrier invoice {verdict.invoice_number} ({verdict.carrier_id}): "
                        f"{verdict.status.replace('_', ' ')}",
                detail="\n".join(verdict.differences), flow=self.config.name,
                dedupe_key=f"settlement:{verdict.status}:{key[0]}:{data.get('invoice_id')}",
                links={"event_ids": [f"{ev.get('source')}#{ev.get('id')}"]},
            ))
        return {"invoices": len(invoices), **counts, "bills_posted": len(posted)}

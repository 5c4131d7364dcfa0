"""A warehouse management system on loopback, behaving like a REST/JSON WMS.

API (``X-Api-Key`` checked when an ``api_key`` is set):

``POST /api/v1/orders``
    an ``ORDER_RELEASE`` document. ``202`` ``{status: ACCEPTED, orderNo, deliveryNo}`` at once; ``409`` for an
    order (or ``Idempotency-Key``) already known; ``422`` ``{errors: [{code, field, message}]}`` for a document
    it cannot take (missing fields, an SKU it does not stock). Then, in the background, signed callbacks:
    ``PICK_CONFIRM`` (with lots), ``PACK_CONFIRM`` (SSCC-labelled packages, weights in lb) and
    ``SHIP_CONFIRM`` (carrier, tracking number, what shipped).
``POST /api/v1/orders/{orderNo}/cancel``
    stop an order: ``200`` ``{status: CANCELLED}`` while it has not shipped (no further callbacks; its stock is
    no longer allocated), ``409`` ``{status: TOO_LATE}`` once the ship confirmation is out, ``404`` unknown.
``GET /api/v1/inventory?site=CODE``
    a ``STOCK_SNAPSHOT`` of the site: on hand and allocated per SKU and batch, less what has shipped.
``POST /api/v1/receipts``
    an ``EXPECTED_RECEIPT`` (advance ship notice) document: ``{asnNo, receiptType: PO | RETURN, orderNo?,
    siteCode, shipperCode?, expectedDate?, lines: [{lineNo, sku, qty, uom}]}``, ``asnNo`` being the client's
    reference (the Odoo receipt or the RMA number), ``shipperCode`` who sends the goods (the supplier, or the
    customer returning them). ``201`` ``{status: CREATED, asnNo, receiptNo}`` with the WMS's own receipt
    number (``RCV-…``); ``409`` ``{status: DUPLICATE, asnNo, receiptNo}`` for an ``asnNo`` (or
    ``Idempotency-Key``) already known; ``422`` ``{errors}`` for missing fields, another site or an SKU not in
    the item master. Receiving happens in the warehouse: :meth:`WmsSimulator.receive` counts the goods in and
    sends a signed ``RECEIPT_CONFIRM`` callback naming the expected receipt (``receiptNo`` and ``asnNo``), line
    by line expected and received quantities, the batch, and ``SHORT``/``OVER``/``DAMAGED`` exceptions. A
    ``RETURN`` is inspected too: each line carries ``inspection: {condition: NEW | GOOD | DAMAGED, disposition:
    RESTOCK | QUARANTINE | SCRAP, reasonCode?, remark?}`` (only ``RESTOCK`` goods go back into the WMS's stock),
    and the confirmation echoes the ``shipperCode`` and when the receipt was announced (``announcedAt``).
``GET /api/v1/receipts/{receiptNo}``
    the expected receipt as the WMS holds it (``EXPECTED`` until received, then ``RECEIVED``); ``404`` unknown.

Faults: ``fail_ratio`` (seeded 500s on the API), ``short_pick_ratio`` (seeded partial picks: the line is
picked, packed and shipped short), ``duplicate_callbacks`` (every callback sent twice with one webhook id).
Delivery numbers count up from ``first_delivery`` (``WH/OUT/00042`` …) so tests can seed cross references;
receipt numbers from ``first_receipt`` (``RCV-000101`` …). The item master (``items``, what an expected receipt
may name) is the stocked SKUs unless given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiohttp import web

from tradelane.testing.simulators.base import (
    SentCallback,
    Simulator,
    cli_arguments,
    common_options,
    problem,
    serve_forever,
    sscc,
)

__all__ = ["DEFAULT_CONSIGNEE", "DEFAULT_STOCK", "WmsSimulator", "main"]

#: SKU → units on hand at start
DEFAULT_STOCK: Mapping[str, int] = {"NZ-ESP-1KG": 412, "NZ-FIL-250": 38, "NZ-DEC-500": 120}
#: the customer the simulated deliveries go to (the WMS knows it from its own master data)
DEFAULT_CONSIGNEE: Mapping[str, str] = {
    "code": "CUST-CC-KOELN", "name": "Café Central Köln", "street": "Hohe Straße 118", "city": "Köln",
    "zip": "50667", "country": "DE",
}
#: GS1 company prefix of the warehouse's SSCC labels
COMPANY_PREFIX = "8712345"
#: units per carton above which a line goes on a pallet
PALLET_FROM_UNITS = 10


@dataclass
class _Order:
    order_no: str
    delivery_no: str
    lines: list[dict[str, Any]]
    picked: dict[int, int] = field(default_factory=dict)
    lots: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    cancelled: bool = False
    shipped: bool = False


@dataclass
class _ExpectedReceipt:
    receipt_no: str
    asn_no: str
    receipt_type: str
    order_no: str | None
    expected_date: str | None
    lines: list[dict[str, Any]]
    shipper_code: str | None = None
    announced_at: str | None = None
    received: bool = False


#: the kinds of receipt the WMS expects
RECEIPT_TYPES = ("PO", "RETURN")
#: how an inspector grades a returned line, and what the warehouse does with it
CONDITIONS = ("NEW", "GOOD", "DAMAGED")
DISPOSITIONS = ("RESTOCK", "QUARANTINE", "SCRAP")


class WmsSimulator(Simulator):
    """A WMS: takes order releases, confirms pick, pack and ship by callback, serves stock snapshots, expects
    receipts and confirms what was received by callback."""

    kind = "wms"

    def __init__(
        self,
        *,
        site: str = "RTM1",
        site_name: str = "Rotterdam DC",
        stock: Mapping[str, int] | None = None,
        short_pick_ratio: float = 0.0,
        first_delivery: int = 42,
        carrier_scac: str = "RHNS",
        consignee: Mapping[str, str] | None = None,
        items: Iterable[str] | None = None,
        first_receipt: int = 101,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.site = site
        self.site_name = site_name
        self.stock = dict(DEFAULT_STOCK if stock is None else stock)
        self.short_pick_ratio = short_pick_ratio
        self.carrier_scac = carrier_scac
        self.consignee = dict(consignee or DEFAULT_CONSIGNEE)
        self.orders: dict[str, _Order] = {}
        self._keys: set[str] = set()
        self._next_delivery = first_delivery
        self._lots = {sku: f"L2026-{300 + i * 7 + self.rng.randrange(5):03d}" for i, sku in enumerate(self.stock)}
        self._allocated: dict[str, int] = dict.fromkeys(self.stock, 0)
        self._serial = self.rng.randrange(1, 10_000) * 1000
        #: the SKUs the WMS knows (its item master): what an expected receipt may name
        self.items = frozenset(self.stock if items is None else items) | frozenset(self.stock)
        #: expected receipts by the WMS's receipt number
        self.receipts: dict[str, _ExpectedReceipt] = {}
        self._receipt_by_asn: dict[str, str] = {}
        self._receipt_keys: dict[str, str] = {}
        self._next_receipt = first_receipt

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/api/v1/orders", self._release)
        app.router.add_post("/api/v1/orders/{order_no}/cancel", self._cancel)
        app.router.add_get("/api/v1/inventory", self._inventory)
        app.router.add_post("/api/v1/receipts", self._expect)
        app.router.add_get("/api/v1/receipts/{receipt_no}", self._receipt)

    # -- API ------------------------------------------------------------------------------------------
    async def _release(self, request: web.Request) -> web.Response:
        doc, refused = await self.accept(request, self._check)
        if refused is not None:
            return refused
        key = request.headers.get("Idempotency-Key")
        if doc["orderNo"] in self.orders or (key and key in self._keys):
            known = self.orders.get(doc["orderNo"])
            return web.json_response({"status": "DUPLICATE", "orderNo": doc["orderNo"],
                                      "deliveryNo": known.delivery_no if known else None}, status=409)
        if key:
            self._keys.add(key)
        order = _Order(doc["orderNo"], f"WH/OUT/{self._next_delivery:05d}", list(doc["lines"]))
        self._next_delivery += 1
        self.orders[order.order_no] = order
        for line in order.lines:
            self._allocated[line["sku"]] += int(line["qty"])
        self.schedule(self._fulfil(order))
        return web.json_response({"status": "ACCEPTED", "orderNo": order.order_no,
                                  "deliveryNo": order.delivery_no}, status=202)

    async def _cancel(self, request: web.Request) -> web.Response:
        refused = self.unauthorized(request) or self.injected_fault()
        if refused is not None:
            return refused
        order = self.orders.get(request.match_info["order_no"])
        if order is None:
            return problem(404, f"no order {request.match_info['order_no']!r}")
        if order.shipped:
            return web.json_response({"status": "TOO_LATE", "orderNo": order.order_no,
                                      "deliveryNo": order.delivery_no}, status=409)
        if not order.cancelled:
            order.cancelled = True
            for line in order.lines:
                self._allocated[line["sku"]] -= int(line["qty"])
        return web.json_response({"status": "CANCELLED", "orderNo": order.order_no,
                                  "deliveryNo": order.delivery_no}, status=200)

    def _check(self, doc: Any) -> list[dict[str, str]]:
        if not isinstance(doc, dict):
            return [{"code": "INVALID", "field": "", "message": "an ORDER_RELEASE object is expected"}]
        errors = []
        if doc.get("messageType") != "ORDER_RELEASE":
            errors.append({"code": "INVALID", "field": "messageType", "message": "must be ORDER_RELEASE"})
        for name in ("orderNo", "siteCode"):
            if not isinstance(doc.get(name), str) or not doc[name]:
                errors.append({"code": "REQUIRED", "field": name, "message": "required"})
        if doc.get("siteCode") not in (None, self.site):
            errors.append({"code": "UNKNOWN_SITE", "field": "siteCode", "message": f"not site {self.site}"})
        lines = doc.get("lines")
        if not isinstance(lines, list) or not lines:
            errors.append({"code": "REQUIRED", "field": "lines", "message": "at least one line"})
            return errors
        for i, line in enumerate(lines):
            if not isinstance(line, dict) or line.get("sku") not in self.stock:
                sku = line.get("sku") if isinstance(line, dict) else None
                errors.append({"code": "UNKNOWN_SKU", "field": f"lines[{i}].sku", "message": f"{sku!r} not stocked"})
            elif not isinstance(line.get("qty"), int | float) or line["qty"] <= 0:
                errors.append({"code": "INVALID", "field": f"lines[{i}].qty", "message": "a positive quantity"})
        return errors

    async def _expect(self, request: web.Request) -> web.Response:
        doc, refused = await self.accept(request, self._check_receipt)
        if refused is not None:
            return refused
        key = request.headers.get("Idempotency-Key")
        known = self._receipt_by_asn.get(doc["asnNo"]) or (self._receipt_keys.get(key) if key else None)
        if known is not None:
            return web.json_response({"status": "DUPLICATE", "asnNo": self.receipts[known].asn_no,
                                      "receiptNo": known}, status=409)
        receipt = _ExpectedReceipt(f"RCV-{self._next_receipt:06d}", doc["asnNo"], doc["receiptType"],
                                   doc.get("orderNo"), doc.get("expectedDate"),
                                   [dict(line) for line in doc["lines"]], doc.get("shipperCode"),
                                   self.now().isoformat())
        self._next_receipt += 1
        self.receipts[receipt.receipt_no] = receipt
        self._receipt_by_asn[receipt.asn_no] = receipt.receipt_no
        if key:
            self._receipt_keys[key] = receipt.receipt_no
        return web.json_response({"status": "CREATED", "asnNo": receipt.asn_no, "receiptNo": receipt.receipt_no},
                                 status=201)

    async def _receipt(self, request: web.Request) -> web.Response:
        refused = self.unauthorized(request) or self.injected_fault()
        if refused is not None:
            return refused
        receipt = self.receipts.get(request.match_info["receipt_no"])
        if receipt is None:
            return problem(404, f"no receipt {request.match_info['receipt_no']!r}")
        return web.json_response({
            "receiptNo": receipt.receipt_no, "asnNo": receipt.asn_no, "receiptType": receipt.receipt_type,
            "orderNo": receipt.order_no, "siteCode": self.site, "expectedDate": receipt.expected_date,
            "shipperCode": receipt.shipper_code, "status": "RECEIVED" if receipt.received else "EXPECTED", "lines": receipt.lines,
        })

    def _check_receipt(self, doc: Any) -> list[dict[str, str]]:
        if not isinstance(doc, dict):
            return [{"code": "INVALID", "field": "", "message": "an EXPECTED_RECEIPT object is expected"}]
        errors = []
        if doc.get("messageType") != "EXPECTED_RECEIPT":
            errors.append({"code": "INVALID", "field": "messageType", "message": "must be EXPECTED_RECEIPT"})
        for name in ("asnNo", "siteCode"):
            if not isinstance(doc.get(name), str) or not doc[name]:
                errors.append({"code": "REQUIRED", "field": name, "message": "required"})
        if doc.get("siteCode") not in (None, self.site):
            errors.append({"code": "UNKNOWN_SITE", "field": "siteCode", "message": f"not site {self.site}"})
        if doc.get("receiptType") not in RECEIPT_TYPES:
            errors.append({"code": "INVALID", "field": "receiptType",
                           "message": f"one of {', '.join(RECEIPT_TYPES)}"})
        for name in ("orderNo", "shipperCode"):
            if doc.get(name) is not None and not isinstance(doc[name], str):
                errors.append({"code": "INVALID", "field": name, "message": "a string"})
        lines = doc.get("lines")
        if not isinstance(lines, list) or not lines:
            errors.append({"code": "REQUIRED", "field": "lines", "message": "at least one line"})
            return errors
        seen: set[Any] = set()
        for i, line in enumerate(lines):
            if not isinstance(line, dict) or line.get("sku") not in self.items:
                sku = line.get("sku") if isinstance(line, dict) else None
                errors.append({"code": "UNKNOWN_SKU", "field": f"lines[{i}].sku",
                               "message": f"{sku!r} not in the item master"})
                continue
            if not isinstance(line.get("lineNo"), int) or isinstance(line["lineNo"], bool):
                errors.append({"code": "REQUIRED", "field": f"lines[{i}].lineNo", "message": "an integer line number"})
            elif line["lineNo"] in seen:
                errors.append({"code": "DUPLICATE", "field": f"lines[{i}].lineNo",
                               "message": f"line {line['lineNo']} given twice"})
            else:
                seen.add(line["lineNo"])
            if not isinstance(line.get("qty"), int | float) or isinstance(line["qty"], bool) or line["qty"] <= 0:
                errors.append({"code": "INVALID", "field": f"lines[{i}].qty", "message": "a positive quantity"})
        return errors

    async def receive(
        self,
        asn_no: str,
        *,
        counted: Mapping[int, float] | None = None,
        damaged: Mapping[int, float] | None = None,
        batches: Mapping[int, str] | None = None,
        inspected: Mapping[int, Mapping[str, str]] | None = None,
    ) -> SentCallback:
        """Count the goods of the expected receipt ``asn_no`` in and send the ``RECEIPT_CONFIRM`` callback.

        :param counted: line number → units counted (default: as expected); less is ``SHORT``, more ``OVER``
        :param damaged: line number → units of those counted that arrived damaged (not put into stock)
        :param batches: line number → the batch the goods carry
        :param inspected: a ``RETURN`` only: line number → the inspection (``condition``, default ``GOOD``;
            ``disposition``, default ``RESTOCK`` for good or new goods, else ``QUARANTINE``; ``reasonCode``;
            ``remark``); only restocked goods go back into the WMS's stock
        :raises KeyError: no expected receipt ``asn_no``
        :raises ValueError: it was received already, a line number it does not have, an inspection of a
            purchase-order receipt, or an unknown condition or disposition
        """
        receipt = self.receipts[self._receipt_by_asn[asn_no]]
        if receipt.received:
            raise ValueError(f"receipt {receipt.receipt_no} ({asn_no}) was received already")
        counted, damaged, batches = dict(counted or {}), dict(damaged or {}), dict(batches or {})
        inspected = {no: dict(found) for no, found in (inspected or {}).items()}
        is_return = receipt.receipt_type == "RETURN"
        if inspected and not is_return:
            raise ValueError(f"receipt {receipt.receipt_no} is a {receipt.receipt_type} receipt: nothing to inspect")
        numbers = {int(line["lineNo"]) for line in receipt.lines}
        unknown = sorted((set(counted) | set(damaged) | set(batches) | set(inspected)) - numbers)
        if unknown:
            raise ValueError(f"receipt {receipt.receipt_no} has no line(s) {unknown}")
        for line in receipt.lines:
            no = int(line["lineNo"])
            if damaged.get(no, 0) > counted.get(no, line["qty"]):
                raise ValueError(f"line {no}: {damaged[no]} damaged of {counted.get(no, line['qty'])} counted")
        grades: dict[int, dict[str, str]] = {}
        for no in sorted(numbers) if is_return else ():
            found = inspected.get(no, {})
            condition = found.get("condition") or ("DAMAGED" if damaged.get(no) else "GOOD")
            disposition = found.get("disposition") or ("RESTOCK" if condition in ("NEW", "GOOD") else "QUARANTINE")
            if condition not in CONDITIONS or disposition not in DISPOSITIONS:
                raise ValueError(f"line {no}: condition {condition!r} / disposition {disposition!r} unknown")
            grades[no] = {"condition": condition, "disposition": disposition,
                          **{k: found[k] for k in ("reasonCode", "remark") if found.get(k)}}
        receipt.received = True
        lines = []
        for line in receipt.lines:
            no, expected = int(line["lineNo"]), line["qty"]
            got = counted.get(no, expected)
            broken = damaged.get(no, 0)
            exceptions = []
            if got < expected:
                exceptions.append({"code": "SHORT", "qty": expected - got})
            elif got > expected:
                exceptions.append({"code": "OVER", "qty": got - expected})
            if broken:
                exceptions.append({"code": "DAMAGED", "qty": broken, "remark": "damaged at receiving"})
            sku = line["sku"]
            if no in grades and grades[no]["disposition"] != "RESTOCK":
                broken = got  # quarantined or scrapped: not sellable stock
            self.stock[sku] = self.stock.get(sku, 0) + int(got - broken)
            self._allocated.setdefault(sku, 0)
            self._lots.setdefault(sku, batches.get(no) or f"L2026-{self.rng.randrange(100, 999)}")
            out: dict[str, Any] = {"lineNo": no, "sku": sku, "qtyExpected": expected, "qtyReceived": got,
                                   "uom": line.get("uom") or "PCS", "exceptions": exceptions}
            if no in batches and got:
                out["batch"] = batches[no]
            if no in grades:
                out["inspection"] = grades[no]
            lines.append(out)
        document = {
            "messageType": "RECEIPT_CONFIRM", "messageId": f"wms-msg-{self.seed}-{self.next_number():06d}",
            "siteCode": self.site, "receiptNo": receipt.receipt_no, "asnNo": receipt.asn_no,
            "receiptType": receipt.receipt_type, "orderNo": receipt.order_no,
            "receivedAt": self.now().isoformat(), "lines": lines,
        }
        if is_return:
            document |= {"shipperCode": receipt.shipper_code, "announcedAt": receipt.announced_at}
        return await self.send_callback(document)

    async def _inventory(self, request: web.Request) -> web.Response:
        refused = self.unauthorized(request) or self.injected_fault()
        if refused is not None:
            return refused
        site = request.query.get("site")
        if site != self.site:
            return problem(404, f"no site {site!r}")
        return web.json_response(self.snapshot())

    def snapshot(self) -> dict[str, Any]:
        """The ``STOCK_SNAPSHOT`` document of the site as it is now."""
        return {
            "messageType": "STOCK_SNAPSHOT",
            "messageId": f"wms-snap-{self.seed}-{self.next_number():06d}",
            "siteCode": self.site,
            "takenAt": self.now().isoformat(),
            "fullSnapshot": "Y",
            "items": [
                {"sku": sku, "batch": self._lots[sku], "onHand": qty, "allocated": self._allocated[sku],
                 "uom": "PCS"}
                for sku, qty in sorted(self.stock.items())
            ],
        }

    # -- the warehouse at work --------------------------------------------------------------------------
    async def _fulfil(self, order: _Order) -> None:
        await self.pause()
        if order.cancelled:
            return
        await self.send_callback(self._pick(order))
        await self.pause()
        if order.cancelled:
            return
        packages = self._packages(order)
        await self.send_callback(self._pack(order, packages))
        await self.pause()
        if order.cancelled:
            return
        order.shipped = True
        await self.send_callback(self._ship(order, packages))

    def _message(self, kind: str, order: _Order) -> dict[str, Any]:
        return {"messageType": kind, "messageId": f"wms-msg-{self.seed}-{self.next_number():06d}",
                "siteCode": self.site, "deliveryNo": order.delivery_no}

    def _pick(self, order: _Order) -> dict[str, Any]:
        lines = []
        for line in order.lines:
            qty = int(line["qty"])
            if qty >= 2 and self.short_pick_ratio and self.rng.random() < self.short_pick_ratio:
                qty -= max(1, qty // 4)  # a short pick: the bin held less than the system thought
            order.picked[int(line["lineNo"])] = qty
            order.lots[int(line["lineNo"])] = self._lot_split(line["sku"], qty)
            lines.append({"lineNo": line["lineNo"], "orderLineNo": line["lineNo"], "sku": line["sku"],
                          "qtyPicked": qty, "uom": line.get("uom") or "PCS", "lots": order.lots[int(line["lineNo"])]})
        return {**self._message("PICK_CONFIRM", order), "confirmedAt": self.now().isoformat(), "lines": lines}

    def _lot_split(self, sku: str, qty: int) -> list[dict[str, Any]]:
        best_before = (self.now() + timedelta(days=170 + self.rng.randrange(10))).date()
        if qty < 4 or self.rng.random() < 0.5:
            return [{"batch": self._lots[sku], "qty": qty, "bestBefore": best_before.isoformat()}]
        older = qty // 4
        return [
            {"batch": self._lots[sku], "qty": qty - older, "bestBefore": best_before.isoformat()},
            {"batch": f"{self._lots[sku]}A", "qty": older,
             "bestBefore": (best_before - timedelta(days=6)).isoformat()},
        ]

    def _packages(self, order: _Order) -> list[dict[str, Any]]:
        packages = []
        for line in order.lines:
            self._serial += 1
            units = order.picked[int(line["lineNo"])]
            packages.append({
                "sscc": sscc(COMPANY_PREFIX, self._serial),
                "packageType": "EUR" if units >= PALLET_FROM_UNITS else "CTN",
                "grossWeightLbs": round(units * (2.2 + self.rng.random()) + 4, 2),
                "lineNo": line["lineNo"],
            })
        return packages

    def _pack(self, order: _Order, packages: list[dict[str, Any]]) -> dict[str, Any]:
        return {**self._message("PACK_CONFIRM", order), "confirmedAt": self.now().isoformat(),
                "packages": [{k: v for k, v in p.items() if k != "lineNo"} for p in packages]}

    def _ship(self, order: _Order, packages: list[dict[str, Any]]) -> dict[str, Any]:
        by_line = {p["lineNo"]: p["sscc"] for p in packages}
        lines = []
        for line in order.lines:
            qty = order.picked[int(line["lineNo"])]
            self.stock[line["sku"]] -= qty
            self._allocated[line["sku"]] -= int(line["qty"])
            lines.append({"lineNo": line["lineNo"], "orderLineNo": line["lineNo"], "sku": line["sku"],
                          "qtyShipped": qty, "uom": line.get("uom") or "PCS", "sscc": by_line[line["lineNo"]],
                          "lots": order.lots[int(line["lineNo"])]})
        return {
            **self._message("SHIP_CONFIRM", order),
            "siteName": self.site_name,
            "orderNo": order.order_no,
            "shippedAt": self.now().isoformat(),
            "transportMode": "LTL",
            "carrierScac": self.carrier_scac,
            "trackingNo": f"{self.carrier_scac[:3]}{self.rng.randrange(10**9, 10**10)}",
            "shipTo": dict(self.consignee),
            "packages": [{k: v for k, v in p.items() if k != "lineNo"} for p in packages],
            "lines": lines,
        }


def main() -> None:  # pragma: no cover - the demo runs it as a process
    """``python -m tradelane.testing.simulators.wms --port 8601 --callback-url URL --secret-env WMS_SECRET``"""
    ap = cli_arguments("Tradelane WMS simulator (REST/JSON, signed callbacks)")
    ap.add_argument("--short-pick-ratio", type=float, default=0.0)
    args = ap.parse_args()
    serve_forever(WmsSimulator(short_pick_ratio=args.short_pick_ratio, **common_options(args)))


if __name__ == "__main__":  # pragma: no cover
    main()

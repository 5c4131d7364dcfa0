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

Faults: ``fail_ratio`` (seeded 500s on the API), ``short_pick_ratio`` (seeded partial picks: the line is
picked, packed and shipped short), ``duplicate_callbacks`` (every callback sent twice with one webhook id).
Delivery numbers count up from ``first_delivery`` (``WH/OUT/00042`` …) so tests can seed cross references.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiohttp import web

from tradelane.testing.simulators.base import (
    Simulator,
    cli_arguments,
    common_options,
    problem,
    read_json,
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


class WmsSimulator(Simulator):
    """A WMS: takes order releases, confirms pick, pack and ship by callback, serves stock snapshots."""

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

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/api/v1/orders", self._release)
        app.router.add_post("/api/v1/orders/{order_no}/cancel", self._cancel)
        app.router.add_get("/api/v1/inventory", self._inventory)

    # -- API ------------------------------------------------------------------------------------------
    async def _release(self, request: web.Request) -> web.Response:
        refused = self.unauthorized(request) or self.injected_fault()
        if refused is not None:
            return refused
        doc, bad = await read_json(request)
        if bad is not None:
            return bad
        errors = self._check(doc)
        if errors:
            return web.json_response({"status": "REFUSED", "errors": errors}, status=422)
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

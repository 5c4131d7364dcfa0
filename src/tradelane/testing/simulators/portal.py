"""A customer portal on loopback: its client side posts orders and amendments to the hub (signed), and its
server side takes the shipment status the hub publishes.

Client: :meth:`PortalSimulator.submit_order` and :meth:`PortalSimulator.amend_order` post ``create`` and
``amend`` documents to ``callback_url`` (the hub's intake for this portal), signed per Standard Webhooks,
retried on 5xx. Each returns the :class:`~tradelane.testing.simulators.base.SentCallback` with the statuses
the hub answered.

Server (``X-Api-Key`` checked when an ``api_key`` is set):

``POST /api/status``
    ``{shipment, status, at, …}`` — ``204``; ``422`` ``{errors}`` without ``shipment`` or ``status``.
``GET /api/orders/{orderNo}/status``
    the statuses received for the shipments of an order, newest last (what the customer sees).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from aiohttp import web

from tradelane.testing.simulators.base import (
    SentCallback,
    Simulator,
    cli_arguments,
    common_options,
    read_json,
    serve_forever,
)

__all__ = ["CATALOG", "PortalSimulator", "main"]

#: what the portal's customers can order: article → portal unit
CATALOG = {"NZ-ESP-1KG": "ST", "NZ-FIL-250": "KRT", "NZ-DEC-500": "ST"}


class PortalSimulator(Simulator):
    """A customer portal: orders out to the hub, status in from the hub."""

    kind = "portal"

    def __init__(self, *, account: str = "C-10077", **options: Any) -> None:
        super().__init__(**options)
        self.account = account
        self.statuses: list[dict[str, Any]] = []
        self.orders: dict[str, dict[str, Any]] = {}

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/api/status", self._status)
        app.router.add_get("/api/orders/{order_no}/status", self._order_status)

    async def _status(self, request: web.Request) -> web.Response:
        refused = self.unauthorized(request) or self.injected_fault()
        if refused is not None:
            return refused
        doc, bad = await read_json(request)
        if bad is not None:
            return bad
        errors = [{"code": "REQUIRED", "field": name, "message": "required"}
                  for name in ("shipment", "status") if not isinstance(doc, dict) or not doc.get(name)]
        if errors:
            return web.json_response({"errors": errors}, status=422)
        self.statuses.append(doc)
        return web.Response(status=204)

    async def _order_status(self, request: web.Request) -> web.Response:
        refused = self.unauthorized(request)
        if refused is not None:
            return refused
        order_no = request.match_info["order_no"]
        prefix = f"{order_no}/"
        seen = [s for s in self.statuses if str(s.get("shipment", "")).startswith(prefix)]
        return web.json_response({"orderNo": order_no, "statuses": seen})

    # -- the customer at work ---------------------------------------------------------------------------
    async def submit_order(
        self, items: Sequence[tuple[str, int]] | None = None, *, order_no: str | None = None, po_number: str | None = None
    ) -> SentCallback:
        """Post a new order: ``items`` are (article, amount); default: a random basket from :data:`CATALOG`."""
        now = self.now()
        order_no = order_no or f"WEB-{self.seed}{self.next_number():05d}"
        if items is None:
            articles = sorted(CATALOG)
            items = [(a, 1 + self.rng.randrange(30)) for a in self.rng.sample(articles, 2)]
        doc = {
            "action": "create",
            "requestId": f"req-{self.seed}-{self.next_number():06d}",
            "orderNo": order_no,
            "submittedAt": now.isoformat(),
            "customer": {"account": self.account, "poNumber": po_number or f"PO-{self.rng.randrange(10**4, 10**5)}"},
            "deliverTo": {"street": "Hohe Straße 118", "city": "Köln", "zip": "50667", "country": "DE"},
            "deliverBetween": [(now + timedelta(days=3)).isoformat(), (now + timedelta(days=3, hours=5)).isoformat()],
            "items": [{"pos": 10 * (i + 1), "article": a, "amount": n, "unit": CATALOG.get(a, "ST")}
                      for i, (a, n) in enumerate(items)],
        }
        self.orders[order_no] = doc
        return await self.send_callback(doc)

    async def amend_order(self, order_no: str, changes: dict[str, int], *, reason: str | None = None) -> SentCallback:
        """Change amounts of a submitted order (article → new amount) and post the amendment."""
        order = self.orders[order_no]
        changed = []
        for i, item in enumerate(order["items"]):
            if item["article"] in changes:
                item["amount"] = changes[item["article"]]
                changed.append(f"lines[{i}].quantity")
        doc = {
            "action": "amend",
            "requestId": f"req-{self.seed}-{self.next_number():06d}",
            "orderNo": order_no,
            "orderedAt": order["submittedAt"],
            "submittedAt": self.now().isoformat(),
            "customer": {"account": self.account},
            "changed": changed,
            "reason": reason,
            "items": order["items"],
        }
        return await self.send_callback(doc)


def main() -> None:  # pragma: no cover - the demo runs it as a process
    """``python -m tradelane.testing.simulators.portal --port 8605 --callback-url HUB_INTAKE --secret-env PORTAL_SECRET``

    Serves ``/api/status`` and posts one order every ``--order-every-s`` seconds to the callback URL.
    """
    import asyncio

    ap = cli_arguments("Tradelane customer portal simulator (orders to the hub; status from the hub)")
    ap.add_argument("--order-every-s", type=float, default=0.0, help="post a random order this often (0: never)")
    args = ap.parse_args()
    portal = PortalSimulator(**common_options(args))
    if not args.order_every_s:
        serve_forever(portal)
        return

    async def run() -> None:
        await portal.start()
        print(f"portal simulator listening on {portal.url}", flush=True)
        try:
            while True:
                await asyncio.sleep(args.order_every_s)
                await portal.submit_order()
        finally:
            await portal.stop()

    asyncio.run(run())


if __name__ == "__main__":  # pragma: no cover
    main()

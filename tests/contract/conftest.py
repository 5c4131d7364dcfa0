"""Contract suite fixtures: a real Odoo when ``TRADELANE_ODOO_URL`` (+ ``_DB``, ``_USER``, ``_PASSWORD``) is set,
otherwise the shipped :class:`~tradelane.testing.odoo.OdooEmulator` on loopback.

Against a real Odoo every call goes through :class:`DropProxy`, a loopback HTTP proxy that can let Odoo
commit a state-changing call and then close the connection without relaying the reply: the same
"ambiguous outcome" the emulator injects with ``fault_drop_ratio``. So the fault tests run on both.

Every test creates its own records under a per-run prefix, finds warehouses, locations and products by
search (never by demo ids) and leaves the database usable.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import socket
import threading
import uuid
import xmlrpc.client
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

from tradelane.connectors.odoo import (
    OdooClient,
    OdooSettings,
    PartnerData,
    ProductData,
    StockCount,
    apply_inventory_counts,
    read_warehouses,
    upsert_partners,
    upsert_products,
)
from tradelane.connectors.odoo.client import READ_ONLY_METHODS
from tradelane.connectors.odoo.common import m2o_id
from tradelane.connectors.odoo.models import Tracking

#: env var that switches the suite to a real Odoo
REAL_ODOO_ENV = "TRADELANE_ODOO_URL"
#: share of state-changing calls the emulator commits and then drops, in the ambiguous-outcome tests
FAULT_DROP_RATIO = 0.3


#: headers relayed to the upstream Odoo
_RELAYED_HEADERS = ("content-type", "authorization", "x-odoo-database", "cookie", "accept")
#: HTTP statuses from here on are errors (nothing was committed)
_HTTP_ERROR_FLOOR = 400
#: seconds the proxy waits for the upstream Odoo's reply
_UPSTREAM_TIMEOUT_S = 300.0


def _is_state_changing(path: str, body: bytes) -> bool:
    """Whether a request is an ``execute_kw`` (or JSON-2 call) of a method that may change data."""
    method: Any = None
    try:
        if path.startswith("/jsonrpc"):
            params = json.loads(body or b"{}").get("params") or {}
            if params.get("service") == "object" and len(params.get("args") or ()) > 4:
                method = params["args"][4]
        elif path.startswith("/xmlrpc"):
            args, name = xmlrpc.client.loads(body, use_builtin_types=True)
            if name in ("execute_kw", "execute") and len(args) > 4:
                method = args[4]
        elif path.startswith("/json/2/"):
            method = path.rstrip("/").rsplit("/", 1)[-1]
    except (ValueError, TypeError, AttributeError, xmlrpc.client.ResponseError):
        return False
    return isinstance(method, str) and method not in READ_ONLY_METHODS


def _is_success(path: str, status: int, reply: bytes) -> bool:
    """Whether the upstream reply says the call committed (errors roll back; there is nothing to drop)."""
    if status >= _HTTP_ERROR_FLOOR:
        return False
    if path.startswith("/jsonrpc"):
        try:
            return "error" not in json.loads(reply or b"{}")
        except ValueError:
            return False
    if path.startswith("/xmlrpc"):
        # the "cannot marshal None/recordset" fault comes after the commit (reference §0)
        return b"<fault>" not in reply or b"cannot marshal" in reply
    return True


class DropProxy:
    """A loopback HTTP proxy in front of a real Odoo that commits, then drops a share of the replies.

    A dropped call has been fully processed (and committed) by Odoo; the proxy then closes the client's
    connection without sending a byte, which the connector sees as an ambiguous outcome.
    """

    def __init__(self, upstream: str, *, seed: int = 0) -> None:
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or (443 if parts.scheme == "https" else 80)
        self.upstream_https = parts.scheme == "https"
        self.upstream_prefix = parts.path.rstrip("/")
        self._ratio = 0.0
        self._forced_drops = 0
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.dropped_count = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _proxy_handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="odoo-drop-proxy", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> DropProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def set_fault_drop_ratio(self, ratio: float) -> None:
        with self._lock:
            self._ratio = float(ratio)

    def drop_next(self, count: int = 1) -> None:
        """Drop the next ``count`` committed state-changing replies, whatever the ratio."""
        with self._lock:
            self._forced_drops = max(0, int(count))

    def should_drop(self) -> bool:
        with self._lock:
            forced = self._forced_drops > 0
            self._forced_drops -= int(forced)
            drop = forced or (self._ratio > 0.0 and self._rng.random() < self._ratio)
            self.dropped_count += int(drop)
            return drop

    def connect(self) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self.upstream_https else http.client.HTTPConnection
        return cls(self.upstream_host, self.upstream_port, timeout=_UPSTREAM_TIMEOUT_S)


def _proxy_handler(proxy: DropProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            self.upstream: http.client.HTTPConnection | None = None

        def finish(self) -> None:
            with contextlib.suppress(OSError):
                super().finish()
            if self.upstream is not None:
                self.upstream.close()

        def log_message(self, format: str, *args: Any) -> None:
            return None

        def _relay(self, verb: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k: v for k, v in self.headers.items() if k.lower() in _RELAYED_HEADERS}
            for attempt in range(2):  # a kept-alive upstream connection may have been closed by Odoo
                if self.upstream is None:
                    self.upstream = proxy.connect()
                try:
                    self.upstream.request(verb, proxy.upstream_prefix + self.path, body or None, headers)
                    response = self.upstream.getresponse()
                    reply = response.read()
                    break
                except (http.client.RemoteDisconnected, ConnectionError, BrokenPipeError):
                    self.upstream.close()
                    self.upstream = None
                    if attempt:
                        raise
            if (
                _is_state_changing(self.path, body)
                and _is_success(self.path, response.status, reply)
                and proxy.should_drop()
            ):
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.send_response(response.status)
            for name, value in response.getheaders():
                if name.lower() in ("content-type", "set-cookie", "retry-after"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def do_POST(self) -> None:
            self._relay("POST")

        def do_GET(self) -> None:
            self._relay("GET")

    return Handler


@dataclass
class Target:
    """Where the suite runs: settings for clients, and the emulator (or, on a real Odoo, the drop proxy)."""

    settings: OdooSettings
    emulator: Any | None
    prefix: str
    counter: list[int] = field(default_factory=lambda: [0])
    #: the response-dropping proxy in front of a real Odoo
    proxy: DropProxy | None = None

    @property
    def faults_target(self) -> Any:
        """What injects drop-after-commit faults: the emulator itself or the proxy."""
        return self.emulator if self.emulator is not None else self.proxy

    def key(self, kind: str) -> str:
        self.counter[0] += 1
        return f"{self.prefix}-{kind}-{self.counter[0]}"


@pytest.fixture(scope="session")
def target() -> Iterator[Target]:
    prefix = f"TLC{uuid.uuid4().hex[:6].upper()}"
    if os.environ.get(REAL_ODOO_ENV):
        settings = OdooSettings()  # fields come from TRADELANE_ODOO_* env vars
        proxy = DropProxy(settings.url).start()
        try:
            yield Target(settings.model_copy(update={"url": proxy.url}), None, prefix, proxy=proxy)
        finally:
            proxy.stop()
        return
    from tradelane.testing.odoo import OdooEmulator

    emu = OdooEmulator(host="127.0.0.1", port=0, version="17.0", db="tradelane", fault_drop_ratio=0.0, seed=0)
    emu.start()
    try:
        settings = OdooSettings(
            url=emu.url,
            db=emu.db,
            user=emu.login,
            password=emu.password,
            retry_wait_initial_s=0.0,
            retry_wait_max_s=0.0,
        )
        yield Target(settings, emu, prefix)
    finally:
        emu.stop()


@pytest.fixture
async def odoo(target: Target) -> AsyncIterator[OdooClient]:
    """A connected client (protocol chosen by probing)."""
    client = OdooClient(target.settings)
    await client.connect()
    try:
        yield client
    finally:
        if target.faults_target is not None:
            target.faults_target.drop_next(0)
            target.faults_target.set_fault_drop_ratio(0.0)
        await client.close()


@pytest.fixture
def faults(target: Target) -> Any:
    """Drop-after-commit faults: the emulator's own, or the :class:`DropProxy` in front of a real Odoo."""
    injector: Any = target.faults_target
    if injector is None:
        pytest.skip("no fault injector")

    class _Faults:
        def on(self, ratio: float = FAULT_DROP_RATIO) -> None:
            """Drop the first committed state-changing reply for sure, then ``ratio`` of them."""
            injector.drop_next(1)
            injector.set_fault_drop_ratio(ratio)

        def off(self) -> None:
            injector.drop_next(0)
            injector.set_fault_drop_ratio(0.0)

        @property
        def dropped(self) -> int:
            return int(injector.dropped_count)

    return _Faults()


@dataclass
class World:
    """Builds the records a contract test needs, through the connector where it can."""

    odoo: OdooClient
    target: Target

    async def stock_location(self) -> int:
        warehouses = await read_warehouses(self.odoo)
        assert warehouses, "the database has no warehouse"
        return warehouses[0].stock_location_id

    async def products(self, count: int, *, tracking: Tracking = "none", stock: float = 0.0) -> list[str]:
        skus = [self.target.key("SKU") for _ in range(count)]
        await upsert_products(
            self.odoo,
            [
                ProductData(
                    sku,
                    f"{sku} widget",
                    list_price=50.0,
                    standard_price=20.0,
                    weight=2.5,
                    tracking=tracking,
                    invoice_policy="delivery",
                )
                for sku in skus
            ],
        )
        if stock:
            loc = await self.stock_location()
            await apply_inventory_counts(
                self.odoo, self.target.key("INIT"), [StockCount(sku, loc, stock) for sku in skus]
            )
        return skus

    async def partner(self) -> tuple[str, int]:
        key = self.target.key("CUST")
        [res] = await upsert_partners(self.odoo, [PartnerData(key, f"{key} Customer", city="Antwerp")])
        return key, res.id

    async def product_id(self, sku: str) -> int:
        return int((await self.odoo.search("product.product", [("default_code", "=", sku)]))[0])

    async def sale_orders(
        self, count: int, lines: list[tuple[str, float]], carrier_id: int | None = None
    ) -> list[str]:
        """Create and confirm ``count`` sale orders with ``lines``; returns their names."""
        _key, partner_id = await self.partner()
        product_ids = {sku: await self.product_id(sku) for sku, _ in lines}
        vals = {
            "partner_id": partner_id,
            "order_line": [
                (0, 0, {"product_id": product_ids[sku], "product_uom_qty": qty}) for sku, qty in lines
            ],
        }
        if carrier_id:
            vals["carrier_id"] = carrier_id
        ids = await self.odoo.create(
            "sale.order", [{**vals, "client_order_ref": self.target.key("PO")} for _ in range(count)]
        )
        await self.odoo.call("sale.order", "action_confirm", ids)
        rows = await self.odoo.read("sale.order", ids, ["name", "state", "picking_ids"])
        assert all(r["state"] == "sale" for r in rows)
        return [str(r["name"]) for r in rows]

    async def outgoing_picking(self, order_ref: str) -> str:
        rows = await self.odoo.search_read(
            "stock.picking",
            [("origin", "=", order_ref), ("picking_type_code", "=", "outgoing")],
            ["name"],
            order="id",
        )
        return str(rows[0]["name"])

    async def purchase_order(self, lines: list[tuple[str, float]]) -> tuple[str, str]:
        """A confirmed purchase order and its receipt: (PO name, receipt picking name)."""
        _key, vendor = await self.partner()
        product_ids = {sku: await self.product_id(sku) for sku, _ in lines}
        [po] = await self.odoo.create(
            "purchase.order",
            [
                {
                    "partner_id": vendor,
                    "partner_ref": self.target.key("ASN"),
                    "order_line": [
                        (
                            0,
                            0,
                            {
                                "product_id": product_ids[sku],
                                "product_qty": qty,
                                "price_unit": 7.0,
                                "date_planned": "2026-12-01 08:00:00",
                            },
                        )
                        for sku, qty in lines
                    ],
                }
            ],
        )
        await self.odoo.call("purchase.order", "button_confirm", [po])
        row = (await self.odoo.read("purchase.order", [po], ["name", "picking_ids"]))[0]
        picks = await self.odoo.read("stock.picking", row["picking_ids"], ["name", "picking_type_code"])
        receipt = next(p["name"] for p in picks if p["picking_type_code"] == "incoming")
        return str(row["name"]), str(receipt)

    async def count(self, model: str, domain: list[Any]) -> int:
        return int(await self.odoo.execute_kw(model, "search_count", [domain]))

    async def picking(self, name: str, fields: list[str]) -> dict[str, Any]:
        rows = await self.odoo.search_read("stock.picking", [("name", "=", name)], fields)
        assert rows, f"picking {name} not found"
        return rows[0]


@pytest.fixture
def world(odoo: OdooClient, target: Target) -> World:
    return World(odoo, target)


__all__ = ["FAULT_DROP_RATIO", "DropProxy", "Target", "World", "m2o_id"]

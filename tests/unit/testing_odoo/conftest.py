"""Fixtures: a real emulator on loopback, spoken to with stdlib xmlrpc.client and httpx2 (JSON-RPC)."""

from __future__ import annotations

import itertools
import xmlrpc.client
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from tradelane.testing.odoo import OdooEmulator


class Missing:
    """Marker for a JSON-RPC response that has neither ``result`` nor ``error``."""


class XmlRpc:
    """``x(model, method, *args, **kwargs)`` over ``/xmlrpc/2/object``."""

    def __init__(self, emu: OdooEmulator) -> None:
        self.emu = emu
        self.common = xmlrpc.client.ServerProxy(f"{emu.url}/xmlrpc/2/common")
        self.object = xmlrpc.client.ServerProxy(f"{emu.url}/xmlrpc/2/object")
        self.uid = self.common.authenticate(emu.db, emu.login, emu.password, {})

    def __call__(self, model: str, method: str, *args: Any, **kwargs: Any) -> Any:
        return self.object.execute_kw(
            self.emu.db, self.uid, self.emu.password, model, method, list(args), kwargs
        )


class JsonRpc:
    """``jj(model, method, *args, **kwargs)`` over ``/jsonrpc``; returns the whole envelope with ``raw``."""

    def __init__(self, emu: OdooEmulator) -> None:
        self.emu = emu
        self.client = httpx2.Client(base_url=emu.url, timeout=10)
        self.ids = itertools.count(1)
        self.uid = self.call("common", "authenticate", [emu.db, emu.login, emu.password, {}])["result"]

    def call(self, service: str, method: str, args: list[Any]) -> dict[str, Any]:
        payload = {"jsonrpc": "2.0", "method": "call", "id": next(self.ids),
                   "params": {"service": service, "method": method, "args": args}}  # fmt: skip
        response = self.client.post("/jsonrpc", json=payload)
        assert response.status_code == 200
        return response.json()

    def raw(self, model: str, method: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return self.call(
            "object",
            "execute_kw",
            [self.emu.db, self.uid, self.emu.password, model, method, list(args), kwargs],
        )

    def __call__(self, model: str, method: str, *args: Any, **kwargs: Any) -> Any:
        envelope = self.raw(model, method, *args, **kwargs)
        if "error" in envelope:
            raise AssertionError(envelope["error"]["data"]["message"])
        return envelope.get("result", Missing)

    def close(self) -> None:
        self.client.close()


@pytest.fixture(scope="module")
def emu() -> Iterator[OdooEmulator]:
    with OdooEmulator(seed=7) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def x(emu: OdooEmulator) -> XmlRpc:
    return XmlRpc(emu)


@pytest.fixture(scope="module")
def jj(emu: OdooEmulator) -> Iterator[JsonRpc]:
    client = JsonRpc(emu)
    yield client
    client.close()


def ref(x: XmlRpc, xmlid: str) -> int:
    module, name = xmlid.split(".")
    return int(x("ir.model.data", "check_object_reference", module, name)[1])


def new_product(x: XmlRpc, code: str, **extra: Any) -> int:
    vals = {"name": f"Test {code}", "default_code": code, "detailed_type": "product", "list_price": 10.0,
            "weight": 1.5, "invoice_policy": "delivery", **extra}  # fmt: skip
    return int(x("product.product", "create", vals))


def set_stock(x: XmlRpc, jj: JsonRpc, product: int, quantity: float, lot: int | bool = False) -> None:
    stock = ref(x, "stock.stock_location_stock")
    quant = x("stock.quant", "create", {"product_id": product, "location_id": stock, "inventory_quantity": quantity,
                                       "lot_id": lot}, context={"inventory_mode": True})  # fmt: skip
    assert jj("stock.quant", "action_apply_inventory", [quant]) is Missing

"""The portal in customer scope (``web.portal_scope: customer``) over real HTTP: a key speaks for one
customer (an Odoo partner), who sees their orders and the shipments of those orders — whichever partner
reported them — never another customer's, never prices; and submits orders that are checked against the
products and the customer account the hub knows, with every bad field named and nothing written."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tradelane.core.envelope import CloudEvent
from tradelane.core.examples import example
from tradelane.ports.store import EventFilter
from tradelane.testing.delivery import delivery_settings

pytestmark = pytest.mark.e2e

CUSTOMER = "party_cafe_central"


def _ev(etype: str, n: str, data: dict[str, Any], source: str) -> dict[str, Any]:
    return CloudEvent(id=f"{n}", source=source, type=etype, data=data).to_wire()


def _order(order_id: str, number: str, party: str) -> dict[str, Any]:
    d = example("tradelane.order.created.v1")
    d["order_id"] = d["order"]["order_id"] = order_id
    d["order"]["number"], d["order"]["party_id"] = number, party
    return d


def _shipped(shipment_id: str, order_number: str) -> dict[str, Any]:
    d = example("tradelane.shipment.shipped.v1")
    d["shipment_id"] = d["shipment"]["shipment_id"] = shipment_id
    d["shipment"]["order_refs"] = [order_number]
    return d


@pytest.fixture
def shop(sqlite_url: str, tmp_path: Path, hub_server: Any) -> Iterator[Any]:
    running = hub_server(delivery_settings(tmp_path, sqlite_url, {}, [], web={"portal_scope": "customer"},
                                           instance_name="shop-hub"))
    odoo, wms, carrier = running.key("odoo"), running.key("wms"), running.key("carrier")
    filter_roast = example("tradelane.product.upserted.v1")
    filter_roast["sku"] = filter_roast["product"]["sku"] = "NZ-FIL-250"
    filter_roast["product"]["name"] = "Filter Roast ground 250 g"
    milestone = example("tradelane.shipment.milestone.v1")
    milestone["shipment_id"] = "shp_so0042_1"
    delivered = example("tradelane.shipment.delivered.v1")
    other_delivered = copy.deepcopy(delivered)
    other_delivered["shipment_id"] = "shp_so0099_1"
    freight = example("tradelane.freight.charged.v1")
    freight["shipment_id"] = "shp_so0042_1"
    batches = {
        odoo: [
            _ev("tradelane.party.upserted.v1", "party-1", example("tradelane.party.upserted.v1"), "urn:odoo"),
            _ev("tradelane.product.upserted.v1", "prod-1", example("tradelane.product.upserted.v1"), "urn:odoo"),
            _ev("tradelane.product.upserted.v1", "prod-2", filter_roast, "urn:odoo"),
            _ev("tradelane.order.created.v1", "so42", _order("ord_so0042", "SO0042", CUSTOMER), "urn:odoo"),
            _ev("tradelane.order.created.v1", "so99", _order("ord_so0099", "SO0099", "party_other"), "urn:odoo"),
        ],
        wms: [
            _ev("tradelane.shipment.shipped.v1", "shp42", _shipped("shp_so0042_1", "SO0042"), "urn:wms"),
            _ev("tradelane.shipment.shipped.v1", "shp99", _shipped("shp_so0099_1", "SO0099"), "urn:wms"),
        ],
        carrier: [
            _ev("tradelane.shipment.milestone.v1", "ms42", milestone, "urn:carrier"),
            _ev("tradelane.shipment.delivered.v1", "pod42", delivered, "urn:carrier"),
            _ev("tradelane.shipment.delivered.v1", "pod99", other_delivered, "urn:carrier"),
            _ev("tradelane.freight.charged.v1", "fr42", freight, "urn:carrier"),
        ],
    }
    with httpx2.Client(base_url=running.base_url, timeout=30) as c:
        for key, batch in batches.items():
            r = c.post("/v1/events/batch", json=batch, headers={"Authorization": f"Bearer {key}"})
            assert r.status_code == 201, r.text
    running.customer_key = running.key(CUSTOMER, ("portal",))
    running.stranger_key = running.key("party_nobody", ("portal",))
    yield running


@contextmanager
def _portal(running: Any, key: str) -> Iterator[httpx2.Client]:
    with httpx2.Client(base_url=running.base_url, timeout=30, follow_redirects=False) as c:
        r = c.get("/portal/login")
        m = re.search(r'name="csrf_token" value="([^"]+)"', r.text)
        assert m is not None
        assert c.post("/portal/login", data={"csrf_token": m.group(1), "api_key": key}).status_code == 303
        yield c


def _token(c: httpx2.Client, path: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', c.get(path).text)
    assert m is not None
    return m.group(1)


def test_a_customer_sees_their_orders_and_shipments_from_every_partner(shop: Any) -> None:
    with _portal(shop, shop.customer_key) as c:
        home = c.get("/portal").text
        assert sorted(re.findall(r'data-shipment="([^"]+)"', home)) == ["ord_so0042", "shp_so0042_1"]
        page = c.get("/portal/shipments/shp_so0042_1")
        assert page.status_code == 200
        assert 'id="shipment-status">delivered<' in page.text  # the carrier's proof, linked through SO0042
        assert "212.00" not in page.text and "EUR" not in page.text  # no freight charges, no prices
        assert c.get("/portal/documents/0/shp_so0042_1").status_code == 200
        order = c.get("/portal/shipments/ord_so0042").text
        assert "18.50" not in order and "54.00" not in order  # unit prices stripped
        # another customer's order and shipment: 404, like ones that do not exist
        for other in ("ord_so0099", "shp_so0099_1", "shp_nope"):
            assert c.get(f"/portal/shipments/{other}").status_code == 404
        assert c.get("/portal/documents/0/shp_so0099_1").status_code == 404


def test_orders_are_checked_against_products_and_the_account(shop: Any) -> None:
    hub = shop.hub
    before = len(shop.call(hub.store.list_events(EventFilter(type="tradelane.order.created.v1"), None, 100)).items)
    with _portal(shop, shop.customer_key) as c:
        form = c.get("/portal/orders/new").text
        assert 'value="NZ-ESP-1KG"' in form and 'value="NZ-FIL-250"' in form and "Köln" in form
        token = _token(c, "/portal/orders/new")
        bad = c.post("/portal/orders", data={
            "csrf_token": token, "sku_0": "NZ-NOPE", "quantity_0": "3",
            "sku_1": "NZ-ESP-1KG", "quantity_1": "0", "unit_1": "EA",
            "sku_2": "NZ-FIL-250", "quantity_2": "2", "unit_2": "KGM",
            "sku_3": "NZ-ESP-1KG", "quantity_3": "1", "unit_3": "FURLONG",
            "requested_by": "2001-01-01T10:00",
        })
        assert bad.status_code == 400
        paths = re.findall(r'<li data-path="([^"]+)"', bad.text)
        assert paths == ["requested_by", "lines[0].sku", "lines[1].quantity", "lines[2].unit", "lines[3].unit"]
        assert "unknown product &#39;NZ-NOPE&#39;" in bad.text and "NZ-FIL-250 is sold in" in bad.text
        assert 'value="NZ-NOPE" selected' in bad.text  # the form comes back as typed
        assert c.post("/portal/orders", data={"csrf_token": token}).status_code == 400  # no lines at all
        assert c.post("/portal/orders", data={"sku_0": "NZ-ESP-1KG", "quantity_0": "1"}).status_code == 403
        after_bad = shop.call(hub.store.list_events(EventFilter(type="tradelane.order.created.v1"), None, 100))
        assert len(after_bad.items) == before  # nothing written

        ok = c.post("/portal/orders", data={
            "csrf_token": token, "customer_ref": "CC-PO-3001",
            "sku_0": "NZ-ESP-1KG", "quantity_0": "12", "unit_0": "EA",
            "sku_1": "NZ-FIL-250", "quantity_1": "2", "unit_1": "CS",
        })
        assert ok.status_code == 303, ok.text
        order_id = ok.headers["location"].split("placed=")[1]
        home = c.get(ok.headers["location"]).text
        assert 'id="order-placed"' in home and f'data-shipment="{order_id}"' in home
    stored = shop.call(hub.store.list_events(EventFilter(partition_key=order_id), None, 10)).items
    assert len(stored) == 1 and stored[0].tenant == CUSTOMER
    order = stored[0].event.data["order"]
    assert order["party_id"] == CUSTOMER and order["customer_ref"] == "CC-PO-3001"
    assert order["ship_to"]["city"] == "Köln"  # the account's address, not typed in
    assert [(ln["product"]["sku"], ln["quantity"]["value"], ln["quantity"]["unit"]) for ln in order["lines"]] == [
        ("NZ-ESP-1KG", "12", "EA"), ("NZ-FIL-250", "2", "CS")]
    assert any(a.action == "portal.order_submitted" for a in shop.call(hub.audit.read()))


def test_an_unknown_customer_account_cannot_order_and_sees_nothing(shop: Any) -> None:
    with _portal(shop, shop.stranger_key) as c:
        assert 'data-shipment="' not in c.get("/portal").text
        form = c.get("/portal/orders/new").text
        assert 'id="no-account"' in form
        token = _token(c, "/portal/orders/new")
        r = c.post("/portal/orders", data={"csrf_token": token, "sku_0": "NZ-ESP-1KG", "quantity_0": "1"})
        assert r.status_code == 400 and 'data-path="customer"' in r.text


def test_a_customer_places_an_order_in_the_browser(shop: Any) -> None:
    from playwright.sync_api import expect

    from tradelane.testing.browser import Screenshots, chromium_page

    with chromium_page(shop.base_url) as page:
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        shot = Screenshots(page, "portal-customer-order")
        page.goto("/portal")
        page.fill("#api_key", shop.customer_key)
        page.click("button[type=submit]")
        expect(page.locator("#shipments tr[data-shipment]")).to_have_count(2)
        shot("customer-orders-and-shipments")
        page.click("#new-order")
        page.select_option("#sku_0", "NZ-ESP-1KG")
        page.fill("#quantity_0", "6")
        page.fill("#unit_0", "KGM")  # not a unit the product is sold in (EA, CS, PL)
        page.click("#submit-order")
        expect(page.locator("#order-problems li[data-path='lines[0].unit']")).to_contain_text("is sold in")
        shot("order-refused-with-the-field")
        page.fill("#unit_0", "CS")
        page.fill("#customer_ref", "CC-PO-3002")
        page.click("#submit-order")
        expect(page.locator("#order-placed")).to_be_visible()
        expect(page.locator("#shipments tr[data-shipment]")).to_have_count(3)
        shot("order-placed")
        assert errors == []

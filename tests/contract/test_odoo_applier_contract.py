"""Canonical events applied to Odoo (emulator, or a real Odoo with TRADELANE_ODOO_URL): the Odoo side of the
outbound flow (ship confirmation → milestones → POD → invoice) and the inbound receipt, each applied once
however often it is delivered, and refused with Odoo's reason when it cannot apply."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tradelane.connectors.odoo.applier import ApplyPolicy, OdooApplier
from tradelane.core.errors import BusinessError

SIGNATURE = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="4"><path d="M0 2 L10 2"/></svg>'


def _event(kind: str, key: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"specversion": "1.0", "id": key, "source": "urn:test:wms", "type": kind, "data": data}


async def test_ship_milestone_pod_and_invoice_each_apply_once(world: Any) -> None:
    skus = await world.products(2, stock=100.0)
    [order] = await world.sale_orders(1, [(skus[0], 10.0), (skus[1], 4.0)])
    picking = await world.outgoing_picking(order)
    tracking = world.target.key("TRK")
    sscc = world.target.key("SSCC")
    applier = OdooApplier(world.odoo, ApplyPolicy(backorder=True, invoice_on="pod"))
    shipped = _event(
        "tradelane.shipment.shipped.v1",
        world.target.key("EVT"),
        {
            "shipment_id": "shp_1",
            "shipped_at": "2026-11-16T15:32:00Z",
            "shipment": {
                "shipment_id": "shp_1",
                "reference": picking,
                "order_refs": [order],
                "tracking_number": tracking,
                "lines": [
                    {"line_id": "1", "product": {"sku": skus[0]}, "quantity": {"value": "6", "unit": "EA"},
                     "sscc": sscc},
                    {"line_id": "2", "product": {"sku": skus[1]}, "quantity": {"value": "4", "unit": "EA"}},
                ],
                "handling_units": [{"sscc": sscc, "kind": "pallet", "weight": {"value": "41.5", "unit": "KG"}}],
            },
        },
    )
    first = await applier.apply(shipped)
    assert first.outcome == "applied"
    again = await applier.apply(shipped)
    assert again.outcome == "already"
    done = await world.picking(picking, ["state", "carrier_tracking_ref", "backorder_ids"])
    assert done["state"] == "done" and done["carrier_tracking_ref"] == tracking
    assert await world.count("stock.picking", [("backorder_id", "=", done["id"])]) == 1  # 4 of 10 left
    pkg = await world.odoo.search_read("stock.quant.package", [("name", "=", sscc)], ["shipping_weight"])
    assert len(pkg) == 1 and pkg[0]["shipping_weight"] == pytest.approx(41.5)

    milestone = _event(
        "tradelane.shipment.milestone.v1",
        world.target.key("EVT"),
        {"shipment_id": "shp_1", "tracking_number": tracking,
         "event": {"milestone": "in_transit", "occurred_at": "2026-11-17T08:00:00Z",
                   "location": {"location_id": "loc_x", "name": "Venlo hub"}}},
    )
    note = await applier.apply(milestone)
    assert note.outcome == "applied"
    await applier.apply(milestone)
    notes = await world.odoo.search_read(
        "mail.message", [("model", "=", "stock.picking"), ("res_id", "=", done["id"]), ("body", "ilike", "Venlo hub")],
        ["id"],
    )
    assert len(notes) == 1

    delivered = _event(
        "tradelane.shipment.delivered.v1",
        world.target.key("EVT"),
        {"shipment_id": "shp_1", "tracking_number": tracking,
         "pod": {"signee": "M. Schneider", "delivered_at": "2026-11-18T10:52:00Z",
                 "documents": [{"name": "signature.svg", "media_type": "image/svg+xml",
                                "content": base64.b64encode(SIGNATURE).decode()},
                               {"name": "cmr.pdf", "media_type": "application/pdf",
                                "url": "https://pod.example/cmr.pdf"}]}},
    )
    pod = await applier.apply(delivered)
    assert pod.outcome == "applied"
    await applier.apply(delivered)  # a replayed POD attaches nothing twice and invoices once
    atts = await world.odoo.search_read(
        "ir.attachment", [("res_model", "=", "stock.picking"), ("res_id", "=", done["id"])], ["name", "datas"]
    )
    assert [a["name"] for a in atts] == ["signature.svg"]
    assert base64.b64decode(atts[0]["datas"]) == SIGNATURE
    invoices = await world.odoo.search_read(
        "account.move", [("invoice_origin", "=", order), ("move_type", "=", "out_invoice")], ["state"]
    )
    assert len(invoices) == 1 and invoices[0]["state"] == "posted"


async def test_receipt_applies_with_lots_and_reports_discrepancies(world: Any) -> None:
    [plain] = await world.products(1)
    [lotted] = await world.products(1, tracking="lot")
    _po, receipt = await world.purchase_order([(plain, 20.0), (lotted, 10.0)])
    lot = world.target.key("LOT")
    applier = OdooApplier(world.odoo, ApplyPolicy(backorder=False))
    event = _event(
        "tradelane.receipt.completed.v1",
        world.target.key("EVT"),
        {"receipt_id": "rcpt_1", "completed_at": "2026-11-17T10:12:44Z",
         "receipt": {"receipt_id": "rcpt_1", "reference": receipt, "lines": [
             {"line_id": "1", "product": {"sku": plain}, "expected_quantity": {"value": "20", "unit": "EA"},
              "received_quantity": {"value": "19", "unit": "EA"},
              "discrepancies": [{"reason": "short", "quantity": {"value": "1", "unit": "EA"}, "note": "ASN said 20"}]},
             {"line_id": "2", "product": {"sku": lotted}, "expected_quantity": {"value": "10", "unit": "EA"},
              "received_quantity": {"value": "10", "unit": "EA"},
              "lots": [{"lot": lot, "quantity": {"value": "10", "unit": "EA"}}]},
         ]}},
    )
    result = await applier.apply(event)
    assert result.outcome == "applied"
    assert result.discrepancies == ({"sku": plain, "reason": "short", "quantity": 1.0, "note": "ASN said 20"},)
    assert (await applier.apply(event)).outcome == "already"
    row = await world.picking(receipt, ["state"])
    assert row["state"] == "done"
    assert await world.count("stock.picking", [("backorder_id", "=", row["id"])]) == 0  # no backorder by policy


async def test_refusals_name_the_reason(world: Any) -> None:
    applier = OdooApplier(world.odoo)
    missing = _event("tradelane.shipment.milestone.v1", world.target.key("EVT"),
                     {"shipment_id": "x", "tracking_number": world.target.key("NOPE"),
                      "event": {"milestone": "in_transit", "occurred_at": "2026-11-17T08:00:00Z"}})
    with pytest.raises(BusinessError, match="no delivery order with tracking ref"):
        await applier.apply(missing)
    with pytest.raises(BusinessError, match="not applied to Odoo"):
        await applier.apply(_event("tradelane.order.created.v1", "e1", {}))
    unknown = _event("tradelane.shipment.shipped.v1", world.target.key("EVT"),
                     {"shipment_id": "x", "shipped_at": "2026-11-16T15:32:00Z",
                      "shipment": {"shipment_id": "x", "reference": world.target.key("WH/OUT/NOPE"), "lines": []}})
    with pytest.raises(BusinessError):
        await applier.apply(unknown)

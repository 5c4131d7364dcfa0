"""The WMS template maps an inspected customer return (``RECEIPT_CONFIRM`` of ``receiptType`` ``RETURN``) to a
``return.received``: the return found through the ``return`` cross reference of the WMS's receipt number, the
inspector's grades to canonical conditions (a ``SCRAP`` disposition grades the line scrap), reason codes to
canonical reasons, remarks to the reason text. A purchase-order confirmation still maps to a
``receipt.completed``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tradelane.core.registry import registry
from tradelane.mapping.engine import to_canonical
from tradelane.mapping.loader import load_mapping, template_dir
from tradelane.ports.xref import XrefEntry
from tradelane.testing.xref import InMemoryXrefStore

SAMPLES = template_dir("wms-rest").joinpath("samples")


def _sample(name: str) -> dict[str, Any]:
    return dict(json.loads(Path(str(SAMPLES.joinpath(name))).read_text()))


async def _map(doc: dict[str, Any]) -> list[dict[str, Any]]:
    mapping = load_mapping("wms-rest")
    xrefs = InMemoryXrefStore()
    for kind, partner_value, canonical in (("location", "RTM1", "loc_dc_rtm"), ("return", "RCV-000018", "ret_rma0007"),
                                           ("receipt", "RCV-000017", "rcpt_wh_in_00017")):
        await xrefs.put(XrefEntry("hub", mapping.partner, kind, partner_value, canonical))
    result = await to_canonical(mapping, doc, xrefs=xrefs, tenant="hub")
    return [e.to_wire() for e in result.events]


async def test_an_inspected_return_maps_to_return_received() -> None:
    [event] = await _map(_sample("return_confirm.json"))
    assert event["type"] == "tradelane.return.received.v1" and event["subject"] == "RMA-0007"
    typed = registry.typed_envelope(event["type"])
    assert typed is not None
    typed.model_validate(event)
    rma = event["data"]["rma"]
    assert event["data"]["return_id"] == rma["return_id"] == "ret_rma0007"
    assert (rma["rma_number"], rma["order_ref"], rma["customer_id"], rma["location_id"]) == (
        "RMA-0007", "S00042", "party_cafe_central", "loc_dc_rtm")
    assert rma["reason_text"] == "glass broken" and rma["requested_at"] == "2026-11-21T13:05:00Z"
    assert [(ln["product"]["sku"], ln["quantity"]["value"], ln["received_quantity"]["value"], ln["condition"],
             ln["reason"]) for ln in rma["lines"]] == [
        ("NZ-ESP-1KG", "2", "2", "resellable", "no_longer_needed"), ("NZ-DEC-500", "1", "1", "scrap", "damaged")]
    assert rma["lines"][1]["lots"] == [{"lot": "L2026-318", "quantity": {"value": "1", "unit": "EA"}}]


async def test_grades_default_and_disposition_overrides() -> None:
    doc = _sample("return_confirm.json")
    doc["lines"][0]["inspection"] = {"condition": "NEW", "disposition": "SCRAP"}
    doc["lines"][1]["inspection"] = {"condition": "DAMAGED", "disposition": "QUARANTINE"}
    [event] = await _map(doc)
    rma = event["data"]["rma"]
    assert [(ln["condition"], ln["reason"]) for ln in rma["lines"]] == [("scrap", "other"), ("damaged", "other")]
    assert "reason_text" not in rma  # no remarks: no reason text


async def test_a_purchase_order_confirmation_is_still_a_receipt() -> None:
    [event] = await _map(_sample("receipt_confirm.json"))
    assert event["type"] == "tradelane.receipt.completed.v1"

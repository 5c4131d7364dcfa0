"""Field-level validation of the canonical model: each bad input fails with a stable error type, a message
a person understands, and the location of the offending field."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from tradelane.core.examples import example
from tradelane.core.model import (
    Attachment,
    CarrierInvoiceReceived,
    ExceptionCase,
    FreightCharged,
    HandlingUnit,
    Money,
    Order,
    OrderCancelled,
    OrderCreated,
    PackagingConversion,
    Product,
    ProductUpserted,
    Quantity,
    ReceiptCompleted,
    Shipment,
    ShipmentMilestone,
    ShipmentShipped,
    TimeWindow,
    TrackingEvent,
    gs1_check_digit,
)


def _only_error(model: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    errors = info.value.errors()
    assert len(errors) == 1, errors
    assert "{" not in errors[0]["msg"], f"unrendered message template: {errors[0]['msg']}"
    return dict(errors[0])


# --- datetimes ----------------------------------------------------------------------------------------------


def test_naive_datetime_is_refused_at_its_field() -> None:
    data = example("tradelane.shipment.milestone.v1")
    data["event"]["occurred_at"] = "2026-11-17T21:48:00"
    error = _only_error(ShipmentMilestone, data)
    assert error["type"] == "naive_datetime"
    assert error["loc"] == ("event", "occurred_at")
    assert "timezone-aware" in error["msg"]


def test_aware_datetimes_are_normalised_to_utc() -> None:
    event = TrackingEvent(
        milestone="picked_up", occurred_at=datetime(2026, 11, 16, 15, 32, tzinfo=timezone(timedelta(hours=1)))
    )
    assert event.occurred_at == datetime(2026, 11, 16, 14, 32, tzinfo=UTC)
    assert event.occurred_at.utcoffset() == timedelta(0)
    assert event.model_dump(mode="json")["occurred_at"] == "2026-11-16T14:32:00Z"


def test_window_must_not_end_before_it_starts() -> None:
    error = _only_error(TimeWindow, {"start": "2026-11-18T12:00:00Z", "end": "2026-11-18T07:00:00Z"})
    assert error["type"] == "window_order"


# --- units and quantities -----------------------------------------------------------------------------------


def test_unknown_unit_is_refused_naming_the_unit_and_field() -> None:
    data = example("tradelane.order.created.v1")
    data["order"]["lines"][1]["quantity"]["unit"] = "bushel"
    error = _only_error(OrderCreated, data)
    assert error["type"] == "unknown_unit"
    assert error["loc"] == ("order", "lines", 1, "quantity", "unit")
    assert "'bushel'" in error["msg"]


def test_unit_aliases_are_stored_canonical() -> None:
    assert Quantity(value=Decimal("2.5"), unit="KGM").unit == "KG"
    product = ProductUpserted.model_validate(example("tradelane.product.upserted.v1")).product
    assert product.uom == "EA"  # given as Odoo's "Units"


def test_negative_quantity_is_refused() -> None:
    error = _only_error(Quantity, {"value": "-1", "unit": "EA"})
    assert error["loc"] == ("value",)
    assert error["type"] == "greater_than_equal"


def test_product_weight_must_be_a_weight() -> None:
    error = _only_error(Product, {"sku": "A", "name": "A", "weight": {"value": "1", "unit": "L"}})
    assert error["type"] == "wrong_dimension"


def test_packaging_cycle_is_refused() -> None:
    with pytest.raises(ValidationError, match="cycle"):
        Product(
            sku="A",
            name="A",
            packaging=(
                PackagingConversion(unit="CS", quantity=Decimal(2), contains_unit="BX"),
                PackagingConversion(unit="BX", quantity=Decimal(2), contains_unit="CS"),
            ),
        )


def test_packaging_holding_an_undefined_level_is_refused() -> None:
    with pytest.raises(ValidationError, match="PL holds CS, which is not defined"):
        Product(
            sku="A",
            name="A",
            packaging=(PackagingConversion(unit="PL", quantity=Decimal(40), contains_unit="CS"),),
        )


# --- GS1 keys -----------------------------------------------------------------------------------------------


def test_gs1_check_digit_matches_published_barcodes() -> None:
    assert gs1_check_digit("400638133393") == 1  # EAN-13 4006381333931
    assert gs1_check_digit("03600029145") == 2  # UPC-A 036000291452


def test_sscc_with_bad_check_digit_is_refused_at_its_field() -> None:
    data = example("tradelane.shipment.shipped.v1")
    data["shipment"]["handling_units"][0]["sscc"] = "008712345000000014"
    data["shipment"]["lines"][0]["sscc"] = "008712345000000014"
    with pytest.raises(ValidationError) as info:
        ShipmentShipped.model_validate(data)
    errors = info.value.errors()
    assert {e["type"] for e in errors} == {"sscc_check_digit"}
    assert ("shipment", "handling_units", 0, "sscc") in [e["loc"] for e in errors]
    assert "expected 3, got 4" in errors[0]["msg"]


def test_sscc_wrong_length_is_refused() -> None:
    error = _only_error(HandlingUnit, {"sscc": "12345"})
    assert error["type"] == "sscc_format"
    assert "18 digits" in error["msg"]


def test_sscc_accepts_the_application_identifier_prefix() -> None:
    assert HandlingUnit(sscc="(00) 008712345000000013").sscc == "008712345000000013"


def test_shipment_line_must_reference_a_declared_handling_unit() -> None:
    data = example("tradelane.shipment.shipped.v1")["shipment"]
    data["lines"][0]["sscc"] = "008712345000000037"
    error = _only_error(Shipment, data)
    assert error["type"] == "unknown_sscc"
    assert "008712345000000037" in error["msg"]


# --- money --------------------------------------------------------------------------------------------------


def test_unknown_currency_is_refused() -> None:
    error = _only_error(Money, {"amount": "1.00", "currency": "XYZ"})
    assert error["type"] == "unknown_currency"
    assert error["loc"] == ("currency",)


def test_lower_case_currency_is_refused() -> None:
    assert _only_error(Money, {"amount": "1.00", "currency": "eur"})["type"] == "currency_format"


def test_invoice_with_a_charge_in_another_currency_is_refused() -> None:
    data = example("tradelane.carrier_invoice.received.v1")
    data["invoice"]["charges"][2]["amount"]["currency"] = "USD"
    error = _only_error(CarrierInvoiceReceived, data)
    assert error["type"] == "mixed_currency"
    assert error["loc"] == ("invoice", "charges")
    assert "charges[2]" in error["msg"] and "USD" in error["msg"] and "EUR" in error["msg"]


def test_invoice_total_in_another_currency_is_refused() -> None:
    data = example("tradelane.carrier_invoice.received.v1")
    data["invoice"]["total"]["currency"] = "GBP"
    error = _only_error(CarrierInvoiceReceived, data)
    assert (error["type"], error["loc"]) == ("mixed_currency", ("invoice", "total"))


def test_freight_charges_and_order_prices_must_share_a_currency() -> None:
    charged = example("tradelane.freight.charged.v1")
    charged["charges"][0]["amount"]["currency"] = "CHF"
    error = _only_error(FreightCharged, charged)
    assert (error["type"], error["loc"]) == ("mixed_currency", ("charges",))
    assert "CHF, EUR" in error["msg"]

    order = example("tradelane.order.created.v1")["order"]
    order["lines"][0]["unit_price"]["currency"] = "USD"
    assert _only_error(Order, order)["type"] == "mixed_currency"


def test_invoice_total_mismatch_is_an_audit_finding_not_an_error() -> None:
    invoice = CarrierInvoiceReceived.model_validate(example("tradelane.carrier_invoice.received.v1")).invoice
    assert invoice.charges_total() == Decimal("288.80")
    assert invoice.total_matches_charges
    inflated = invoice.model_copy(update={"total": Money(amount=Decimal("300.00"), currency="EUR")})
    assert not inflated.total_matches_charges


# --- wrappers and lifecycle rules ---------------------------------------------------------------------------


def test_top_level_id_must_match_the_wrapped_entity() -> None:
    data = example("tradelane.shipment.shipped.v1")
    data["shipment_id"] = "shp_other"
    error = _only_error(ShipmentShipped, data)
    assert error["type"] == "id_mismatch"
    assert "shipment.shipment_id" in error["msg"]


def test_completed_receipt_needs_every_received_quantity() -> None:
    data = example("tradelane.receipt.completed.v1")
    del data["receipt"]["lines"][1]["received_quantity"]
    error = _only_error(ReceiptCompleted, data)
    assert (error["type"], error["loc"]) == ("not_received", ("receipt",))


def test_resolved_exception_needs_a_resolution_time() -> None:
    data = example("tradelane.exception.resolved.v1")["exception"]
    del data["resolved_at"]
    assert _only_error(ExceptionCase, data)["type"] == "resolved_at_required"


def test_duplicate_line_ids_are_refused() -> None:
    order = example("tradelane.order.created.v1")["order"]
    order["lines"][1]["line_id"] = "1"
    error = _only_error(Order, order)
    assert (error["type"], error["loc"]) == ("duplicate_id", ("lines",))


def test_attachment_hash_must_match_inline_content() -> None:
    content = b"%PDF-1.7 signed delivery note"
    good = {
        "name": "pod.pdf",
        "media_type": "application/pdf",
        "sha256": hashlib.sha256(content).hexdigest(),
        "content": base64.b64encode(content).decode(),
    }
    assert Attachment.model_validate(good).decoded() == content
    error = _only_error(Attachment, {**good, "sha256": hashlib.sha256(b"other").hexdigest()})
    assert error["type"] == "sha256_mismatch"
    assert (
        _only_error(Attachment, {**good, "url": "https://pod.example/pod.pdf"})["type"] == "attachment_source"
    )


# --- immutability and strictness ----------------------------------------------------------------------------


def test_models_are_frozen() -> None:
    shipment = ShipmentShipped.model_validate(example("tradelane.shipment.shipped.v1")).shipment
    with pytest.raises(ValidationError, match="frozen"):
        shipment.tracking_number = "changed"  # type: ignore[misc]
    assert isinstance(shipment.lines, tuple)
    hash(shipment)  # frozen models with tuple fields are hashable


def test_unknown_fields_are_refused() -> None:
    data = example("tradelane.order.cancelled.v1")
    data["cancel_reason"] = "typo"
    error = _only_error(OrderCancelled, data)
    assert (error["type"], error["loc"]) == ("extra_forbidden", ("cancel_reason",))

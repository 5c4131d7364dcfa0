"""The event catalog: every required type is registered once, documented, keyed, and has a valid example."""

from __future__ import annotations

import pytest

from tradelane.core.catalog import CATALOG, EventName, register_catalog
from tradelane.core.examples import EXAMPLES, example
from tradelane.core.model import CanonicalModel
from tradelane.core.registry import EVENT_TYPE_PATTERN, EventTypeRegistry, registry

REQUIRED = {
    f"tradelane.{name}.v1"
    for name in (
        "order.created",
        "order.confirmed",
        "order.released",
        "order.amended",
        "order.cancelled",
        "shipment.picked",
        "shipment.packed",
        "shipment.shipped",
        "shipment.tendered",
        "shipment.booked",
        "shipment.tender_rejected",
        "shipment.milestone",
        "shipment.eta_changed",
        "shipment.delivered",
        "appointment.requested",
        "appointment.confirmed",
        "gate.checked_in",
        "gate.checked_out",
        "dock.assigned",
        "receipt.expected",
        "receipt.completed",
        "inventory.snapshot",
        "inventory.adjusted",
        "stock.moved",
        "freight.charged",
        "carrier_invoice.received",
        "return.requested",
        "return.received",
        "exception.opened",
        "exception.resolved",
        "party.upserted",
        "product.upserted",
    )
}


def test_required_event_types_are_registered() -> None:
    assert REQUIRED <= set(registry.names())
    assert {str(name) for name in EventName} == {entry.name for entry in CATALOG} == set(registry.names())


def test_every_event_type_has_an_example_and_every_example_a_type() -> None:
    assert set(EXAMPLES) == set(registry.names())


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_example_validates_and_carries_its_key(name: str) -> None:
    event_type = registry.get(name)
    assert event_type is not None
    assert EVENT_TYPE_PATTERN.match(name)
    assert len(event_type.doc) > 40 and "emitted" in event_type.doc.lower()
    assert event_type.key_field in event_type.model.model_fields
    payload = event_type.model.model_validate(EXAMPLES[name])
    key = getattr(payload, event_type.key_field or "")
    assert isinstance(key, str) and key == EXAMPLES[name][event_type.key_field]
    # the JSON form re-validates to the same value (nothing lost on the wire)
    assert event_type.model.model_validate_json(payload.model_dump_json()) == payload


def test_payload_models_are_canonical_models() -> None:
    for event_type in registry:
        assert issubclass(event_type.model, CanonicalModel)
        assert event_type.model.model_config.get("frozen") is True
        assert event_type.model.model_config.get("extra") == "forbid"


def test_registering_twice_is_refused() -> None:
    fresh = EventTypeRegistry()
    register_catalog(fresh)
    assert len(fresh) == len(CATALOG)
    with pytest.raises(ValueError, match="already registered"):
        register_catalog(fresh)


def test_example_returns_a_private_copy() -> None:
    copy = example("tradelane.order.created.v1")
    copy["order"]["lines"].clear()
    assert EXAMPLES["tradelane.order.created.v1"]["order"]["lines"]

"""Our CloudEvent model against the official ``cloudevents`` SDK (2.x) as the conformance oracle."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent as SdkEvent
from pydantic import ValidationError

from tradelane.core.envelope import CloudEvent


def ours() -> CloudEvent:
    return CloudEvent(
        id="evt-1",
        source="/partners/acme-wms",
        type="tradelane.shipment.shipped.v1",
        subject="SHP-1",
        time=datetime(2026, 11, 22, 10, 0, tzinfo=UTC),
        data={"shipment_id": "SHP-1"},
        correlationid="order-SO1",
        causationid="evt-0",
        partitionkey="SHP-1",
        sequence=3,
        idempotencykey="ship-SHP-1",
    )


def test_our_wire_form_is_read_by_the_sdk() -> None:
    ev = ours()
    sdk = JSONFormat().read(None, orjson.dumps(ev.to_wire()))
    assert sdk.get_specversion() == "1.0"
    assert sdk.get_id() == "evt-1" and sdk.get_source() == "/partners/acme-wms"
    assert sdk.get_type() == "tradelane.shipment.shipped.v1"
    assert sdk.get_time() == datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    for ext in ("correlationid", "causationid", "partitionkey", "sequence", "idempotencykey"):
        assert sdk.get_extension(ext) == getattr(ev, ext)
    assert sdk.get_data() == {"shipment_id": "SHP-1"}


def test_sdk_wire_form_is_read_by_us() -> None:
    sdk = SdkEvent(
        {
            "id": "a1",
            "source": "/x",
            "type": "tradelane.order.released.v1",
            "specversion": "1.0",
            "time": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
            "datacontenttype": "application/json",
            "partitionkey": "SO1",
        },
        {"order_id": "SO1"},
    )
    ev = CloudEvent.model_validate(orjson.loads(JSONFormat().write(sdk)))
    assert ev.id == "a1" and ev.partitionkey == "SO1" and ev.data == {"order_id": "SO1"}
    assert ev.time == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_naive_time_and_unknown_attribute_are_refused() -> None:
    with pytest.raises(ValidationError, match="timezone-aware"):
        CloudEvent(id="1", source="/s", type="tradelane.a.b.v1", time=datetime(2026, 1, 1))
    with pytest.raises(ValidationError):
        CloudEvent.model_validate({"id": "1", "source": "/s", "type": "tradelane.a.b.v1", "Bad-Name": 1})


def test_envelope_is_immutable() -> None:
    ev = ours()
    with pytest.raises(ValidationError):
        ev.id = "other"  # type: ignore[misc]

"""Pure parts of the flow runtime: durations, timer keys, the SLA planner, the catalogue, exception checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tradelane.core.errors import ValidationFailed
from tradelane.flows.catalogue import describe, next_run
from tradelane.flows.exceptions import validate_new_exception
from tradelane.flows.sla import SlaEngine
from tradelane.flows.spec import FlowSpec, SlaSpec, compile_key, entity_of, parse_duration
from tradelane.ports.flows import ArmTimer, ExceptionView, NewException, ProjectedEvent, StopTimer

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def event(etype: str, **over: object) -> ProjectedEvent:
    base: dict[str, object] = dict(seq=1, hub_id="evt_1", tenant="acme", type=etype, subject="SO1",
                                   partition_key="pk-1", correlation_id="corr-1", time=T0,
                                   data={"order": {"id": "SO-9"}, "n": 3})
    base.update(over)
    return ProjectedEvent(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("90s", timedelta(seconds=90)), ("15m", timedelta(minutes=15)), ("4h", timedelta(hours=4)),
     ("1h30m", timedelta(minutes=90)), ("2d", timedelta(days=2)), ("1d2h3m4s", timedelta(days=1, seconds=7384))],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "15", "15 minutes", "0m", "m", "1.5h", "-5m", "400d", "5m1h"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_keys() -> None:
    ev = event("tradelane.order.released.v1")
    assert compile_key("subject")(ev) == "SO1"
    assert compile_key("partitionkey")(ev) == "pk-1"
    assert compile_key("correlationid")(ev) == "corr-1"
    assert compile_key("data.order.id")(ev) == "SO-9"
    assert compile_key("data.n")(ev) == "3"
    assert compile_key("data.order")(ev) is None  # an object is not a key
    assert compile_key("data.missing")(ev) is None
    assert compile_key("subject")(event("x.y.z", subject=None)) is None
    with pytest.raises(ValueError, match="JMESPath"):
        compile_key("data.[")


def test_entity_of() -> None:
    assert entity_of("tradelane.order.released.v1") == "order"
    assert entity_of("tradelane.carrier_invoice.received.v1") == "carrier_invoice"
    assert entity_of("odd") == "event"


def test_plan_arms_and_stops() -> None:
    ack = SlaSpec.build("release", "wms-ack", "tradelane.order.released.v1", ["tradelane.shipment.picked.v1"],
                        "15m", "subject", "high", "warehouse")
    pod = SlaSpec.build("release", "pod", ["tradelane.shipment.delivered.v1"], "tradelane.order.released.v1",
                        "1h", "data.order.id", "low", "finance", entity_kind="shipment")
    engine = SlaEngine(store=None, specs=[ack, pod])  # type: ignore[arg-type]  # plan() never touches the store
    assert engine.types == {"tradelane.order.released.v1", "tradelane.shipment.picked.v1",
                            "tradelane.shipment.delivered.v1"}
    ops = engine.plan(event("tradelane.order.released.v1"))
    assert ops == [
        ArmTimer("acme", "release", "wms-ack", "SO1", "order", "high", "warehouse", T0, T0 + timedelta(minutes=15),
                 "evt_1", "corr-1"),
        StopTimer("acme", "release", "pod", "SO-9", "shipment", "low", "finance", T0, "evt_1"),
    ]
    assert engine.plan(event("tradelane.shipment.milestone.v1")) == []
    assert engine.plan(event("tradelane.shipment.picked.v1", subject=None)) == []  # no key: nothing to time


def test_catalogue() -> None:
    after = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
    assert next_run("0 2 * * *", after) == after + timedelta(days=1)  # strictly after
    assert next_run("*/15 * * * *", after + timedelta(seconds=1)) == after + timedelta(minutes=15)
    sla = SlaSpec.build("a", "x", "t.order.a.v1", "t.order.b.v1", "1h30m", "subject", "high", "ops")
    rows = describe([FlowSpec("b", "", "batch", "0 2 * * *", "fin", True, (5.0,)),
                     FlowSpec("a", "d", "realtime", None, "ops", False, (), (sla,))], after)
    assert [r["name"] for r in rows] == ["a", "b"]
    assert rows[0]["slas"][0]["within"] == "1h30m" and rows[0]["next_run"] is None
    assert rows[1]["next_run"] == "2026-11-23T02:00:00Z" and rows[1]["retry_schedule"] == [5.0]


def test_exception_input_is_checked_field_by_field() -> None:
    bad = NewException(tenant="", type="Not OK", severity="urgent", entity_kind="order", entity_id="x" * 201,
                       owner_team="ops", summary="s")
    with pytest.raises(ValidationFailed) as err:
        validate_new_exception(bad)
    assert sorted(p.path for p in err.value.problems) == ["entity_id", "severity", "tenant", "type"]


def test_aging() -> None:
    view = ExceptionView(
        id="exc_1", tenant="acme", type="damaged", severity="low", status="open", entity_kind="order",
        entity_id="SO1", owner_team="ops", summary="s", detail=None, flow=None, dedupe_key=None, links={},
        opened_at=T0, updated_at=T0, acknowledged_at=None, resolved_at=None, resolution=None, version=1,
    )
    assert view.age_s(T0 + timedelta(hours=2)) == 7200
    doc = view.as_dict(T0 + timedelta(minutes=1))
    assert doc["age_s"] == 60 and doc["opened_at"] == "2026-11-22T08:00:00Z" and doc["entity"] == "order/SO1"
    assert "history" not in doc

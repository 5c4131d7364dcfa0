"""Scoped SLAs (pure planner): ``where`` / ``start_where`` / ``stop_where`` filters, a stop key read another
way, list keys, a due time read from the start event, and the settings that declare them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from tradelane.flows.sla import SlaEngine
from tradelane.flows.spec import SlaSpec, compile_due, compile_filter, compile_keys
from tradelane.ports.flows import ArmTimer, ProjectedEvent, StopTimer
from tradelane.settings import SlaSettings

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
RELEASED, PICKED = "tradelane.order.released.v1", "tradelane.shipment.picked.v1"
MILESTONE, DELIVERED = "tradelane.shipment.milestone.v1", "tradelane.shipment.delivered.v1"
INVOICE, ETA = "tradelane.carrier_invoice.received.v1", "tradelane.shipment.eta_changed.v1"


def event(etype: str, *, tenant: str = "hub", source: str = "urn:tradelane:flow:outbound", subject: str | None = None,
          data: object = None, time: datetime = T0, hub_id: str = "evt_1") -> ProjectedEvent:
    return ProjectedEvent(seq=1, hub_id=hub_id, tenant=tenant, type=etype, subject=subject, partition_key=None,
                          correlation_id=None, time=time, data=data or {}, source=source)


def engine(*specs: SlaSpec) -> SlaEngine:
    return SlaEngine(store=None, specs=specs)  # type: ignore[arg-type]  # plan() never touches the store


def wms_ack() -> SlaSpec:
    # the release names the Odoo delivery order; the WMS's pick names the canonical shipment id
    return SlaSpec.build(
        "outbound", "wms-ack", RELEASED, PICKED, "15m", "concat('shp_', lower(replace(subject, '/', '_')))",
        "high", "logistics", entity_kind="shipment", where="tenant == 'hub'",
        start_where="source == 'urn:tradelane:flow:outbound'", stop_key="data.shipment_id",
    )


def test_scope_and_a_stop_key_read_another_way() -> None:
    e = engine(wms_ack())
    ops = e.plan(event(RELEASED, subject="WH/OUT/00007"))
    assert ops == [ArmTimer("hub", "outbound", "wms-ack", "shp_wh_out_00007", "shipment", "high", "logistics", T0,
                            T0 + timedelta(minutes=15), "evt_1", None)]
    picked = event(PICKED, source="/partners/acme-wms", data={"shipment_id": "shp_wh_out_00007"})
    assert e.plan(picked) == [StopTimer("hub", "outbound", "wms-ack", "shp_wh_out_00007", "shipment", "high",
                                        "logistics", T0, "evt_1")]
    # out of scope: another tenant's events, a release some other system sent
    assert e.plan(event(RELEASED, tenant="demo-odoo", subject="WH/OUT/00007")) == []
    assert e.plan(event(PICKED, tenant="demo-wms", data={"shipment_id": "shp_wh_out_00007"})) == []
    assert e.plan(event(RELEASED, source="/partners/demo-odoo", subject="WH/OUT/00007")) == []


def test_start_where_picks_one_milestone_and_a_list_key_stops_every_element() -> None:
    no_pod = SlaSpec.build("outbound", "pod", MILESTONE, DELIVERED, "24h", "data.shipment_id", "medium", "logistics",
                           start_where="data.event.milestone == 'delivered' && data.tracking_number != null",
                           stop_where="length(data.pod.documents || `[]`) > `0`")
    invoiced = SlaSpec.build("outbound", "invoice", DELIVERED, INVOICE, "1h", "data.shipment_id", "medium",
                             "finance", stop_key="data.invoice.shipment_refs")
    e = engine(no_pod, invoiced)
    delivered = {"shipment_id": "shp_1", "tracking_number": "RHN1", "event": {"milestone": "delivered"}}
    [arm] = e.plan(event(MILESTONE, data=delivered))
    assert isinstance(arm, ArmTimer) and (arm.sla, arm.key, arm.due_at) == ("pod", "shp_1", T0 + timedelta(hours=24))
    # other milestones, and a yard's dock milestone without a tracking number, are not timed
    assert e.plan(event(MILESTONE, data={**delivered, "event": {"milestone": "in_transit"}})) == []
    assert e.plan(event(MILESTONE, data={"shipment_id": "rcpt_1", "event": {"milestone": "delivered"}})) == []
    # a POD with a document stops "pod" and starts "invoice"; one without a document only starts "invoice"
    pod = {"shipment_id": "shp_1", "pod": {"documents": [{"name": "signature.svg"}]}}
    assert [(type(o).__name__, o.sla) for o in e.plan(event(DELIVERED, data=pod))] == [
        ("StopTimer", "pod"), ("ArmTimer", "invoice")]
    assert [(type(o).__name__, o.sla) for o in e.plan(event(DELIVERED, data={"shipment_id": "shp_1", "pod": {}}))] == [
        ("ArmTimer", "invoice")]
    # one carrier invoice billing two shipments stops both timers (a repeated ref once)
    ops = e.plan(event(INVOICE, data={"invoice": {"shipment_refs": ["shp_1", "shp_2", "shp_1", ""]}}))
    assert [(o.sla, o.key) for o in ops] == [("invoice", "shp_1"), ("invoice", "shp_2")]


def test_due_time_from_the_start_event_moves_with_it() -> None:
    past_eta = SlaSpec.build("outbound", "past-eta", ETA, DELIVERED, "30m", "data.shipment_id", "high",
                             "logistics", due_at="data.new_eta")
    e = engine(past_eta)
    [arm] = e.plan(event(ETA, data={"shipment_id": "shp_1", "new_eta": "2026-11-23T06:00:00Z"}))
    assert isinstance(arm, ArmTimer)
    assert arm.due_at == datetime(2026, 11, 23, 6, 30, tzinfo=UTC) and arm.rearm
    # no usable due time: nothing armed (a naive time is not a time)
    assert e.plan(event(ETA, data={"shipment_id": "shp_1", "new_eta": "2026-11-23T06:00:00"})) == []
    assert e.plan(event(ETA, data={"shipment_id": "shp_1"})) == []
    # due_at alone (no grace) is enough
    bare = SlaSpec.build("outbound", "eta", ETA, DELIVERED, None, "data.shipment_id", "high", "logistics",
                         due_at="data.new_eta")
    assert bare.within == timedelta(0)


def test_compiled_helpers() -> None:
    assert compile_filter("tenant == 'hub'")(event(RELEASED))
    assert not compile_filter("data.missing")(event(RELEASED))
    assert compile_keys("data.refs")(event(RELEASED, data={"refs": ["a", None, {"x": 1}, "b"]})) == ("a", "b")
    assert compile_keys("subject")(event(RELEASED, subject="")) == ()
    assert compile_due("data.t")(event(RELEASED, data={"t": "2026-11-23T06:00:00+01:00"})) == datetime(
        2026, 11, 23, 5, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="filter"):
        compile_filter("tenant ==")
    with pytest.raises(ValueError, match="within"):
        SlaSpec.build("f", "s", RELEASED, PICKED, None, "subject", "high", "team")


@pytest.mark.parametrize(
    ("over", "field"),
    [({"where": "tenant =="}, "where"), ({"stop_key": "data.["}, "stop_key"), ({"due_at": "data.("}, "due_at"),
     ({"start_where": "&&"}, "start_where"), ({"within": None}, None)],
)
def test_settings_name_the_bad_field(over: dict[str, object], field: str | None) -> None:
    doc: dict[str, object] = {"name": "wms-ack", "start": RELEASED, "stop": PICKED, "within": "15m", **over}
    with pytest.raises(ValidationError) as info:
        SlaSettings(**doc)
    if field is not None:
        assert info.value.errors()[0]["loc"] == (field,)
    else:
        assert "within" in str(info.value) and "due_at" in str(info.value)

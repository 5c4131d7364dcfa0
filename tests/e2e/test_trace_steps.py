"""The trace's steps for one stored event (pure: ``tradelane.web.views``): the mapping result names the partner
mapping and its file digest, a late event says why it was not applied, and a delivery to an ``odoo`` endpoint
is an Odoo write carrying the request it sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tradelane.ports.delivery import DeliveryView
from tradelane.ports.store import StoredEvent
from tradelane.testing.delivery import milestone
from tradelane.web.views import _steps

T0 = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)


def _delivery(status: str, destination: str, **kw: object) -> DeliveryView:
    base: dict[str, object] = dict(
        id=f"dlv_{destination}", tenant="acme", hub_id="evt_1", event_type="tradelane.shipment.milestone.v1",
        route=f"to-{destination}", destination=destination, lane="default", partition_key="shp_1", status=status,
        attempts=1, next_attempt_at=T0, last_status=None, last_error=None, error_class=None, filter_reason=None,
        replays=0, created_at=T0, updated_at=T0, completed_at=None,
    )
    base.update(kw)
    return DeliveryView(**base)  # type: ignore[arg-type]


def test_mapping_late_flag_and_odoo_write_are_steps_with_their_reasons() -> None:
    ev = StoredEvent(hub_id="evt_1", tenant="acme", received_at=T0, event=milestone(1, "shp_1", 1),
                     mapping="acme-tms@3", mapping_digest="0123456789abcdef", staleness="late:older_time")
    odoo = _delivery("dead", "odoo", last_error="Odoo: no delivery order WH/OUT/9", attempt_log=({
        "attempt": 1, "outcome": "dead", "status_code": None, "error_class": "permanent",
        "detail": "Odoo refused", "response_excerpt": "ValidationError: no delivery order WH/OUT/9",
        "started_at": (T0 + timedelta(seconds=1)).isoformat(),
    },))
    steps = _steps(ev, [odoo], {"odoo": "odoo"})
    by_kind = {s.kind: s for s in steps}
    assert by_kind["mapping"].title == "mapped with acme-tms@3 (mapping file digest 0123456789abcdef)"
    assert "late:older_time" in by_kind["late"].title
    assert "older than the latest update" in by_kind["late"].detail
    write = by_kind["odoo"]
    assert write.title.startswith("Odoo write via odoo (odoo): post a chatter note")
    assert "now dead" in write.detail and "WH/OUT/9" in write.detail
    assert '"shipment_id"' in write.request  # the event data the write was given
    attempt = by_kind["attempt"]
    assert attempt.title == "attempt 1 to Odoo (odoo): dead" and "ValidationError" in attempt.excerpt


def test_a_canonical_event_to_a_webhook_is_a_plain_route() -> None:
    ev = StoredEvent(hub_id="evt_1", tenant="acme", received_at=T0, event=milestone(1, "shp_1", 1))
    steps = _steps(ev, [_delivery("pending", "tms")], {"tms": "http"})
    assert [s.kind for s in steps] == ["inbound", "mapping", "routed"]
    assert steps[1].title == "no partner mapping: received as a canonical event"

"""Session cookies and CSRF tokens, and what the portal shows of an event (pure: no server)."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime

import orjson
import pytest

from tradelane.core.envelope import CloudEvent
from tradelane.core.examples import example
from tradelane.ports.store import ApiKeyRecord, StoredEvent
from tradelane.web import views
from tradelane.web.session import SessionCodec, role_allowed

pytestmark = pytest.mark.e2e


def _rec(tenant: str | None, *scopes: str) -> ApiKeyRecord:
    return ApiKeyRecord("k" * 16, "n", tenant, "h", tuple(scopes), datetime.now(UTC))


def test_cookie_round_trip_and_every_tampering_is_refused() -> None:
    codec = SessionCodec(b"secret-1")
    exp = int(time.time()) + 60
    value, sess = codec.issue("abcd", "portal", "acme", exp)
    assert codec.verify(value) == sess
    body, sig = value.split(".")
    doc = orjson.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    for field, new in (("k", "other"), ("r", "operator"), ("t", "globex"), ("e", exp + 3600), ("n", "x")):
        forged = base64.urlsafe_b64encode(orjson.dumps({**doc, field: new})).decode().rstrip("=")
        assert codec.verify(f"{forged}.{sig}") is None, field
    assert SessionCodec(b"secret-2").verify(value) is None
    assert codec.verify(value, now=exp) is None  # expiry is exclusive
    assert codec.verify(value, now=exp - 1) == sess
    for junk in ("", ".", "a.b.c", "!!!.???", "e30." + sig):
        assert codec.verify(junk) is None


def test_csrf_token_is_bound_to_the_session() -> None:
    codec = SessionCodec(b"secret")
    _, a = codec.issue("abcd", "operator", None, int(time.time()) + 60)
    _, b = codec.issue("abcd", "operator", None, int(time.time()) + 60)
    assert codec.csrf_ok(a, codec.csrf_token(a))
    assert not codec.csrf_ok(a, codec.csrf_token(b))  # same key, another sign-in
    assert not codec.csrf_ok(a, None) and not codec.csrf_ok(a, "")
    assert not SessionCodec(b"other").csrf_ok(a, codec.csrf_token(a))


def test_roles_need_their_scope_and_portal_a_tenant() -> None:
    assert role_allowed("operator", _rec(None, "admin"))
    assert not role_allowed("operator", _rec("acme", "portal", "events:read"))
    assert role_allowed("portal", _rec("acme", "portal"))
    assert not role_allowed("portal", _rec(None, "admin"))
    assert not role_allowed("portal", _rec("acme", "events:read", "pricing:read"))


def _stored(etype: str, data: dict[str, object]) -> StoredEvent:
    ev = CloudEvent(id="e1", source="urn:t", type=etype, partitionkey="shp_1", data=data)
    return StoredEvent(hub_id="evt_1", tenant="acme", received_at=datetime.now(UTC), event=ev)


def test_portal_steps_never_carry_pricing_and_hide_internal_events() -> None:
    shipped = example("tradelane.shipment.milestone.v1")
    shipped["event"]["reason"] = "late"
    shipped["rate"] = {"amount": "99.00", "currency": "EUR"}
    step = views._step(_stored("tradelane.shipment.milestone.v1", shipped))
    assert step.label == "departed terminal" and step.where == "Duisburg, DE" and step.note == "late"
    assert "99.00" not in repr(step)
    charged = _stored("tradelane.freight.charged.v1", example("tradelane.freight.charged.v1"))
    assert not views._visible(charged)
    assert views._visible(_stored("tradelane.shipment.eta_changed.v1", example("tradelane.shipment.eta_changed.v1")))
    assert views._label("tradelane.shipment.eta_changed.v1") == "ETA changed"
    assert views._label("tradelane.order.created.v1") == "order created"
    summary = views._summarise("shp_1", [
        _stored("tradelane.shipment.milestone.v1", shipped),
        _stored("tradelane.shipment.eta_changed.v1", example("tradelane.shipment.eta_changed.v1")),
    ])
    assert summary.status == "departed terminal"
    assert summary.latest_eta == datetime(2026, 11, 18, 9, 45, tzinfo=UTC)

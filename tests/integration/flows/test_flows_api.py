"""The flow runtime over HTTP: exceptions (list, show, acknowledge, resolve), tenancy, problem+json for bad
transitions (409) and bad input (422 with field paths), conflicts, SLA timers and the catalogue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx2
import pytest

from tradelane.ports.flows import NewException
from tradelane.routing.ownership import OwnershipMatrix, SystemRef, split_update
from tradelane.settings import load_settings


@pytest.fixture
def hub(db_url: str, tmp_path: Path, hub_server: Any) -> Any:
    settings = load_settings(
        None,
        data_dir=tmp_path / "data",
        database={"url": db_url},
        flows={
            "order-release": {
                "owner_team": "warehouse",
                "description": "release confirmed orders to the WMS",
                "slas": [{"name": "wms-ack", "start": "tradelane.order.released.v1",
                          "stop": "tradelane.shipment.picked.v1", "within": "15m"}],
            },
            "settlement": {"mode": "batch", "cron": "0 2 * * *", "owner_team": "finance"},
        },
        flow_runtime={"enabled": False},
    )
    return hub_server(settings)


def open_exc(hub: Any, tenant: str, entity_id: str, **over: Any) -> Any:
    new = NewException(
        tenant=tenant, type=over.pop("type", "short_shipped"), severity="medium", entity_kind="shipment",
        entity_id=entity_id, owner_team=over.pop("owner_team", "warehouse"), summary=f"short pick on {entity_id}",
        dedupe_key=f"short:{entity_id}", links={"hub_ids": ["evt_1"], "correlation_id": "corr-1"}, **over,
    )
    view, _created = hub.call(hub.hub.flows.exceptions.open(new))
    return view


def auth(hub: Any, tenant: str | None, *scopes: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {hub.key(tenant, scopes or ('events:read', 'events:write'))}"}


def test_exception_lifecycle_and_problems(hub: Any) -> None:
    base = hub.base_url
    x = open_exc(hub, "acme", "SHP1")
    h = auth(hub, "acme")
    listed = httpx2.get(f"{base}/v1/exceptions", params={"status": "open", "entity": "shipment/SHP1"}, headers=h)
    assert listed.status_code == 200, listed.text
    [row] = listed.json()["exceptions"]
    assert row["id"] == x.id and row["entity"] == "shipment/SHP1" and row["age_s"] >= 0
    assert row["links"] == {"hub_ids": ["evt_1"], "correlation_id": "corr-1"}
    assert httpx2.get(f"{base}/v1/exceptions", params={"owner": "finance"}, headers=h).json()["exceptions"] == []

    ack = httpx2.post(f"{base}/v1/exceptions/{x.id}/acknowledge", json={"note": "on it"}, headers=h)
    assert ack.status_code == 200 and ack.json()["status"] == "acknowledged"
    again = httpx2.post(f"{base}/v1/exceptions/{x.id}/acknowledge", json={}, headers=h)
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert "acknowledged" in again.json()["detail"]

    no_note = httpx2.post(f"{base}/v1/exceptions/{x.id}/resolve", json={}, headers=h)
    assert no_note.status_code == 422
    assert [e["path"] for e in no_note.json()["errors"]] == ["body.note"]
    extra = httpx2.post(f"{base}/v1/exceptions/{x.id}/resolve", json={"note": "x", "status": "open"}, headers=h)
    assert extra.status_code == 422 and [e["path"] for e in extra.json()["errors"]] == ["body.status"]
    bad_status = httpx2.get(f"{base}/v1/exceptions", params={"status": "closed"}, headers=h)
    assert bad_status.status_code == 422 and bad_status.json()["errors"][0]["path"] == "query.status"
    bad_entity = httpx2.get(f"{base}/v1/exceptions", params={"entity": "SHP1"}, headers=h)
    assert bad_entity.status_code == 422 and bad_entity.json()["errors"][0]["path"] == "query.entity"

    done = httpx2.post(f"{base}/v1/exceptions/{x.id}/resolve", json={"note": "re-picked"}, headers=h)
    assert done.status_code == 200
    body = done.json()
    assert body["status"] == "resolved" and body["resolution"] == "re-picked" and body["resolved_at"]
    assert [(s["action"], s["from_status"], s["to_status"], s["note"]) for s in body["history"]] == [
        ("opened", None, "open", None),
        ("acknowledge", "open", "acknowledged", "on it"),
        ("resolve", "acknowledged", "resolved", "re-picked"),
    ]
    assert body["history"][1]["actor"].startswith("api:")
    assert httpx2.post(f"{base}/v1/exceptions/{x.id}/resolve", json={"note": "again"}, headers=h).status_code == 409
    # resolved: the same breach may open again, as a new exception
    y = open_exc(hub, "acme", "SHP1")
    assert y.id != x.id
    reader = auth(hub, "acme", "events:read")
    assert httpx2.post(f"{base}/v1/exceptions/{y.id}/acknowledge", json={}, headers=reader).status_code == 403
    assert httpx2.get(f"{base}/v1/exceptions").status_code == 401


def test_a_tenant_never_sees_another_tenants_exceptions(hub: Any) -> None:
    base = hub.base_url
    a = open_exc(hub, "acme", "SHP-A")
    b = open_exc(hub, "globex", "SHP-B")
    ha, hb = auth(hub, "acme"), auth(hub, "globex")
    ids_a = [r["id"] for r in httpx2.get(f"{base}/v1/exceptions", headers=ha).json()["exceptions"]]
    ids_b = [r["id"] for r in httpx2.get(f"{base}/v1/exceptions", headers=hb).json()["exceptions"]]
    assert ids_a == [a.id] and ids_b == [b.id]
    assert httpx2.get(f"{base}/v1/exceptions/{b.id}", headers=ha).status_code == 404
    for action, body in (("acknowledge", {}), ("resolve", {"note": "not mine"})):
        r = httpx2.post(f"{base}/v1/exceptions/{b.id}/{action}", json=body, headers=ha)
        assert r.status_code == 404
    assert hub.call(hub.hub.flows.exceptions.get(b.id, None)).status == "open"
    admin = auth(hub, None, "admin")
    every = [r["id"] for r in httpx2.get(f"{base}/v1/exceptions", headers=admin).json()["exceptions"]]
    assert sorted(every) == sorted([a.id, b.id])


def test_conflicts_list_accept_reject(hub: Any) -> None:
    base = hub.base_url
    matrix = OwnershipMatrix.from_config(
        {"entities": {"order": {"fields": {"promised_delivery_at": "odoo", "carrier_id": ["tms"]}}}}
    )
    split = split_update(
        matrix, "order", "SO042", SystemRef("acme-wms", "wms"),
        {"promised_delivery_at": "2026-11-30", "carrier_id": "DHL"},
        {"promised_delivery_at": "2026-12-02", "carrier_id": "UPS"},
    )
    recorded = hub.call(hub.hub.flows.conflicts.record("acme", split, event_id="evt_42"))
    again = hub.call(hub.hub.flows.conflicts.record("acme", split, event_id="evt_42"))
    assert [c.id for c in again] == [c.id for c in recorded] and len(recorded) == 2
    hub.call(hub.hub.flows.conflicts.record("globex", split, event_id="evt_43"))
    partner, admin = auth(hub, "acme"), auth(hub, None, "admin")
    listed = httpx2.get(f"{base}/v1/conflicts", params={"entity": "order/SO042"}, headers=partner).json()
    rows = {r["field"]: r for r in listed["conflicts"]}
    assert set(rows) == {"promised_delivery_at", "carrier_id"}
    date = rows["promised_delivery_at"]
    assert (date["source"], date["owners"], date["current"], date["proposed"], date["status"]) == (
        "acme-wms", ["odoo"], "2026-11-30", "2026-12-02", "open"
    )
    assert httpx2.post(f"{base}/v1/conflicts/{date['id']}/accept", json={}, headers=partner).status_code == 403
    ok = httpx2.post(f"{base}/v1/conflicts/{date['id']}/accept", json={"note": "customer agreed"}, headers=admin)
    assert ok.status_code == 200, ok.text
    assert ok.json()["status"] == "accepted" and ok.json()["decided_by"].startswith("api:")
    assert ok.json()["apply"] == {"field": "promised_delivery_at", "value": "2026-12-02"}
    rej = httpx2.post(f"{base}/v1/conflicts/{rows['carrier_id']['id']}/reject", json={}, headers=admin)
    assert rej.status_code == 200 and rej.json()["apply"] is None
    twice = httpx2.post(f"{base}/v1/conflicts/{date['id']}/reject", json={}, headers=admin)
    assert twice.status_code == 409 and "accepted" in twice.json()["detail"]
    assert httpx2.post(f"{base}/v1/conflicts/cfl_nope/accept", json={}, headers=admin).status_code == 404
    open_left = httpx2.get(f"{base}/v1/conflicts", params={"status": "open"}, headers=partner).json()
    assert open_left["conflicts"] == []  # globex's conflicts are not acme's
    assert len(httpx2.get(f"{base}/v1/conflicts", params={"status": "open"}, headers=admin).json()["conflicts"]) == 2


def test_sla_timers_and_catalogue(hub: Any) -> None:
    base = hub.base_url
    h = auth(hub, "acme")
    timers = httpx2.get(f"{base}/v1/sla/timers", headers=h)
    assert timers.status_code == 200 and timers.json() == {"timers": [], "next_cursor": None, "counts": {},
                                                            "breaches": 0}
    assert httpx2.get(f"{base}/v1/sla/timers", params={"status": "late"}, headers=h).status_code == 422
    flows = httpx2.get(f"{base}/v1/flows", headers=h).json()["flows"]
    by_name = {f["name"]: f for f in flows}
    assert by_name["settlement"]["mode"] == "batch" and by_name["settlement"]["next_run"].endswith("T02:00:00Z")
    assert by_name["order-release"]["slas"][0]["within"] == "15m"
    assert by_name["order-release"]["next_run"] is None


def test_events_posted_over_http_breach_and_show_per_tenant(db_url: str, tmp_path: Path, hub_server: Any) -> None:
    import time
    import uuid

    from tradelane.core.examples import example

    start = "tradelane.order.released.v1"
    settings = load_settings(
        None,
        data_dir=tmp_path / "data2",
        database={"url": db_url},
        flows={"order-release": {"owner_team": "warehouse", "slas": [
            {"name": "wms-ack", "start": start, "stop": "tradelane.shipment.picked.v1", "within": "15m",
             "key": "data.order_id", "severity": "critical"}]}},
        flow_runtime={"sla_interval_s": 0.05, "settle_s": 0.0},
    )
    hub = hub_server(settings)
    base = hub.base_url
    acme, globex = auth(hub, "acme"), auth(hub, "globex")
    data = example(start)
    released = {"specversion": "1.0", "id": uuid.uuid4().hex, "source": "urn:test:odoo", "type": start,
                "time": "2020-01-01T00:00:00Z", "data": data}
    assert httpx2.post(f"{base}/v1/events", json=released, headers=acme).status_code == 201
    deadline = time.monotonic() + 60
    while True:
        body = httpx2.get(f"{base}/v1/sla/timers", headers=acme).json()
        # the page and the counts are two reads: wait until both show the breach
        if body["breaches"] == 1 and [t["status"] for t in body["timers"]] == ["breached"]:
            break
        assert time.monotonic() < deadline, body
        time.sleep(0.05)
    [t] = body["timers"]
    got = (t["flow"], t["sla"], t["key"], t["status"], t["severity"])
    assert got == ("order-release", "wms-ack", str(data["order_id"]), "breached", "critical"), body
    [x] = httpx2.get(f"{base}/v1/exceptions", params={"type": "sla_breach"}, headers=acme).json()["exceptions"]
    assert x["id"] == t["exception_id"] and x["entity"] == f"order/{data['order_id']}" and x["severity"] == "critical"
    assert httpx2.get(f"{base}/v1/sla/timers", headers=globex).json()["breaches"] == 0
    assert httpx2.get(f"{base}/v1/exceptions", headers=globex).json()["exceptions"] == []

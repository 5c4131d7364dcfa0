"""The business board and the work queues over plain HTTP against the real server: every count links to its
records, exceptions are acknowledged and resolved with notes (and refused when the status does not allow it),
conflicts are accepted or rejected, and a viewer sees everything but can change nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx2
import pytest

from tradelane.ports.flows import ConflictFilter
from tradelane.routing.ownership import Conflict

pytestmark = pytest.mark.e2e


def _client(web: Any) -> httpx2.Client:
    return httpx2.Client(base_url=web.base_url, timeout=30, follow_redirects=False)


@contextmanager
def _signed_in(web: Any, key: str) -> Iterator[httpx2.Client]:
    with _client(web) as c:
        r = c.get("/ui/login")
        m = re.search(r'name="csrf_token" value="([^"]+)"', r.text)
        assert m is not None
        r = c.post("/ui/login", data={"csrf_token": m.group(1), "api_key": key, "next": "/ui"})
        assert r.status_code == 303, r.text
        yield c


def _csrf(c: httpx2.Client, path: str) -> str:
    r = c.get(path)
    assert r.status_code == 200, r.text
    m = re.search(r'"X-CSRF-Token": "([^"]+)"', r.text)
    assert m is not None
    return m.group(1)


def _card(html: str, metric: str) -> int:
    m = re.search(rf'id="biz-{metric}"[^>]*><span class="n">(\d+)</span>', html)
    assert m is not None, metric
    return int(m.group(1))


def _records(html: str) -> list[str]:
    return re.findall(r'<tr data-record="([^"]+)"', html)


def test_business_board_counts_link_to_their_records(web: Any) -> None:
    with _signed_in(web, web.admin_key) as c:
        board = c.get("/ui").text
        expected = {
            "awaiting_release": ["ord_acme_9"],
            "silent": ["shp_acme_1", "shp_globex_1"],
            "past_eta": ["shp_acme_1", "shp_globex_1"],
            "delivered_no_pod": [],
            "pod_no_invoice": ["shp_acme_2"],
            "freight_not_posted": ["shp_acme_1"],
            "sla_breached": ["shp_acme_1", "shp_globex_1"],
        }
        for metric, keys in expected.items():
            assert _card(board, metric) == len(keys), metric
            page = c.get(f"/ui/business/{metric}")
            assert page.status_code == 200
            assert sorted(_records(page.text)) == keys, metric
        # each record links to its trace; the freight charge's reason says why it is not posted
        past = c.get("/ui/business/past_eta").text
        assert 'href="/ui/trace?q=shp_acme_1"' in past and "ETA passed" in past
        assert "no route delivers it" in c.get("/ui/business/freight_not_posted").text
        assert c.get("/ui/business/nonsense").status_code == 404
        # open exceptions by owner and age band, each cell a filtered link
        assert '<tr data-owner="transport">' in board
        cell = re.search(r'href="(/ui/exceptions\?owner=transport&amp;age=[^"]+)" data-age="[^"]+">(\d+)<', board)
        assert cell is not None and cell.group(2) == "2"
        listed = c.get(cell.group(1).replace("&amp;", "&")).text
        assert listed.count('<tr data-exception="') == 2


def test_exception_acknowledge_then_resolve_with_notes(web: Any) -> None:
    hub = web.running.hub
    exc = next(e for e in web.open_exceptions() if e.entity_id == "shp_acme_1")
    with _signed_in(web, web.admin_key) as c:
        token = _csrf(c, f"/ui/exceptions/{exc.id}")
        page = c.get(f"/ui/exceptions/{exc.id}").text
        assert "eta-to-delivery" in page and 'href="/ui/trace?q=shp_acme_1"' in page
        # no CSRF token: refused, nothing changes
        assert c.post(f"/ui/exceptions/{exc.id}/acknowledge", data={"note": "x"}).status_code == 403
        r = c.post(f"/ui/exceptions/{exc.id}/acknowledge", data={"csrf_token": token, "note": "calling the carrier"})
        assert r.status_code == 303 and r.headers["location"] == f"/ui/exceptions/{exc.id}"
        # a second acknowledgement is not allowed from "acknowledged"
        again = c.post(f"/ui/exceptions/{exc.id}/acknowledge", data={"csrf_token": token})
        assert again.status_code == 409
        # resolving needs a note, and a note longer than the limit names the field
        empty = c.post(f"/ui/exceptions/{exc.id}/resolve", data={"csrf_token": token, "note": "  "})
        assert empty.status_code == 400 and "note:" in empty.text
        long = c.post(f"/ui/exceptions/{exc.id}/resolve", data={"csrf_token": token, "note": "x" * 2001})
        assert long.status_code == 400 and "note: at most 2000" in long.text
        stored = web.running.call(hub.flows.exceptions.get(exc.id, None))
        assert stored.status == "acknowledged"
        done = c.post(f"/ui/exceptions/{exc.id}/resolve",
                      data={"csrf_token": token, "note": "carrier confirmed delivery for tomorrow"})
        assert done.status_code == 303
        page = c.get(f"/ui/exceptions/{exc.id}").text
        assert 'id="exception-status">resolved<' in page
        assert "carrier confirmed delivery for tomorrow" in page and "calling the carrier" in page
        assert 'id="resolve"' not in page  # nothing left to do
        assert c.post(f"/ui/exceptions/{exc.id}/resolve", data={"csrf_token": token, "note": "x"}).status_code == 409
        assert c.get("/ui/exceptions/exc_nope").status_code == 404
        # the work queue: unresolved by default, resolved on request
        assert exc.id not in c.get("/ui/exceptions").text
        assert exc.id in c.get("/ui/exceptions?status=resolved").text
        assert c.get("/ui/exceptions?status=lost").status_code == 400
    stored = web.running.call(hub.flows.exceptions.get(exc.id, None))
    assert stored.status == "resolved" and stored.resolution == "carrier confirmed delivery for tomorrow"
    assert [(h["action"], h["note"]) for h in stored.history][-2:] == [
        ("acknowledge", "calling the carrier"), ("resolve", "carrier confirmed delivery for tomorrow")]
    assert all(str(h["actor"]).startswith("web:tl_op_") or str(h["actor"]).startswith("web:")
               for h in stored.history[-2:])
    actions = [a.action for a in web.running.call(hub.audit.read())]
    assert actions.count("exception.acknowledged") == 1 and actions.count("exception.resolved") == 1


def _conflicts(web: Any) -> list[Any]:
    hub = web.running.hub
    return list(web.running.call(hub.flows.conflicts.record("acme", [
        Conflict(entity="order", entity_id="ord_acme_9", field="requested_window.end", source="wms",
                 owners=("odoo",), current="2026-11-18T11:00:00Z", proposed="2026-11-19T11:00:00Z"),
        Conflict(entity="order", entity_id="ord_acme_9", field="ship_to.city", source="tms",
                 owners=("odoo",), current="Köln", proposed="Bonn"),
    ], event_id=None)))


def test_conflicts_accept_and_reject(web: Any) -> None:
    hub = web.running.hub
    window, city = _conflicts(web)
    with _signed_in(web, web.admin_key) as c:
        token = _csrf(c, "/ui/conflicts")
        listed = c.get("/ui/conflicts").text
        assert listed.count('<tr data-conflict="') == 2 and "Bonn" in listed
        r = c.post(f"/ui/conflicts/{window.id}/accept", data={"csrf_token": token, "note": "customer moved it"})
        assert r.status_code == 303
        page = c.get(f"/ui/conflicts/{window.id}").text
        assert 'id="conflict-status">accepted<' in page and "customer moved it" in page
        assert "The proposed value is to be applied" in page
        assert c.post(f"/ui/conflicts/{window.id}/reject", data={"csrf_token": token}).status_code == 409
        assert c.post(f"/ui/conflicts/{city.id}/reject", data={"csrf_token": token}).status_code == 303
        assert c.get("/ui/conflicts").text.count('<tr data-conflict="') == 0
        assert c.get("/ui/conflicts?status=rejected").text.count('<tr data-conflict="') == 1
        assert c.post("/ui/conflicts/cfl_nope/accept", data={"csrf_token": token}).status_code == 404
    rows, _ = web.running.call(hub.flows.conflicts.list(ConflictFilter(), 10))
    assert {r.id: r.status for r in rows} == {window.id: "accepted", city.id: "rejected"}


def test_a_viewer_sees_everything_and_changes_nothing(web: Any) -> None:
    hub = web.running.hub
    (conflict, _) = _conflicts(web)
    exc = web.open_exceptions()[0]
    dead = web.dead()[0]
    with _signed_in(web, web.viewer_key) as c:
        token = _csrf(c, "/ui")
        for path in ("/ui", "/ui/dlq", f"/ui/deliveries/{dead.id}", f"/ui/exceptions/{exc.id}",
                     f"/ui/conflicts/{conflict.id}", "/ui/partners", "/ui/business/past_eta"):
            page = c.get(path)
            assert page.status_code == 200, path
            for button in ('id="replay-one"', 'id="replay-dry-run"', 'id="acknowledge"', 'id="resolve"',
                           'id="accept"', 'class="danger"'):
                assert button not in page.text, (path, button)
        refused = [
            c.post(f"/ui/deliveries/{dead.id}/replay", data={"csrf_token": token}),
            c.post("/ui/dlq/replay", data={"csrf_token": token, "destination": "tms", "confirm": "2"}),
            c.post(f"/ui/exceptions/{exc.id}/acknowledge", data={"csrf_token": token}),
            c.post(f"/ui/exceptions/{exc.id}/resolve", data={"csrf_token": token, "note": "x"}),
            c.post(f"/ui/conflicts/{conflict.id}/accept", data={"csrf_token": token}),
            c.post("/ui/partners/tms/disable", data={"csrf_token": token}),
        ]
        assert [r.status_code for r in refused] == [403] * 6
        assert "viewer access" in refused[0].text
        # signing out is not an action on the hub: a viewer may
        assert c.post("/ui/logout", data={"csrf_token": token}).status_code == 303
    assert len(web.dead()) == 2
    assert web.running.call(hub.flows.exceptions.get(exc.id, None)).status == "open"
    assert web.running.call(hub.flows.conflicts.get(conflict.id, None)).status == "open"
    tms = web.running.call(hub.store.endpoint_states()).get("tms")
    assert tms is None or tms.disabled_at is None


def test_partner_credentials_created_and_rotated_shown_once(web: Any) -> None:
    hub = web.running.hub
    with _signed_in(web, web.admin_key) as c:
        token = _csrf(c, "/ui/credentials")
        bad = c.post("/ui/credentials", data={"csrf_token": token, "name": "", "tenant": "no spaces here",
                                               "scopes": ["admin"]})
        assert bad.status_code == 400
        assert "name: required" in bad.text and "tenant:" in bad.text and "scopes: not allowed here: admin" in bad.text
        # hub-wide scopes and roles are operator-only: refused with a message, never offered, never a 500
        hubwide = c.post("/ui/credentials", data={"csrf_token": token, "name": "x", "tenant": "initech",
                                                  "scopes": ["ops:read", "viewer"]})
        assert hubwide.status_code == 400 and "scopes: not allowed here: ops:read, viewer" in hubwide.text
        assert 'value="ops:read"' not in c.get("/ui/credentials").text
        made = c.post("/ui/credentials", data={"csrf_token": token, "name": "initech wms", "tenant": "initech",
                                                "scopes": ["events:read", "events:write"], "ttl_days": "30"})
        assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
        m = re.search(r'<pre id="new-key">([^<]+)</pre>', made.text)
        assert m is not None
        key = m.group(1)
        # the key works against the API, and is never shown again
        with httpx2.Client(base_url=web.base_url, timeout=30) as api:
            assert api.get("/v1/events", headers={"Authorization": f"Bearer {key}"}).status_code == 200
            assert key not in c.get("/ui/credentials").text
            rec = next(k for k in web.running.call(hub.store.list_api_keys("initech")))
            assert rec.scopes == ("events:read", "events:write") and rec.expires_at is not None
            rotated = c.post(f"/ui/credentials/{rec.key_id}/rotate", data={"csrf_token": token, "overlap_h": "0"})
            assert rotated.status_code == 200
            m2 = re.search(r'<pre id="new-key">([^<]+)</pre>', rotated.text)
            assert m2 is not None and m2.group(1) != key
            assert api.get("/v1/events", headers={"Authorization": f"Bearer {m2.group(1)}"}).status_code == 200
            assert api.get("/v1/events", headers={"Authorization": f"Bearer {key}"}).status_code == 401
        assert c.post(f"/ui/credentials/{rec.key_id}/rotate", data={"csrf_token": token}).status_code == 409
        successor = next(k for k in web.running.call(hub.store.list_api_keys("initech")) if k.key_id != rec.key_id)
        assert c.post(f"/ui/credentials/{successor.key_id}/revoke", data={"csrf_token": token}).status_code == 200
        with httpx2.Client(base_url=web.base_url, timeout=30) as api:
            assert api.get("/v1/events", headers={"Authorization": f"Bearer {m2.group(1)}"}).status_code == 401
        assert 'data-status="revoked"' in c.get("/ui/credentials?tenant=initech").text
        assert c.post("/ui/credentials/tl_pk_nope/rotate", data={"csrf_token": token}).status_code == 404
    actions = [a.action for a in web.running.call(hub.audit.read())]
    assert actions.count("api_key.created") >= 1 and "api_key.rotated" in actions
    # a viewer lists keys but cannot make one
    with _signed_in(web, web.viewer_key) as v:
        token = _csrf(v, "/ui/credentials")
        page = v.get("/ui/credentials").text
        assert "initech" in page and 'id="create-key"' not in page
        refused = v.post("/ui/credentials", data={"csrf_token": token, "name": "x", "tenant": "initech",
                                                   "scopes": ["events:read"]})
        assert refused.status_code == 403


def _chart_total(html: str, chart: str) -> float:
    section = html.split(f'id="chart-{chart}"', 1)[1].split("</section>", 1)[0]
    return sum(float(v) for v in re.findall(r'data-value="([^"]+)"', section))


def test_charts_count_what_the_hub_stored(web: Any) -> None:
    from tradelane.ports.delivery import DeliveryFilter
    from tradelane.ports.store import EventFilter

    hub = web.running.hub
    events = len(web.running.call(hub.store.list_events(EventFilter(), None, 100)).items)
    done = web.running.call(hub.store.count_deliveries(DeliveryFilter(status="done")))
    with _signed_in(web, web.admin_key) as c:
        for window in ("1h", "24h", "7d"):
            page = c.get(f"/ui/charts?window={window}")
            assert page.status_code == 200
            assert _chart_total(page.text, "received") == events == 7
            assert _chart_total(page.text, "delivered") == done == 5
            assert _chart_total(page.text, "sla-breaches") == 2
            assert _chart_total(page.text, "latency-p95") > 0  # every delivery took some time
            assert "<script" not in page.text.split("</head>", 1)[1]  # SVG only, no script
        assert c.get("/ui/charts?window=1y").status_code == 400


def test_freight_is_posted_once_its_carrier_invoice_is_settled(web: Any) -> None:
    from datetime import UTC, datetime

    from tradelane.core.envelope import CloudEvent
    from tradelane.core.examples import example
    from tradelane.ports.flows import NewException

    hub = web.running.hub
    invoice = example("tradelane.carrier_invoice.received.v1")
    invoice["invoice"]["shipment_refs"] = ["shp_acme_1"]
    for charge in invoice["invoice"]["charges"]:
        charge["shipment_id"] = "shp_acme_1"
    ev = CloudEvent(id="inv-1", source="urn:test:carrier", type="tradelane.carrier_invoice.received.v1",
                    data=invoice).to_wire()
    with httpx2.Client(base_url=web.base_url, timeout=30) as api:
        r = api.post("/v1/events", json=ev, headers={"Authorization": f"Bearer {web.acme_partner}"})
        assert r.status_code == 201, r.text
    number = invoice["invoice"]["invoice_number"]
    with _signed_in(web, web.admin_key) as c:
        page = c.get("/ui/business/freight_not_posted").text
        assert _records(page) == ["shp_acme_1"] and f"invoice {number} awaits the settlement run" in page
        # the settlement run finished after the invoice arrived: the vendor bill is posted
        now = datetime.now(UTC)
        assert web.running.call(hub.flows.store.claim_job_run("freight-audit", now, "test", now))
        web.running.call(hub.flows.store.finish_job_run("freight-audit", now, "done", {"bills_posted": 1},
                                                        datetime.now(UTC)))
        assert _records(c.get("/ui/business/freight_not_posted").text) == []
        # … unless settlement found the invoice wrong: then the open exception says why
        web.running.call(hub.flows.exceptions.open(NewException(
            tenant="acme", type="invoice_mismatch", severity="medium", entity_kind="carrier_invoice",
            entity_id=number, owner_team="finance", summary=f"carrier invoice {number}: mismatch")))
        page = c.get("/ui/business/freight_not_posted").text
        assert _records(page) == ["shp_acme_1"] and f"invoice {number}: invoice_mismatch exception open" in page
        assert _card(c.get("/ui").text, "pod_no_invoice") == 1  # shp_acme_2 is still not invoiced

"""The web layer over plain HTTP (httpx against the real server): sign-in, cookie attributes, CSRF refusal,
forged and expired cookies, wrong role, revoked keys, tenancy and pricing in the portal."""

from __future__ import annotations

import base64
import re
import time
from datetime import UTC, datetime
from typing import Any

import httpx2
import orjson
import pytest

from tradelane.ports.delivery import DeliveryFilter
from tradelane.web.common import sri
from tradelane.web.session import SESSION_COOKIE, SessionCodec

pytestmark = pytest.mark.e2e


def _client(web: Any) -> httpx2.Client:
    return httpx2.Client(base_url=web.base_url, timeout=30, follow_redirects=False)


def _login_token(c: httpx2.Client, area: str) -> str:
    r = c.get(f"/{area}/login")
    assert r.status_code == 200
    m = re.search(r'name="csrf_token" value="([^"]+)"', r.text)
    assert m is not None
    assert c.cookies.get("tl_login_csrf") == m.group(1)
    return m.group(1)


def _sign_in(c: httpx2.Client, area: str, key: str, next_url: str = "") -> httpx2.Response:
    token = _login_token(c, area)
    return c.post(f"/{area}/login", data={"csrf_token": token, "api_key": key, "next": next_url})


def _page_csrf(c: httpx2.Client, path: str) -> str:
    r = c.get(path)
    assert r.status_code == 200, r.text
    m = re.search(r'"X-CSRF-Token": "([^"]+)"', r.text)
    assert m is not None
    return m.group(1)


def _disabled(web: Any, name: str) -> bool:
    st = web.running.call(web.running.hub.store.endpoint_states()).get(name)
    return bool(st and st.disabled_at)


def test_no_session_redirects_to_sign_in_and_sign_in_sets_a_safe_cookie(web: Any) -> None:
    with _client(web) as c:
        r = c.get("/ui/dlq?destination=tms")
        assert r.status_code == 303
        assert r.headers["location"] == "/ui/login?next=%2Fui%2Fdlq%3Fdestination%3Dtms"
        assert c.get("/portal").headers["location"].startswith("/portal/login")
        # htmx requests are told where to go instead of following a redirect
        hx = c.get("/ui/partners", headers={"HX-Request": "true"})
        assert hx.headers["HX-Redirect"].startswith("/ui/login")

        r = _sign_in(c, "ui", web.admin_key, "/ui/dlq?destination=tms")
        assert r.status_code == 303 and r.headers["location"] == "/ui/dlq?destination=tms"
        cookie = next(v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith(SESSION_COOKIE))
        attrs = {a.strip().split("=")[0].lower() for a in cookie.split(";")}
        assert {"httponly", "path", "max-age"} <= attrs
        assert "samesite=lax" in cookie.lower()
        assert web.admin_key not in cookie
        page = c.get("/ui")
        assert page.status_code == 200 and "Dead letters per endpoint" in page.text
        assert page.headers["cache-control"] == "no-store"


def test_sign_in_refuses_bad_keys_missing_csrf_and_open_redirects(web: Any) -> None:
    with _client(web) as c:
        # no double-submit cookie / mismatching token: refused before the key is looked at
        r = c.post("/ui/login", data={"csrf_token": "x", "api_key": web.admin_key})
        assert r.status_code == 403 and "CSRF" in r.text
        _login_token(c, "ui")
        r = c.post("/ui/login", data={"csrf_token": "not-the-cookie", "api_key": web.admin_key})
        assert r.status_code == 403 and SESSION_COOKIE not in c.cookies
        # a malformed key, a well-formed unknown one, an empty field
        assert _sign_in(c, "ui", "tl_op_nonsense").status_code == 401
        forged = web.admin_key[:-10] + ("a" if web.admin_key[-10] != "a" else "b") + web.admin_key[-9:]
        r = _sign_in(c, "ui", forged)
        assert r.status_code == 401 and "API key refused" in r.text
        r = _sign_in(c, "ui", "   ")
        assert r.status_code == 400 and "api_key" in r.text
        # a good key without the role's scope
        r = _sign_in(c, "ui", web.acme_portal)
        assert r.status_code == 403 and "needs an operator key" in r.text
        r = _sign_in(c, "portal", web.admin_key)
        assert r.status_code == 403 and "portal scope" in r.text
        assert _sign_in(c, "portal", web.acme_partner).status_code == 403
        assert SESSION_COOKIE not in c.cookies
        # next= must stay inside the area
        for evil in ("https://evil.example/", "//evil.example/ui", "/uix", "/portal"):
            r = _sign_in(c, "ui", web.admin_key, evil)
            assert r.status_code == 303 and r.headers["location"] == "/ui", evil


def test_every_post_needs_the_session_csrf_token(web: Any) -> None:
    with _client(web) as c:
        assert _sign_in(c, "ui", web.admin_key).status_code == 303
        token = _page_csrf(c, "/ui/partners")
        # missing, wrong, and another session's token: 403, nothing changes
        assert c.post("/ui/partners/tms/disable", data={"reason": "x"}).status_code == 403
        r = c.post("/ui/partners/tms/disable", data={"reason": "x", "csrf_token": "A" * 43})
        assert r.status_code == 403 and "CSRF" in r.text
        with _client(web) as other:
            assert _sign_in(other, "ui", web.admin_key).status_code == 303
            other_token = _page_csrf(other, "/ui/partners")
        assert other_token != token
        assert c.post("/ui/partners/tms/disable", data={"csrf_token": other_token}).status_code == 403
        assert c.post("/ui/dlq/replay", data={"confirm": "2"}).status_code == 403
        assert not _disabled(web, "tms")
        assert len(web.dead()) == 2
        # the right token, as a form field and as htmx's header
        r = c.post("/ui/partners/tms/disable", data={"reason": "maintenance", "csrf_token": token})
        assert r.status_code == 303 and _disabled(web, "tms")
        r = c.post("/ui/partners/tms/enable", headers={"X-CSRF-Token": token, "HX-Request": "true"})
        assert r.status_code == 200 and 'data-endpoint="tms"' in r.text and not _disabled(web, "tms")
        # unknown endpoint: a 404 page
        assert c.post("/ui/partners/nope/disable", data={"csrf_token": token}).status_code == 404
        # sign-out needs the token too, then the cookie is gone
        assert c.post("/ui/logout").status_code == 403
        r = c.post("/ui/logout", data={"csrf_token": token})
        assert r.status_code == 303 and SESSION_COOKIE not in c.cookies
        audit = web.running.call(web.running.hub.audit.read())
        actions = [a.action for a in audit]
        assert actions.count("endpoint.disabled") == 1 and actions.count("endpoint.enabled") == 1


def _cookie_parts(value: str) -> tuple[dict[str, Any], str]:
    body, sig = value.split(".")
    return orjson.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))), sig


def _b64(doc: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(doc)).decode().rstrip("=")


def test_forged_expired_and_foreign_cookies_are_refused(web: Any) -> None:
    hub = web.running.hub
    codec = SessionCodec(hub.settings.resolved_secret_key())
    portal_rec = web.running.call(hub.store.list_api_keys("acme"))
    acme_key_id = next(r.key_id for r in portal_rec if "portal" in r.scopes)
    with _client(web) as c:
        assert _sign_in(c, "portal", web.acme_portal).status_code == 303
        good = c.cookies[SESSION_COOKIE]
        assert c.get("/portal").status_code == 200
    doc, sig = _cookie_parts(good)
    forged = [
        _b64({**doc, "r": "operator"}) + "." + sig,  # role changed, old signature
        _b64({**doc, "t": "globex"}) + "." + sig,  # tenant changed
        good[:-2] + ("AA" if not good.endswith("AA") else "BB"),  # signature changed
        SessionCodec(b"another hub's secret").issue(acme_key_id, "portal", "acme", int(time.time()) + 600)[0],
        codec.issue(acme_key_id, "portal", "acme", int(time.time()) - 1)[0],  # expired
        "garbage",
        "a.b.c",
        "x" * 5000,
    ]
    for value in forged:
        with httpx2.Client(base_url=web.base_url, timeout=30, cookies={SESSION_COOKIE: value}) as c:
            r = c.get("/portal")
            assert r.status_code == 303, value[:40]
            assert r.headers["location"].startswith("/portal/login")
            assert SESSION_COOKIE in r.headers.get("set-cookie", "")  # told to drop it
    # a genuine cookie for an existing key still works when re-issued, so the refusals above were the forgery
    fresh = codec.issue(acme_key_id, "portal", "acme", int(time.time()) + 600)[0]
    with httpx2.Client(base_url=web.base_url, timeout=30, cookies={SESSION_COOKIE: fresh}) as c:
        assert c.get("/portal").status_code == 200


def test_wrong_role_is_403_and_revoking_the_key_ends_the_session(web: Any) -> None:
    with _client(web) as portal, _client(web) as op:
        assert _sign_in(portal, "portal", web.acme_portal).status_code == 303
        r = portal.get("/ui")
        assert r.status_code == 403 and "Wrong role" in r.text
        assert portal.get("/ui/deliveries/x").status_code == 403
        assert _sign_in(op, "ui", web.admin_key).status_code == 303
        r = op.get("/portal")
        assert r.status_code == 403 and "Wrong role" in r.text
        hub = web.running.hub
        acme_id = next(r.key_id for r in web.running.call(hub.store.list_api_keys("acme")) if "portal" in r.scopes)
        assert web.running.call(hub.store.revoke_api_key(acme_id, datetime.now(UTC)))
        r = portal.get("/portal")
        assert r.status_code == 303 and r.headers["location"].startswith("/portal/login")


def test_portal_shows_only_own_tenant_without_pricing(web: Any) -> None:
    with _client(web) as acme, _client(web) as globex:
        assert _sign_in(acme, "portal", web.acme_portal).status_code == 303
        assert _sign_in(globex, "portal", web.globex_portal).status_code == 303
        home = acme.get("/portal")
        assert "shp_acme_1" in home.text and "shp_globex_1" not in home.text
        page = acme.get("/portal/shipments/shp_acme_1")
        assert page.status_code == 200
        assert "departed terminal" in page.text and "Duisburg" in page.text
        # the freight charge event exists for this shipment, but neither it nor any amount is shown
        assert "212.00" not in page.text and "EUR" not in page.text and "freight" not in page.text.lower()
        # globex cannot open acme's shipment: 404, same as a shipment that does not exist
        r = globex.get("/portal/shipments/shp_acme_1")
        assert r.status_code == 404 and "Duisburg" not in r.text
        assert globex.get("/portal/shipments/shp_nope").status_code == 404
        assert globex.get("/portal/shipments/shp_globex_1").status_code == 200


def test_portal_pod_documents_download_for_their_customer_only(web: Any) -> None:
    import hashlib

    from tradelane.core.examples import example

    inline = example("tradelane.shipment.delivered.v1")["pod"]["documents"][0]
    with _client(web) as acme, _client(web) as globex:
        assert _sign_in(acme, "portal", web.acme_portal).status_code == 303
        assert _sign_in(globex, "portal", web.globex_portal).status_code == 303
        page = acme.get("/portal/shipments/shp_acme_2").text
        assert 'href="/portal/documents/0/shp_acme_2"' in page
        assert 'href="https://pod.rhenus.example/cmr/RHN7781934420.pdf"' in page  # kept by the carrier
        r = acme.get("/portal/documents/0/shp_acme_2")
        assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
        assert hashlib.sha256(r.content).hexdigest() == inline["sha256"]
        assert r.headers["content-disposition"] == "attachment; filename*=UTF-8''signature.svg"
        assert r.headers["content-security-policy"].startswith("sandbox")
        assert r.headers["x-content-type-options"] == "nosniff"
        assert acme.get("/portal/documents/1/shp_acme_2").status_code == 404  # only a URL: nothing stored here
        assert acme.get("/portal/documents/7/shp_acme_2").status_code == 404
        # another customer: the same 404 as a shipment that does not exist
        other = globex.get("/portal/documents/0/shp_acme_2")
        assert other.status_code == 404 and "Shipment not found" in other.text and not other.content.startswith(b"<svg")
        # an operator is not a customer
    with _client(web) as op:
        assert _sign_in(op, "ui", web.admin_key).status_code == 303
        assert op.get("/portal/documents/0/shp_acme_2").status_code == 403


def test_dlq_dry_run_then_confirmed_replay_and_filters(web: Any) -> None:
    with _client(web) as c:
        assert _sign_in(c, "ui", web.admin_key).status_code == 303
        token = _page_csrf(c, "/ui/dlq")
        assert c.get("/ui/deliveries?since=yesterday").status_code == 400
        assert c.get("/ui/deliveries?status=lost").status_code == 400
        assert c.get("/ui/deliveries?since=2000-01-01T00:00").text.count('data-delivery="') == 9
        assert c.get("/ui/deliveries?until=2000-01-01T00:00").text.count('data-delivery="') == 0
        assert c.get("/ui/deliveries?status=filtered&route=pod-archive").text.count('data-delivery="') == 2
        listed = c.get("/ui/deliveries?event_type=tradelane.shipment.eta_changed.v1")
        assert listed.text.count('data-delivery="') == 4  # two routes per eta_changed event
        assert c.get("/ui/dlq?destination=wms").text.count('data-delivery="') == 0
        dry = c.post("/ui/dlq/replay", data={"csrf_token": token, "destination": "tms"})
        assert dry.status_code == 200 and 'data-matched="2"' in dry.text
        assert len(web.dead()) == 2  # a dry run changes nothing
        stale = c.post("/ui/dlq/replay", data={"csrf_token": token, "destination": "tms", "confirm": "5"})
        assert stale.status_code == 409 and len(web.dead()) == 2
        web.tms_answer["status"] = None
        # replay one ticked row: the dry run counts only it (a repeated id counts once)
        first = web.dead()[0].id
        picked = {"csrf_token": token, "ids": [first, first], "destination": "tms"}
        dry_one = c.post("/ui/dlq/replay", data=picked)
        assert 'data-matched="1"' in dry_one.text and f'name="ids" value="{first}"' in dry_one.text
        one = c.post("/ui/dlq/replay", data={**picked, "confirm": "1"})
        assert one.status_code == 303 and one.headers["location"] == "/ui/dlq?replayed=1"
        assert [d.id for d in web.dead()] != [first] and len(web.dead()) == 1
        # then the rest by filter, through htmx (which is told where to go instead of being redirected)
        rest = c.post("/ui/dlq/replay", data={"csrf_token": token, "destination": "tms"})
        assert 'data-matched="1"' in rest.text
        done = c.post("/ui/dlq/replay", data={"destination": "tms", "confirm": "1"},
                      headers={"X-CSRF-Token": token, "HX-Request": "true"})
        assert done.status_code == 200 and done.headers["HX-Redirect"] == "/ui/dlq?replayed=1"
        assert c.get("/ui/dlq?replayed=1").text.count("1 deliveries moved back to pending") == 1
        hub = web.running.hub

        def all_done() -> bool:
            n = web.running.call(hub.store.count_deliveries(DeliveryFilter(status="done", destination="tms")))
            return n == 2

        from tradelane.testing.browser import wait_until

        wait_until(all_done, "both replayed deliveries done")
        assert len(web.bad.effects) == 2
        audit = web.running.call(hub.audit.read())
        replayed = [a for a in audit if a.action == "delivery.replayed"]
        assert [a.detail["count"] for a in replayed] == [1, 1]
        assert replayed[0].detail["selected"] is True and replayed[1].detail["filter"] == {"destination": "tms"}
        assert any(a.action == "web.signed_in" and a.detail["role"] == "operator" for a in audit)


def test_trace_by_event_delivery_shipment_and_correlation(web: Any) -> None:
    hub = web.running.hub
    with _client(web) as c:
        assert _sign_in(c, "ui", web.admin_key).status_code == 303
        by_corr = c.get("/ui/trace", params={"q": "order-acme_1"})
        assert by_corr.status_code == 200 and "Matched as correlation: 3 events" in by_corr.text
        by_key = c.get("/ui/trace", params={"q": "shp_globex_1"})
        assert "Matched as shipment: 2 events" in by_key.text and "shp_acme_1" not in by_key.text
        dead = web.dead()[0]
        by_delivery = c.get("/ui/trace", params={"q": dead.id})
        assert "Matched as delivery: 1 event" in by_delivery.text and "dead (HTTP 422)" in by_delivery.text
        by_event = c.get("/ui/trace", params={"q": dead.hub_id})
        assert "Matched as event: 1 event" in by_event.text
        assert by_event.text.count('data-kind="routed"') == 2
        missing = c.get("/ui/trace", params={"q": "shp_nowhere"})
        assert missing.status_code == 404 and "Nothing found" in missing.text
        assert c.get("/ui/trace", params={"q": "x" * 301}).status_code == 400
        assert c.get("/ui/deliveries/dlv_nope").status_code == 404
        page = c.get(f"/ui/deliveries/{dead.id}")
        assert page.status_code == 200 and "422" in page.text
        # a live (not dead) delivery cannot be replayed
        token = _page_csrf(c, "/ui")
        rows, _ = web.running.call(hub.store.list_deliveries(DeliveryFilter(status="done"), 1))
        r = c.post(f"/ui/deliveries/{rows[0].id}/replay", data={"csrf_token": token})
        assert r.status_code == 409


def test_static_assets_and_their_integrity(web: Any) -> None:
    with _client(web) as c:
        js = c.get("/ui/static/htmx.min.js")
        assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
        import hashlib

        assert "sha384-" + base64.b64encode(hashlib.sha384(js.content).digest()).decode() == sri("htmx.min.js")
        assert c.get("/ui/static/../session.py").status_code == 404
        assert c.get("/ui/static/nope.js").status_code == 404
        page = c.get("/ui/login")
        assert sri("htmx.min.js") in page.text

"""The control tower and the portal in a real browser: Playwright driving Debian's Chromium against a real
hub on loopback. Each step leaves a screenshot under ``e2e-artifacts/<test>/``."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tradelane.ports.delivery import DeliveryFilter
from tradelane.testing.browser import Screenshots, chromium_page, wait_until

pytestmark = pytest.mark.e2e


def _sign_in(page: Any, path: str, key: str) -> None:
    page.goto(path)
    expect(page).to_have_url(re.compile(r"/(ui|portal)/login\?next="))
    page.fill("#api_key", key)
    page.click("button[type=submit]")


def test_operator_finds_traces_replays_and_switches_endpoints(web: Any) -> None:
    hub = web.running.hub
    with chromium_page(web.base_url) as page:
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        shot = Screenshots(page, "operator")
        # sign-in: a wrong key is refused on the form, the operator key opens the board
        _sign_in(page, "/ui", "tl_op_wrong")
        expect(page.locator("#login-error")).to_contain_text("API key refused")
        shot("sign-in-refused")
        page.fill("#api_key", web.admin_key)
        page.click("button[type=submit]")
        expect(page).to_have_url(re.compile(r"/ui$"))
        expect(page.locator("#count-dead .n")).to_have_text("2")
        expect(page.locator("[data-dead-for=tms]")).to_have_text("2")
        expect(page.locator("#exceptions-not-connected")).to_be_visible()
        shot("board-with-dead-deliveries")

        # the count links to the filtered DLQ; open one dead delivery and its attempt log
        page.click("[data-dead-for=tms]")
        expect(page).to_have_url(re.compile(r"/ui/dlq\?destination=tms"))
        rows = page.locator("#deliveries tbody tr[data-delivery]")
        expect(rows).to_have_count(2)
        shot("dlq-filtered")
        first = rows.first.get_attribute("data-delivery")
        assert first is not None
        page.click(f"a[href='/ui/deliveries/{first}']")
        expect(page.locator("#delivery-status")).to_have_text("dead")
        expect(page.locator("#attempts")).to_contain_text("422")
        expect(page.locator("#event-json")).to_contain_text("tradelane.shipment.eta_changed.v1")
        shot("dead-delivery")

        # its trace: inbound event, routing to both destinations, the failed attempt
        page.click("#open-trace")
        timeline = page.locator("#timeline")
        expect(timeline.locator("[data-kind=inbound]")).to_have_count(1)
        expect(timeline.locator("[data-kind=routed]")).to_have_count(2)
        expect(timeline).to_contain_text("attempt 1 to tms: dead (HTTP 422)")
        shot("trace-of-delivery")
        # the whole shipment: three events; the milestone was filtered out of the POD archive, with the reason
        page.click("#trace-summary a")
        expect(page.locator("#timeline [data-kind=inbound]")).to_have_count(3)
        expect(page.locator("#timeline [data-kind=filtered]")).to_contain_text("filter: data.event.milestone")
        shot("trace-of-shipment")

        # the partner fixes its endpoint; replay this delivery and watch it become done (htmx polling)
        web.tms_answer["status"] = None
        web.bad.delay_s = 1.5  # slow enough that the page usually sees it pending and polls
        page.goto(f"/ui/deliveries/{first}")
        page.click("#replay-one")
        expect(page.locator("#delivery-status")).to_have_text("done")
        expect(page.locator("#attempts")).to_contain_text("replayed")
        shot("replayed-delivery-done")
        assert len(web.bad.effects) == 1
        web.bad.delay_s = 0.0

        # the other dead letter: dry run count, then confirm
        page.goto("/ui/dlq")
        expect(page.locator("#deliveries tbody tr[data-delivery]")).to_have_count(1)
        page.click("#replay-dry-run")
        expect(page.locator("#replay-count")).to_have_attribute("data-matched", "1")
        # htmx (loaded under the page's CSP, SRI-checked) swapped the count into the page: no navigation
        expect(page).to_have_url(re.compile(r"/ui/dlq$"))
        assert page.evaluate("typeof htmx") == "object"
        shot("dlq-dry-run")
        assert len(web.dead()) == 1  # the dry run changed nothing
        page.click("#replay-confirm-button")
        expect(page.locator("#notice")).to_contain_text("1 deliveries moved back to pending")
        wait_until(lambda: not web.dead() and len(web.bad.effects) == 2, "the second replay to arrive")
        page.goto("/ui")
        expect(page.locator("#count-dead .n")).to_have_text("0")
        shot("board-after-replays")

        # partners: disable tms (confirm dialog), see it on the board, enable it again
        page.on("dialog", lambda d: d.accept())
        page.goto("/ui/partners")
        row = page.locator("tr[data-endpoint=tms]")
        row.locator("input[name=reason]").fill("carrier maintenance window")
        row.locator("button.danger").click()
        expect(page.locator("tr[data-endpoint=tms] [data-state]")).to_have_text("disabled")
        shot("endpoint-disabled")
        states = web.running.call(hub.store.endpoint_states())
        assert states["tms"].disabled_reason == "carrier maintenance window"
        page.goto("/ui")
        expect(page.locator("#troubled-endpoints")).to_contain_text("carrier maintenance window")
        page.goto("/ui/partners")
        page.locator("tr[data-endpoint=tms] button.secondary").click()
        expect(page.locator("tr[data-endpoint=tms] [data-state]")).to_have_text("enabled")
        shot("endpoint-enabled")
        assert web.running.call(hub.store.endpoint_states())["tms"].disabled_at is None

        actions = [a.action for a in web.running.call(hub.audit.read())]
        assert actions.count("delivery.replayed") == 2
        assert "endpoint.disabled" in actions and "endpoint.enabled" in actions
        done = web.running.call(hub.store.count_deliveries(DeliveryFilter(status="done", destination="tms")))
        assert done == 2
        # no script error and no Content-Security-Policy violation on any page; the 401 of the refused sign-in
        # is the only failed load
        assert [e for e in errors if "401" not in e] == []


def test_portal_tracking_and_tenancy(web: Any) -> None:
    with chromium_page(web.base_url) as page:
        shot = Screenshots(page, "portal")
        _sign_in(page, "/portal", web.acme_portal)
        expect(page).to_have_url(re.compile(r"/portal$"))
        shipments = page.locator("#shipments tr[data-shipment]")
        expect(shipments).to_have_count(1)
        expect(shipments.first).to_have_attribute("data-shipment", "shp_acme_1")
        shot("portal-shipments")
        page.click("a[href='/portal/shipments/shp_acme_1']")
        expect(page.locator("#milestones")).to_contain_text("departed terminal")
        expect(page.locator("#milestones")).to_contain_text("Duisburg, DE")
        expect(page.locator("#shipment-eta")).not_to_have_text("–")
        shot("portal-shipment-timeline")
        html = page.content()
        assert "212.00" not in html and "EUR" not in html  # the freight charge never reaches the portal
        # a customer is not an operator
        resp = page.goto("/ui")
        assert resp is not None and resp.status == 403
        expect(page.locator(".error h1")).to_have_text("Wrong role")
        shot("portal-customer-at-control-tower")

    with chromium_page(web.base_url) as page:
        shot = Screenshots(page, "tenancy")
        _sign_in(page, "/portal", web.globex_portal)
        expect(page.locator("#shipments tr[data-shipment]")).to_have_count(1)
        expect(page.locator("#shipments")).not_to_contain_text("shp_acme_1")
        resp = page.goto("/portal/shipments/shp_acme_1")
        assert resp is not None and resp.status == 404
        expect(page.locator(".error h1")).to_have_text("Shipment not found")
        assert "Duisburg" not in page.content()
        shot("other-customers-shipment-404")

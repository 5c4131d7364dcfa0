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
        expect(page.locator("#biz-past_eta .n")).to_have_text("2")
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


def test_operator_finds_a_stuck_shipment_and_resolves_its_exception(web: Any) -> None:
    with chromium_page(web.base_url) as page:
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        shot = Screenshots(page, "stuck-shipment")
        _sign_in(page, "/ui", web.admin_key)
        expect(page).to_have_url(re.compile(r"/ui$"))
        expect(page.locator("#biz-awaiting_release .n")).to_have_text("1")
        expect(page.locator("#biz-pod_no_invoice .n")).to_have_text("1")
        expect(page.locator("#exceptions-by-owner tr[data-owner=transport] [data-all]")).to_have_text("2")
        shot("business-board")

        # in transit past ETA → the two shipments → the trace of acme's, with the failed ETA delivery to tms
        page.click("#biz-past_eta")
        expect(page).to_have_url(re.compile(r"/ui/business/past_eta$"))
        expect(page.locator("#records tr[data-record]")).to_have_count(2)
        expect(page.locator("#records tr[data-record=shp_acme_1]")).to_contain_text("ETA passed")
        shot("shipments-past-eta")
        page.locator("#records tr[data-record=shp_acme_1] a.open-trace").click()
        expect(page).to_have_url(re.compile(r"/ui/trace\?q=shp_acme_1$"))
        timeline = page.locator("#timeline")
        expect(timeline.locator("[data-kind=inbound]")).to_have_count(3)
        expect(timeline).to_contain_text("attempt 1 to tms: dead (HTTP 422)")
        # what is wrong, and why: the board metrics that count it, its exception and its breached SLA timer
        problems = page.locator("#problems")
        expect(problems.locator("[data-board=past_eta]")).to_contain_text("ETA passed")
        expect(problems.locator("[data-board=silent]")).to_contain_text("no update for")
        expect(problems.locator("[data-board=freight_not_posted]")).to_contain_text("no route delivers it")
        expect(problems.locator("li[data-exception]")).to_have_count(1)
        expect(problems.locator("li[data-timer]")).to_contain_text("breached")
        shot("stuck-shipment-trace")

        # its exception: from the board's owner × age table to the record; acknowledge, then resolve
        page.goto("/ui")
        page.locator("#exceptions-by-owner tr[data-owner=transport] [data-all]").click()
        expect(page.locator("#exceptions tr[data-exception]")).to_have_count(2)
        shot("exceptions-of-transport")
        page.locator("#exceptions tr[data-exception]", has_text="shp_acme_1").locator("a").first.click()
        expect(page.locator("#exception-status")).to_have_text("open")
        page.fill("#ack-note", "calling the carrier")
        page.click("#acknowledge")
        expect(page.locator("#exception-status")).to_have_text("acknowledged")
        shot("exception-acknowledged")
        page.fill("#resolve-note", "carrier confirmed delivery for tomorrow; ETA updated")
        page.click("#resolve")
        expect(page.locator("#exception-status")).to_have_text("resolved")
        expect(page.locator("#resolution")).to_have_text("carrier confirmed delivery for tomorrow; ETA updated")
        expect(page.locator("#history")).to_contain_text("calling the carrier")
        shot("exception-resolved")
        page.goto("/ui")
        expect(page.locator("#exceptions-by-owner tr[data-owner=transport] [data-all]")).to_have_text("1")
        shot("board-after-resolve")
        page.click("nav a[href='/ui/charts']")
        expect(page.locator("#chart-received svg rect.bar")).to_have_count(24)
        shot("charts")
        assert len(web.open_exceptions()) == 1
        assert errors == []


def test_portal_tracking_and_tenancy(web: Any) -> None:
    with chromium_page(web.base_url) as page:
        shot = Screenshots(page, "portal")
        _sign_in(page, "/portal", web.acme_portal)
        expect(page).to_have_url(re.compile(r"/portal$"))
        shipments = page.locator("#shipments tr[data-shipment]")
        # acme's two shipments and its order; nothing of globex
        expect(shipments).to_have_count(3)
        expect(page.locator("#shipments tr[data-shipment=shp_acme_1]")).to_have_count(1)
        expect(page.locator("#shipments")).not_to_contain_text("globex")
        shot("portal-shipments")
        # the delivered one: its proof of delivery downloads (the inline signature), the CMR is at the carrier
        page.click("a[href='/portal/shipments/shp_acme_2']")
        expect(page.locator("#shipment-status")).to_have_text("delivered")
        expect(page.locator("#documents li")).to_have_count(2)
        shot("portal-delivered-with-pod")
        with page.expect_download() as got:
            page.click("#documents a[href='/portal/documents/0/shp_acme_2']")
        download = got.value
        assert download.suggested_filename == "signature.svg"
        path = download.path()
        assert path is not None and open(path, "rb").read().startswith(b"<svg")
        page.goto("/portal")
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

"""A partner's own documents posted to ``/v1/hooks/{name}`` of a real hub on loopback (SQLite and PostgreSQL):
signature over the raw body first (401), then the connector's hooks map the document through the partner's
mapping (422 naming field, rule and value; nothing stored), then the normal ingest path — dedupe by webhook
id, the stale-event screen — with the mapping (partner@version and digest) recorded on every stored event.
The WMS simulator posts its signed callbacks straight to the hub."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy import select

from tradelane.api.hooks import XREF_PENDING_PROBLEM, XREF_RETRY_AFTER_S
from tradelane.connectors.wms_rest import WmsRestConnector, WmsRestSettings
from tradelane.core.envelope import CloudEvent
from tradelane.delivery.signing import generate_secret, sign
from tradelane.mapping.loader import load_mapping, parse_xref_seed, template_dir
from tradelane.ports.xref import XrefEntry
from tradelane.security.vault import hub_vault
from tradelane.settings import load_settings
from tradelane.store.tables import secrets as secrets_table
from tradelane.store.xref import SqlXrefStore
from tradelane.testing.simulators import template_xrefs
from tradelane.testing.simulators.wms import WmsSimulator
from tradelane.testing.wait import WAIT_S

#: the name of the native hook secret kept in the vault only
VAULT_SECRET = "TL_TEST_WMS_VAULT_HOOK_SECRET"
SECRET_ENV = {"wms": "TL_TEST_WMS_HOOK_SECRET", "carrier": "TL_TEST_CARRIER_HOOK_SECRET",
              "plain": "TL_TEST_PLAIN_HOOK_SECRET", "yard": "TL_TEST_YARD_HOOK_SECRET"}


def sample(template: str, name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(template_dir(template).joinpath("samples", f"{name}.json").read_text())
    return doc


class Hub:
    def __init__(self, running: Any, secrets: dict[str, str]) -> None:
        self.running = running
        self.base = running.base_url
        self.secrets = secrets
        self.reader = running.key("acme", ("events:read",))

    def post(self, hook: str, doc: Any, *, msg_id: str, secret: str | None = None) -> httpx2.Response:
        body = json.dumps(doc).encode()
        headers = {"content-type": "application/json",
                   **sign([secret or self.secrets[hook]], msg_id, int(time.time()), body)}
        return httpx2.post(f"{self.base}/v1/hooks/{hook}", content=body, headers=headers)

    def events(self, **query: str) -> list[dict[str, Any]]:
        r = httpx2.get(f"{self.base}/v1/events", params=query, headers={"authorization": f"Bearer {self.reader}"})
        assert r.status_code == 200, r.text
        items: list[dict[str, Any]] = r.json()["items"]
        return items


@pytest.fixture
def hub(db_url: str, tmp_path: Path, hub_server: Callable[[Any], Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    secrets = {name: generate_secret() for name in SECRET_ENV}
    monkeypatch.delenv(VAULT_SECRET, raising=False)
    for name, env in SECRET_ENV.items():
        monkeypatch.setenv(env, secrets[name])
    settings = load_settings(
        None,
        data_dir=tmp_path / "data",
        database={"url": db_url},
        hooks={
            "wms": {"secrets_env": SECRET_ENV["wms"], "tenant": "acme", "connector": "wms_rest"},
            # the same WMS whose secret lives only in the encrypted vault (nothing in the environment)
            "wms_vault": {"secrets_env": VAULT_SECRET, "tenant": "acme", "connector": "wms_rest"},
            # the same WMS with no patience for a missing cross reference (422 at once)
            "wms_strict": {"secrets_env": SECRET_ENV["wms"], "tenant": "acme", "connector": "wms_rest",
                           "xref_wait_s": 0},
            "carrier": {"secrets_env": SECRET_ENV["carrier"], "tenant": "acme", "connector": "carrier_webhook"},
            "plain": {"secrets_env": SECRET_ENV["plain"], "tenant": "acme"},  # a CloudEvents sender, as before
            "yard": {"secrets_env": SECRET_ENV["yard"], "tenant": "acme", "mapping": "yard"},  # a mapping alone
        },
        staleness={"enabled": True},
    )
    running = hub_server(settings)
    xrefs = SqlXrefStore(running.hub.store.engine)
    for template in ("wms-rest", "carrier-webhook", "yard"):
        text = template_dir(template).joinpath("xref.yaml").read_text()
        for entry in parse_xref_seed(text, tenant="acme", partner=load_mapping(template).partner):
            running.call(xrefs.put(entry))
    yield Hub(running, secrets)


async def test_wms_simulator_callbacks_are_mapped_stored_once_and_carry_their_mapping(hub: Hub) -> None:
    sim = WmsSimulator(secret=hub.secrets["wms"], api_key="k", seed=5, duplicate_callbacks=True,
                       callback_url=f"{hub.base}/v1/hooks/wms")
    await sim.start()
    connector = WmsRestConnector(WmsRestSettings(base_url=sim.url, api_key="k"), template_xrefs("wms-rest"))
    try:
        release = CloudEvent.model_validate(sample("wms-rest", "order_released"))
        await connector.release_order(release)
        await sim.settle()
    finally:
        await connector.aclose()
        await sim.stop()
    assert len(sim.callbacks) == 3 and all(c.statuses[0] == 201 and c.statuses[-1] == 200 for c in sim.callbacks)
    stored = hub.events(partitionkey="shp_so0042_1")
    assert [e["type"] for e in stored] == [
        "tradelane.shipment.picked.v1", "tradelane.shipment.packed.v1", "tradelane.shipment.shipped.v1"]
    ref = load_mapping("wms-rest").ref
    assert all(e["mapping"] == {"ref": "acme-wms@1", "digest": ref.digest} for e in stored)
    assert all(e["source"] == "/partners/acme-wms" and "staleness" not in e for e in stored)
    one = httpx2.get(f"{hub.base}/v1/events/{stored[0]['hubid']}", headers={"authorization": f"Bearer {hub.reader}"})
    assert one.json()["mapping"]["ref"] == "acme-wms@1"


def test_a_bad_signature_is_401_before_anything_is_parsed_or_stored(hub: Hub) -> None:
    r = hub.post("wms", sample("wms-rest", "pick_confirm"), msg_id="msg_bad", secret=generate_secret())
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
    garbage = hub.post("wms", "not even a document", msg_id="msg_bad2", secret=generate_secret())
    assert garbage.status_code == 401
    assert hub.events() == []


def test_an_unmappable_document_is_422_naming_field_rule_and_value_and_stores_nothing(hub: Hub) -> None:
    doc = sample("wms-rest", "pick_confirm")
    doc["lines"][0]["uom"] = "FURLONG"
    doc["deliveryNo"] = "WH/OUT/99999"  # no cross reference for it
    r = hub.post("wms", doc, msg_id="msg_unmappable")
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["mapping"] == "acme-wms@1"
    errors = {(e["path"], e["rule"]): e for e in body["errors"]}
    assert errors[("data.shipment_id", "xref")]["value"] == "WH/OUT/99999"
    unit = errors[("data.lines[0].quantity.unit", "unknown_unit")]
    assert unit["value"] == "FURLONG" and "inbound.pick_confirm.data.lines.fields.quantity.unit" in unit["message"]
    body = b"{not json"
    malformed = httpx2.post(f"{hub.base}/v1/hooks/wms", content=body, headers={
        "content-type": "application/json", **sign([hub.secrets["wms"]], "msg_malformed", int(time.time()), body)})
    assert malformed.status_code == 400 and malformed.headers["content-type"] == "application/problem+json"
    wrong_op = hub.post("wms", {"messageType": "SOMETHING_ELSE"}, msg_id="msg_unknown_type")
    assert wrong_op.status_code == 422 and wrong_op.json()["errors"][0]["rule"] == "operation"
    assert hub.events() == []
    # once fixed, the same webhook id is accepted (a refused message is not remembered)
    ok = hub.post("wms", sample("wms-rest", "pick_confirm"), msg_id="msg_unmappable")
    assert ok.status_code == 201 and len(hub.events()) == 1


def test_carrier_webhooks_take_the_stale_event_rules(hub: Hub) -> None:
    pod = hub.post("carrier", sample("carrier-webhook", "delivery_completed"), msg_id="msg_pod")
    assert pod.status_code == 201
    scans = sample("carrier-webhook", "tracking_updated")  # three scans, all before the POD
    late = hub.post("carrier", scans, msg_id="msg_scans")
    assert late.status_code == 201
    assert [e.get("staleness") for e in late.json()["events"]] == ["late:terminal"] * 3
    scans["deliveryId"] = "whk_resent"  # the carrier re-sends the same scans under a new delivery id
    again = hub.post("carrier", scans, msg_id="msg_scans_resent")
    assert again.status_code == 200 and {e["status"] for e in again.json()["events"]} == {"duplicate"}
    stored = hub.events(partitionkey="shp_so0042_1")
    assert [(e["type"].split(".")[2], e.get("staleness")) for e in stored] == [
        ("delivered", None), ("milestone", "late:terminal"), ("milestone", "late:terminal"),
        ("milestone", "late:terminal")]
    assert all(e["mapping"]["ref"] == "rhenus-tracking@1" for e in stored)
    repeat = hub.post("carrier", sample("carrier-webhook", "delivery_completed"), msg_id="msg_pod")
    assert repeat.status_code == 200  # same webhook id: the inbox answers with the original


def test_a_cloudevents_sender_is_unchanged_and_has_no_mapping(hub: Hub) -> None:
    event = sample("portal", "shipment_milestone")
    r = hub.post("plain", event, msg_id="msg_plain")
    assert r.status_code == 201
    (stored,) = hub.events()
    assert "mapping" not in stored and stored["id"] == event["id"]


def test_a_partner_described_only_by_its_mapping_file(hub: Hub) -> None:
    r = hub.post("yard", sample("yard", "gate_in"), msg_id="msg_gate")
    assert r.status_code == 201, r.text
    (stored,) = hub.events()
    assert stored["type"] == "tradelane.gate.checked_in.v1"
    assert stored["mapping"]["ref"] == str(load_mapping("yard").ref)


def test_a_missing_cross_reference_is_retryable_and_bounded_and_stores_nothing(hub: Hub) -> None:
    doc = sample("wms-rest", "pick_confirm")
    doc["deliveryNo"] = "WH/OUT/00777"  # the flow has not written this delivery number's xref yet
    r = hub.post("wms", doc, msg_id="msg_early")
    assert r.status_code == 503 and r.headers["content-type"] == "application/problem+json"
    assert r.headers["retry-after"] == str(XREF_RETRY_AFTER_S)
    body = r.json()
    assert body["type"] == XREF_PENDING_PROBLEM and body["mapping"] == "acme-wms@1"
    (err,) = body["errors"]
    assert (err["path"], err["rule"], err["kind"], err["value"], err["partner"], err["source"]) == (
        "data.shipment_id", "xref", "shipment", "WH/OUT/00777", "acme-wms", "partner_value")
    assert hub.post("wms", doc, msg_id="msg_early").status_code == 503  # still within hooks.wms.xref_wait_s
    strict = hub.post("wms_strict", doc, msg_id="msg_early", secret=hub.secrets["wms"])
    assert strict.status_code == 422 and strict.json()["errors"][0]["rule"] == "xref"
    assert hub.events() == []
    # once the reference exists the same webhook id maps and is stored
    hub.running.call(SqlXrefStore(hub.running.hub.store.engine).put(
        XrefEntry("acme", "acme-wms", "shipment", "WH/OUT/00777", "shp_so0777_1", 777)))
    ok = hub.post("wms", doc, msg_id="msg_early")
    assert ok.status_code == 201, ok.text
    assert [e["partitionkey"] for e in hub.events()] == ["shp_so0777_1"]


async def test_a_callback_that_beats_its_cross_reference_is_retried_until_the_reference_exists(hub: Hub) -> None:
    """The race of the outbound flow: the WMS answers 202 with a new delivery number and calls back at once;
    the hub writes that number's cross reference only after the 202. The first callback is refused 503, the
    simulator retries after Retry-After, and every callback lands once the reference is written."""
    sim = WmsSimulator(secret=hub.secrets["wms"], api_key="k", seed=5, first_delivery=901,
                       callback_url=f"{hub.base}/v1/hooks/wms")
    await sim.start()
    connector = WmsRestConnector(WmsRestSettings(base_url=sim.url, api_key="k"), template_xrefs("wms-rest"))
    try:
        await connector.release_order(CloudEvent.model_validate(sample("wms-rest", "order_released")))
        (order,) = sim.orders.values()
        assert order.delivery_no == "WH/OUT/00901"
        deadline = time.monotonic() + WAIT_S
        while not (sim.callbacks and 503 in sim.callbacks[0].statuses):  # the callback beat the reference
            assert time.monotonic() < deadline, "the WMS simulator never called back"
            await asyncio.sleep(0.02)
        hub.running.call(SqlXrefStore(hub.running.hub.store.engine).put(
            XrefEntry("acme", "acme-wms", "shipment", order.delivery_no, "shp_so0901_1", 901)))
        await sim.settle()
    finally:
        await connector.aclose()
        await sim.stop()
    assert len(sim.callbacks) == 3 and all(c.delivered for c in sim.callbacks)
    assert sim.callbacks[0].statuses[0] == 503
    stored = hub.events(partitionkey="shp_so0901_1")
    assert [e["type"] for e in stored] == [
        "tradelane.shipment.picked.v1", "tradelane.shipment.packed.v1", "tradelane.shipment.shipped.v1"]


def test_a_native_hook_secret_from_the_vault_verifies_and_never_leaks(hub: Hub, caplog: pytest.LogCaptureFixture) -> None:
    """The hook's secret is sealed in the vault (``tradelane secrets set``), not in the environment: callbacks
    signed with it are taken; the canary appears in no answer, no log line and not in clear in the table."""
    caplog.set_level(logging.DEBUG)
    canary = generate_secret()
    settings = hub.running.hub.settings
    assert VAULT_SECRET not in os.environ
    hub.running.call(hub_vault(settings, hub.running.hub.store).set(VAULT_SECRET, canary))
    answers = [
        hub.post("wms_vault", sample("wms-rest", "pick_confirm"), msg_id="msg_vault_ok", secret=canary),
        hub.post("wms_vault", sample("wms-rest", "pick_confirm"), msg_id="msg_vault_forged", secret=generate_secret()),
        hub.post("wms_vault", {"messageType": "SOMETHING_ELSE"}, msg_id="msg_vault_unknown", secret=canary),
        hub.post("wms_vault", dict(sample("wms-rest", "pick_confirm"), deliveryNo="WH/OUT/00555"),
                 msg_id="msg_vault_early", secret=canary),
    ]
    assert [r.status_code for r in answers] == [201, 401, 422, 503]
    (stored,) = hub.events()
    assert stored["mapping"]["ref"] == "acme-wms@1"
    whsec_key = canary.removeprefix("whsec_")
    for r in answers:
        assert canary not in r.text and whsec_key not in r.text and whsec_key not in str(r.headers)
    logged = caplog.text + " ".join(str(rec.args) for rec in caplog.records)
    assert "msg_vault_early" in logged  # the log is captured (the xref wait is logged) …
    assert canary not in logged and whsec_key not in logged  # … and the secret is not in it
    with hub.running.hub.store.engine.connect() as c:
        (sealed,) = c.execute(select(secrets_table.c.sealed).where(secrets_table.c.name == VAULT_SECRET)).one()
    assert whsec_key.encode() not in (sealed if isinstance(sealed, bytes) else str(sealed).encode())

"""``/v1/xref`` on a real hub (SQLite and PostgreSQL): operators set, read, list and delete cross references;
the mappings of native partner webhooks see them at once; partners may not touch them."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tradelane.delivery.signing import generate_secret, sign
from tradelane.mapping.loader import template_dir
from tradelane.settings import load_settings

SECRET_ENV = "TL_TEST_XREF_CARRIER_SECRET"


@pytest.fixture
def hub(db_url: str, tmp_path: Path, hub_server: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    secret = generate_secret()
    monkeypatch.setenv(SECRET_ENV, secret)
    settings = load_settings(None, data_dir=tmp_path / "data", database={"url": db_url}, hooks={
        "carrier": {"secrets_env": SECRET_ENV, "tenant": "acme", "connector": "carrier_webhook"}})
    running = hub_server(settings)
    running.secret = secret
    return running


def test_operators_manage_cross_references_and_mappings_use_them(hub: Any) -> None:
    admin = {"authorization": f"Bearer {hub.key(None, ('admin',))}"}
    base = f"{hub.base_url}/v1/xref/acme/rhenus-tracking"
    with httpx2.Client(headers=admin) as c:
        assert c.put(f"{base}/shipment/RHN7781934420", json={"canonical_id": "shp_so0042_1", "odoo_id": 118}
                     ).status_code == 200
        put = c.put(f"{base}/shipment/RHN0000000001", json={"canonical_id": "shp_other"})
        assert put.json()["partner_value"] == "RHN0000000001" and put.json()["odoo_id"] is None
        got = c.get(f"{base}/shipment/RHN7781934420").json()
        assert (got["canonical_id"], got["odoo_id"], got["tenant"]) == ("shp_so0042_1", 118, "acme")
        listed = c.get(f"{hub.base_url}/v1/xref/acme", params={"kind": "shipment"}).json()["xref"]
        assert sorted(e["partner_value"] for e in listed) == ["RHN0000000001", "RHN7781934420"]
        assert c.get(f"{hub.base_url}/v1/xref/globex").json() == {"xref": []}

        body = template_dir("carrier-webhook").joinpath("samples", "delivery_completed.json").read_bytes()
        headers = {"content-type": "application/json", **sign([hub.secret], "msg_1", int(time.time()), body)}
        r = httpx2.post(f"{hub.base_url}/v1/hooks/carrier", content=body, headers=headers)
        assert r.status_code == 201, r.text  # the shipment reference resolved through the table

        assert c.delete(f"{base}/shipment/RHN0000000001").status_code == 204
        assert c.delete(f"{base}/shipment/RHN0000000001").status_code == 404
        missing = c.get(f"{base}/shipment/RHN0000000001")
        assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"


def test_bad_input_is_422_and_partners_are_refused(hub: Any) -> None:
    admin = {"authorization": f"Bearer {hub.key(None, ('admin',))}"}
    url = f"{hub.base_url}/v1/xref/acme/p/shipment/X1"
    bad = httpx2.put(url, json={"canonical_id": "", "extra": 1}, headers=admin)
    assert bad.status_code == 422
    assert {e["path"] for e in bad.json()["errors"]} >= {"body.canonical_id", "body.extra"}
    partner = {"authorization": f"Bearer {hub.key('acme', ('events:write', 'events:read'))}"}
    assert httpx2.put(url, json={"canonical_id": "c"}, headers=partner).status_code == 403
    assert httpx2.get(f"{hub.base_url}/v1/xref/acme", headers=partner).status_code == 403
    assert httpx2.get(url, headers=admin).status_code == 404
    assert json.loads(httpx2.get(f"{hub.base_url}/v1/xref/acme", headers=admin).text) == {"xref": []}

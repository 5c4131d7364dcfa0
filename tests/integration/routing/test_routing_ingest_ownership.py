"""The system-of-record matrix at ingest, on a real hub (SQLite and PostgreSQL): a non-owner's change is not
applied — the stored event keeps the owner's value — and becomes a conflict record (source, field, current,
proposed) in the same transaction, listed and decided over the API; an owner's change applies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx2
import pytest

from tradelane.settings import load_settings
from tradelane.testing.delivery import milestone

OWNERSHIP = {
    "default": "allow",
    "entities": {"shipment": {"fields": {"tracking_number": ["acme-tms", "carrier"], "carrier_id": "acme-tms"}}},
}


@pytest.fixture
def hub(db_url: str, tmp_path: Path, hub_server: Any) -> Any:
    return hub_server(load_settings(None, data_dir=tmp_path / "data", database={"url": db_url},
                                    ownership=OWNERSHIP))


def post(hub: Any, tenant: str, ev: Any) -> httpx2.Response:
    return httpx2.post(f"{hub.base_url}/v1/events", json=ev.to_wire(),
                       headers={"authorization": f"Bearer {hub.key(tenant)}"})


def test_a_non_owners_change_becomes_a_conflict_and_the_owners_value_stays(hub: Any) -> None:
    first = post(hub, "acme-tms", milestone(1, "shp_1", 1, tracking_number="TMS-1"))
    assert first.status_code == 201 and "conflicts" not in first.json()
    wms = post(hub, "acme-wms", milestone(2, "shp_1", 2, tracking_number="WMS-GUESS", carrier_id="party_dhl"))
    assert wms.status_code == 201 and wms.json()["conflicts"] == 2
    operator = {"authorization": f"Bearer {hub.key(None, ('operator',))}"}
    stored = httpx2.get(f"{hub.base_url}/v1/events/{wms.json()['hubid']}", headers=operator).json()
    assert stored["data"]["tracking_number"] == "TMS-1" and stored["data"]["carrier_id"] == "party_rhenus"
    assert stored["data"]["event"]["milestone"] == "departed_terminal"  # the rest of the update applies

    listed = httpx2.get(f"{hub.base_url}/v1/conflicts", params={"status": "open"}, headers=operator).json()
    rows = {c["field"]: c for c in listed["conflicts"]}
    assert set(rows) == {"tracking_number", "carrier_id"}
    tn = rows["tracking_number"]
    assert (tn["source"], tn["current"], tn["proposed"], tn["event_id"]) == (
        "acme-wms", "TMS-1", "WMS-GUESS", wms.json()["hubid"])
    assert tn["entity_kind"] == "shipment" and tn["entity_id"] == "shp_1"
    accepted = httpx2.post(f"{hub.base_url}/v1/conflicts/{tn['id']}/accept", json={"note": "WMS is right"},
                           headers=operator)
    assert accepted.status_code == 200 and accepted.json()["apply"] == {"field": "tracking_number",
                                                                        "value": "WMS-GUESS"}
    rejected = httpx2.post(f"{hub.base_url}/v1/conflicts/{rows['carrier_id']['id']}/reject", json={},
                           headers=operator)
    assert rejected.status_code == 200 and rejected.json()["apply"] is None

    # the owner changes its own field: applied, no conflict; the same non-owner repeat stays one conflict
    moved = post(hub, "acme-tms", milestone(3, "shp_1", 3, tracking_number="TMS-2"))
    assert moved.status_code == 201 and "conflicts" not in moved.json()
    again = post(hub, "acme-wms", milestone(4, "shp_1", 4, tracking_number="TMS-2"))
    assert "conflicts" not in again.json()  # proposing the value already held is no change
    open_now = httpx2.get(f"{hub.base_url}/v1/conflicts", params={"status": "open"}, headers=operator).json()
    assert open_now["conflicts"] == []

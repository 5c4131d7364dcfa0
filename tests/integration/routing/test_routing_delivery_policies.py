"""The system-of-record matrix and resequencing end to end on a real hub with its delivery worker and a real
webhook sink on loopback: a destination receives only the fields it may; an ordered route with
``resequence_s`` holds a key for its missing predecessor and delivers in sequence once it arrives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx2

from tradelane.testing.delivery import delivery_settings, milestone
from tradelane.testing.net import free_port
from tradelane.testing.sink import WebhookSink


def post(running: Any, key: str, *events: Any) -> None:
    for ev in events:
        r = httpx2.post(f"{running.base_url}/v1/events", json=ev.to_wire(), headers={"authorization": f"Bearer {key}"})
        assert r.status_code == 201, r.text


def test_each_destination_receives_only_what_it_may(sqlite_url: str, tmp_path: Path, hub_server: Any) -> None:
    portal, tms = WebhookSink(port=free_port()), WebhookSink(port=free_port())
    running = hub_server(delivery_settings(
        tmp_path, sqlite_url,
        {"portal": {"url": portal.url}, "tms": {"url": tms.url}},
        [{"name": "to-portal", "events": ["tradelane.shipment.*"], "destination": "portal"},
         {"name": "to-tms", "events": ["tradelane.shipment.*"], "destination": "tms"}],
        ownership={"receive": {
            "portal": {"shipment": {"allow": ["shipment_id", "tracking_number", "event.milestone",
                                              "event.occurred_at"]}},
            "http": {"shipment": {"deny": ["event.position"]}},  # every webhook endpoint: no GPS fixes
        }},
    ))
    running.call(portal.start())
    running.call(tms.start())
    try:
        post(running, running.key("acme"), milestone(1, "shp_a", 1))
        running.call(portal.wait_for(1))
        running.call(tms.wait_for(1))
        (to_portal,) = portal.effects.values()
        (to_tms,) = tms.effects.values()
        assert to_portal["data"] == {"shipment_id": "shp_so0042_1", "tracking_number": "RHN7781934420",
                                     "event": {"milestone": "departed_terminal",
                                               "occurred_at": "2026-11-17T20:48:00Z"}}
        assert "position" not in to_tms["data"]["event"] and to_tms["data"]["carrier_id"] == "party_rhenus"
        assert to_tms["data"]["event"]["address"]["city"] == "Duisburg"
        stored = httpx2.get(f"{running.base_url}/v1/events", params={"partitionkey": "shp_a"},
                            headers={"authorization": f"Bearer {running.key('acme')}"}).json()["items"]
        assert stored[0]["data"]["event"]["position"] == {"lat": 51.4052, "lon": 6.7116}  # the record is whole
    finally:
        running.call(portal.stop())
        running.call(tms.stop())


def test_an_ordered_route_waits_for_a_missing_predecessor(db_url: str, tmp_path: Path, hub_server: Any) -> None:
    sink = WebhookSink(port=free_port())
    running = hub_server(delivery_settings(
        tmp_path, db_url, {"tms": {"url": sink.url}},
        [{"name": "to-tms", "events": ["tradelane.shipment.*"], "destination": "tms", "ordered": True,
          "resequence_s": 600}],
    ))
    running.call(sink.start())
    try:
        key = running.key("acme")
        post(running, key, milestone(1, "shp_r", 1), milestone(3, "shp_r", 3), milestone(4, "shp_r", 4),
             milestone(1, "shp_other", 1))
        running.call(sink.wait_for(2))  # seq 1 of shp_r and the other key; 3 and 4 wait for 2
        assert sorted((k, s) for k, s, _ in sink.arrivals) == [("shp_other", 1), ("shp_r", 1)]
        post(running, key, milestone(2, "shp_r", 2))
        running.call(sink.wait_for(5))
        assert [s for k, s, _ in sink.arrivals if k == "shp_r"] == [1, 2, 3, 4]
    finally:
        running.call(sink.stop())

"""A partner's answer can quote prices; the attempt excerpt recorded from it must not show them to viewers
(stored stripped, and stripped again by the API for callers without ``pricing:read``)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
import orjson
from sqlalchemy import insert, select

from tradelane.ports.delivery import DeliveryFilter
from tradelane.store.tables import delivery_attempts
from tradelane.testing.delivery import delivery_settings, milestone
from tradelane.testing.net import free_port
from tradelane.testing.wait import wait_until

ANSWER = {"accepted": True, "booking": "BK-1", "total": {"amount": "1250.00", "currency": "EUR"},
          "charges": [{"code": "FSC", "amount": "80.00"}], "quote": {"offered_rate": 9.5, "ref": "Q-1"}}


async def _partner(port: int) -> asyncio.AbstractServer:
    """A partner endpoint that answers every delivery 200 with a body quoting prices."""
    body = orjson.dumps(ANSWER)

    async def conn(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                length = next((int(line.split(":", 1)[1]) for line in head.split("\r\n")
                               if line.lower().startswith("content-length:")), 0)
                await reader.readexactly(length)
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                             + f"content-length: {len(body)}\r\n\r\n".encode() + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(conn, "127.0.0.1", port)


def test_attempt_excerpts_are_recorded_and_shown_without_pricing(db_url: str, tmp_path: Path, hub_server: Any) -> None:
    port = free_port()
    running = hub_server(delivery_settings(
        tmp_path, db_url, {"tms": {"url": f"http://127.0.0.1:{port}/hook"}},
        [{"name": "to-tms", "events": ["*"], "destination": "tms"}],
    ))
    server = running.call(_partner(port))
    try:
        viewer = running.key(None, ("viewer",))
        pricing = running.key(None, ("viewer", "pricing:read"))
        running.call(running.hub.ingest.submit("acme", [milestone(1, "shp_p", 1)]))

        async def done() -> list[Any]:
            return (await running.hub.store.list_deliveries(DeliveryFilter(status="done"), 10))[0]

        delivered = wait_until(lambda: running.call(done()), "the delivery to be done")
        view = running.call(running.hub.store.get_delivery(delivered[0].id))
        stored = orjson.loads(view.attempt_log[0]["response_excerpt"])
        assert stored == {"accepted": True, "booking": "BK-1", "quote": {"ref": "Q-1"}}  # stored stripped

        # a row recorded before excerpts were stripped still leaves the API without its prices for a viewer
        def old_row() -> None:
            with running.hub.store.engine.begin() as c:
                c.execute(insert(delivery_attempts).values(
                    delivery_id=delivered[0].id, attempt=2, fence=1, worker="old", outcome="success",
                    response_excerpt=orjson.dumps(ANSWER).decode(), started_at=datetime.now(UTC), duration_ms=1))
                assert c.execute(select(delivery_attempts.c.response_excerpt)).all()

        old_row()
        with httpx2.Client(base_url=running.base_url, timeout=10) as http:
            seen = http.get(f"/v1/deliveries/{delivered[0].id}", headers={"Authorization": f"Bearer {viewer}"})
            assert seen.status_code == 200, seen.text
            for attempt in seen.json()["attempt_log"]:
                assert "1250.00" not in attempt["response_excerpt"] and "80.00" not in attempt["response_excerpt"]
            full = http.get(f"/v1/deliveries/{delivered[0].id}", headers={"Authorization": f"Bearer {pricing}"})
            assert "1250.00" in full.json()["attempt_log"][-1]["response_excerpt"]  # pricing:read sees the old row
    finally:
        server.close()

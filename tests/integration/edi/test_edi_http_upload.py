"""EDI over HTTP: POST /v1/edi/{partner}/interchanges on a real server and database.

Accepted → events stored once with the 997; the same file again → idempotent replay, nothing new; another
file with the same control number → 409 and the duplicate TA1; a partly bad group → the good set's events
only; a refused interchange → 422 problem+json with located problems and the rejecting acknowledgment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx2
import pytest

from tradelane.settings import load_settings

SAMPLES = Path(__file__).parents[3] / "src" / "tradelane" / "connectors" / "x12" / "samples"


@pytest.fixture
def server(db_url: str, tmp_path: Path, hub_server: Any) -> Any:
    return hub_server(load_settings(None, data_dir=tmp_path / "data", database={"url": db_url}))


def _post(c: httpx2.Client, key: str, partner: str, data: bytes) -> httpx2.Response:
    return c.post(
        f"/v1/edi/{partner}/interchanges",
        content=data,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/edi-x12"},
    )


def test_upload_accepts_once_replays_and_refuses_a_reused_control_number(server: Any) -> None:
    key = server.key("acme", ("events:write", "events:read"))
    data = (SAMPLES / "214_4010_crlf.x12").read_bytes()
    with httpx2.Client(base_url=server.base_url, timeout=20) as c:
        r = _post(c, key, "abf", data)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["status"] == "accepted"
        assert body["control_number"] == "000004711"
        assert body["events"] >= 1 and len(body["hubids"]) == body["events"]
        assert body["ack_kind"] == "997" and body["ack"].startswith("ISA")
        assert "AK9*A" in body["ack"]
        stored = c.get(f"/v1/events/{body['hubids'][0]}", headers={"Authorization": f"Bearer {key}"})
        assert stored.status_code == 200
        assert stored.json()["source"] == "/partners/abf/edi"

        again = _post(c, key, "abf", data)
        assert again.status_code == 200
        assert again.headers.get("Idempotent-Replayed") == "true"
        assert again.json()["ack"] == body["ack"]
        listed = c.get("/v1/events?limit=100", headers={"Authorization": f"Bearer {key}"}).json()
        assert len([e for e in listed["items"] if e["source"] == "/partners/abf/edi"]) == body["events"]

        # another file (one more segment terminator line changes nothing in EDI but the digest) with the
        # same ISA13 is the EDI duplicate case
        changed = data.replace(b"SHP20231105A", b"SHP20231105B")
        dup = _post(c, key, "abf", changed)
        assert dup.status_code == 409, dup.text
        assert dup.json()["status"] == "duplicate"
        assert dup.json()["ack_kind"] == "TA1" and "*025" in dup.json()["ack"]
        assert dup.json()["events"] == 0


def test_refused_and_partly_bad_interchanges(server: Any) -> None:
    key = server.key("acme", ("events:write", "events:read"))
    with httpx2.Client(base_url=server.base_url, timeout=20) as c:
        bad = _post(c, key, "abf", (SAMPLES / "malformed" / "214_iea_control_mismatch.x12").read_bytes())
        assert bad.status_code == 422
        assert bad.headers["content-type"].startswith("application/problem+json")
        doc = bad.json()
        assert doc["status"] == 422 and doc["ack_kind"] == "TA1"
        assert doc["problems"] and doc["problems"][0]["line"] >= 1
        assert "line" in doc["detail"]

        partly = _post(c, key, "abf", (SAMPLES / "malformed" / "214_partly_bad_group.x12").read_bytes())
        assert partly.status_code == 200, partly.text
        p = partly.json()
        assert p["status"] == "partial"
        assert any(not s["accepted"] for s in p["sets"]) and any(s["accepted"] for s in p["sets"])
        assert p["events"] == sum(s["events"] for s in p["sets"] if s["accepted"]) > 0

        wrong = _post(c, key, "swift", (SAMPLES / "214_4010_crlf.x12").read_bytes())
        assert wrong.status_code == 422
        assert wrong.json()["problems"][0]["code"] == "wrong_partner"

        assert _post(c, key, "nobody", b"ISA").status_code == 404
        assert _post(c, key, "abf", b"  ").status_code == 422
        no_scope = server.key("acme", ("events:read",))
        assert _post(c, no_scope, "abf", b"ISA").status_code == 403


def test_configured_partner_file_is_used_and_a_bad_one_is_refused_at_start(
    db_url: str, tmp_path: Path, hub_server: Any
) -> None:
    from tradelane.api.app import create_app
    from tradelane.bootstrap import build_hub
    from tradelane.core.errors import ConfigError

    builtin = (Path(__file__).parents[3] / "src" / "tradelane" / "edi" / "partners.yaml").read_text()
    partners = tmp_path / "partners.yaml"
    partners.write_text(builtin.replace("id: abf\n", "id: abf-freight\n", 1))
    running = hub_server(load_settings(None, data_dir=tmp_path / "data", database={"url": db_url},
                                       edi={"partners_file": str(partners)}))
    key = running.key("acme", ("events:write",))
    with httpx2.Client(base_url=running.base_url, timeout=20) as c:
        assert _post(c, key, "abf-freight", (SAMPLES / "214_4010_crlf.x12").read_bytes()).status_code == 200
        assert _post(c, key, "abf", (SAMPLES / "214_4010_crlf.x12").read_bytes()).status_code == 404

    broken = tmp_path / "broken.yaml"
    broken.write_text("partners:\n  - id: x\n    standard: cobol\n")
    settings = load_settings(None, data_dir=tmp_path / "data2", database={"url": f"sqlite:///{tmp_path / 'b.db'}"},
                             edi={"partners_file": str(broken)})
    with pytest.raises(ConfigError, match="standard"):
        create_app(build_hub(settings))

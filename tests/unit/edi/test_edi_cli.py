"""``tradelane edi parse|render|partners``, run in process through the Typer app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from tradelane.cli.edi import edi_app
from tradelane.connectors.x12 import parse_x12
from tradelane.core.examples import example

runner = CliRunner()


def test_parse_prints_canonical_events(samples: Any) -> None:
    res = runner.invoke(edi_app, ["parse", str(samples.x12 / "214_4010_crlf.x12"), "--partner", "abf"])
    assert res.exit_code == 0, res.output
    events = json.loads(res.stdout)
    assert [e["data"]["event"]["milestone"] for e in events] == ["arrived_at_pickup", "departed", "delivered"]
    assert all(e["specversion"] == "1.0" and e["id"].startswith("edi_") for e in events)


def test_parse_ack_prints_the_acknowledgment(samples: Any) -> None:
    res = runner.invoke(edi_app, ["parse", str(samples.x12 / "214_4010_crlf.x12"), "-p", "abf", "--ack"])
    assert res.exit_code == 0
    ack = parse_x12(res.stdout.strip())
    assert ack.sets[0].set_id == "997" and "AK9*A*2*2*2~" in res.stdout


def test_parse_bad_file_names_line_and_segment_and_fails(samples: Any) -> None:
    path = samples.x12_malformed / "214_partly_bad_group.x12"
    res = runner.invoke(edi_app, ["parse", str(path), "--partner", "abf"])
    assert res.exit_code == 1
    assert len(json.loads(res.stdout)) == 2  # the good set's events are still printed
    assert "line 31, segment 31 (AT7), element 05, set 214 #0002: AT705: invalid date" in res.stderr
    assert "partial: 1 of 2 sets accepted" in res.stderr


def test_parse_report(samples: Any) -> None:
    path = samples.edifact_malformed / "desadv_partly_bad_group.edi"
    res = runner.invoke(edi_app, ["parse", str(path), "--partner", "nw-supplier", "--report"])
    assert res.exit_code == 1
    assert "verdict:        PARTIAL" in res.stdout and "DESADV #ASN2: REFUSED" in res.stdout


def test_parse_unreadable_input(tmp_path: Path) -> None:
    junk = tmp_path / "junk.x12"
    junk.write_bytes(b"ISA*00*short~")
    res = runner.invoke(edi_app, ["parse", str(junk), "--partner", "abf"])
    assert res.exit_code == 1 and "truncated_header" in res.stderr and "line 1" in res.stderr
    res = runner.invoke(edi_app, ["parse", str(tmp_path / "missing.x12"), "--partner", "abf"])
    assert res.exit_code == 2 and "cannot read" in res.stderr
    res = runner.invoke(edi_app, ["parse", str(junk), "--partner", "nobody"])
    assert res.exit_code == 2 and "unknown EDI partner 'nobody'" in res.stderr


def test_render_prints_the_interchange(tmp_path: Path) -> None:
    event = {
        "id": "evt-1",
        "source": "/odoo",
        "type": "tradelane.order.released.v1",
        "time": "2026-11-15T06:00:00Z",
        "data": example("tradelane.order.released.v1"),
    }
    path = tmp_path / "release.json"
    path.write_text(json.dumps(event))
    res = runner.invoke(
        edi_app, ["render", str(path), "--partner", "reno3pl", "--type", "940", "--control-number", "301"]
    )
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("ISA*00*") and "W05*N*SO0042~" in res.stdout
    parsed = parse_x12(res.stdout)
    assert parsed.status.value == "accepted" and parsed.control_number == "000000301"


def test_render_then_parse_back_with_a_partner_file(tmp_path: Path) -> None:
    config = tmp_path / "partners.yaml"
    config.write_text(
        "partners:\n"
        "  - id: rhenus\n"
        "    standard: x12\n"
        "    party_id: party_rhenus\n"
        "    scac: RHNS\n"
        "    currency: EUR\n"
        "    timezone: Europe/Berlin\n"
        "    interchange: {qualifier: ZZ, id: RHENUS}\n"
        "    us: {qualifier: ZZ, id: NOORDZEE}\n"
        "    locations: {RTM: loc_dc_rtm, KLN: loc_cust_cafe_central}\n"
    )
    event = {
        "id": "evt-2",
        "source": "/odoo",
        "type": "tradelane.shipment.tendered.v1",
        "time": "2026-11-15T07:10:00Z",
        "data": example("tradelane.shipment.tendered.v1"),
    }
    (tmp_path / "tender.json").write_text(json.dumps([event]))
    res = runner.invoke(
        edi_app,
        [
            "render",
            str(tmp_path / "tender.json"),
            "-p",
            "rhenus",
            "-t",
            "204",
            "--partner-config",
            str(config),
        ],
    )
    assert res.exit_code == 0, res.output
    (tmp_path / "tender.x12").write_text(res.stdout)
    back = runner.invoke(
        edi_app, ["parse", str(tmp_path / "tender.x12"), "-p", "rhenus", "--partner-config", str(config)]
    )
    assert back.exit_code == 0, back.output
    (tender,) = json.loads(back.stdout)
    assert tender["type"] == "tradelane.shipment.tendered.v1"
    assert tender["data"]["shipment"]["ship_to"]["location_id"] == "loc_cust_cafe_central"


def test_render_errors(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"id": "1", "source": "/x", "type": "tradelane.order.released.v1"}')
    res = runner.invoke(edi_app, ["render", str(path), "-p", "reno3pl", "-t", "940"])
    assert res.exit_code == 1 and "data" in res.stderr  # empty data does not validate: field paths listed
    path.write_text("{not json")
    res = runner.invoke(edi_app, ["render", str(path), "-p", "reno3pl", "-t", "940"])
    assert res.exit_code == 2 and "is not JSON" in res.stderr
    path.write_text('{"id": "", "source": "/x", "type": "t"}')
    res = runner.invoke(edi_app, ["render", str(path), "-p", "reno3pl", "-t", "940"])
    assert res.exit_code == 2 and "event id" in res.stderr


def test_partner_config_errors_point_at_the_key(tmp_path: Path, samples: Any) -> None:
    config = tmp_path / "p.yaml"
    config.write_text("partners:\n  - id: Bad Id\n    standard: x12\n")
    res = runner.invoke(
        edi_app, ["parse", str(samples.x12 / "214_4010_crlf.x12"), "-p", "x", "--partner-config", str(config)]
    )
    assert res.exit_code == 2 and "partners[0]" in res.stderr


def test_partners_lists_builtin_partners() -> None:
    res = runner.invoke(edi_app, ["partners"])
    assert res.exit_code == 0
    lines = res.stdout.splitlines()
    assert any(line.startswith("abf") and "204, 210, 214" in line for line in lines)
    assert any(line.startswith("dhl-freight") and "IFTSTA" in line for line in lines)

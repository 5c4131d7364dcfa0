"""The onboarding templates: every shipped sample maps cleanly with ``tradelane mapping test``, and a broken
sample is reported field by field with exit code 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tradelane.cli.mapping import mapping_app
from tradelane.core.registry import registry
from tradelane.mapping.loader import load_mapping, template_dir, template_names

runner = CliRunner()


def _samples() -> list[tuple[str, str]]:
    return [
        (name, sample.name)
        for name in template_names()
        for sample in sorted(template_dir(name).joinpath("samples").iterdir(), key=lambda p: p.name)
        if sample.name.endswith(".json")
    ]


def _path(name: str, *parts: str) -> str:
    return str(template_dir(name).joinpath(*parts))


def test_every_template_has_samples_for_every_operation() -> None:
    assert len(_samples()) >= 20
    for name in template_names():
        mapping = load_mapping(name)
        covered = set()
        for _, sample in (s for s in _samples() if s[0] == name):
            doc = json.loads(Path(_path(name, "samples", sample)).read_text())
            covered.add(doc["type"] if "specversion" in doc else sample)
        outbound_types = {op.event for op in mapping.outbound.values()}
        assert outbound_types <= covered, f"{name}: an outbound operation has no sample"
        assert len(covered - outbound_types) >= len(mapping.inbound), (
            f"{name}: an inbound operation has no sample"
        )


@pytest.mark.parametrize(("name", "sample"), _samples())
def test_mapping_test_maps_each_template_sample(name: str, sample: str) -> None:
    res = runner.invoke(
        mapping_app,
        ["test", name, _path(name, "samples", sample), "--xref-file", _path(name, "xref.yaml")],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    mapping = load_mapping(name)
    assert out["mapping"] == f"{mapping.partner}@{mapping.version}" and out["digest"] == mapping.ref.digest
    if out["direction"] == "inbound":
        assert out["operation"] in mapping.inbound
        assert out["events"]
        for event in out["events"]:
            typed = registry.typed_envelope(event["type"])
            assert typed is not None
            typed.model_validate(event)  # the printed result is a valid canonical event
            assert event["source"] == f"/partners/{mapping.partner}"
    else:
        assert out["operation"] in mapping.outbound
        assert isinstance(out["document"], dict) and out["document"]


def test_mapping_test_reports_field_rule_and_value_with_exit_code_1(tmp_path: Path) -> None:
    doc = json.loads(Path(_path("wms-rest", "samples", "pack_confirm.json")).read_text())
    doc["packages"][0]["sscc"] = "008712345000000014"  # wrong check digit
    doc["packages"][1]["packageType"] = "BAG"  # not in the packaging table
    doc["packages"][1]["grossWeightLbs"] = "heavy"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    res = runner.invoke(
        mapping_app, ["test", "wms-rest", str(bad), "--xref-file", _path("wms-rest", "xref.yaml")]
    )
    assert res.exit_code == 1
    err = res.stderr
    assert "3 problems mapping pack_confirm with acme-wms@1" in err
    assert "data.handling_units[1].kind  [code_table]  value='BAG'" in err
    assert "data.handling_units[1].weight.value  [convert]  value='heavy'" in err
    assert "data.handling_units[0].sscc  [sscc_check_digit]  value='008712345000000014'" in err
    assert res.stdout == ""


def test_mapping_test_operation_option_and_unreadable_inputs(tmp_path: Path) -> None:
    sample = _path("tms-rest", "samples", "tender_rejected.json")
    xrefs = _path("tms-rest", "xref.yaml")
    res = runner.invoke(
        mapping_app, ["test", "tms-rest", sample, "--xref-file", xrefs, "--operation", "freight_charges"]
    )
    assert res.exit_code == 1
    assert "2 problems mapping freight_charges with globex-tms@1" in res.stderr
    assert "data.charges  [missing]  Field required" in res.stderr
    assert (
        "data.charged_at  [missing]  Field required (from rule inbound.freight_charges.data.charged_at"
        in res.stderr
    )
    res = runner.invoke(mapping_app, ["test", "tms-rest", sample, "--xref-file", xrefs, "-o", "nope"])
    assert res.exit_code == 1 and "no inbound operation 'nope'" in res.stderr
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    res = runner.invoke(mapping_app, ["test", "tms-rest", str(garbage), "--xref-file", xrefs])
    assert res.exit_code == 2 and "cannot read" in res.stderr
    res = runner.invoke(mapping_app, ["test", "no-such-partner", sample, "--xref-file", xrefs])
    assert res.exit_code == 2 and "no mapping for partner 'no-such-partner'" in res.stderr


def test_mapping_test_finds_partner_files_in_the_mappings_dir(tmp_path: Path) -> None:
    text = Path(_path("yard", "mapping.yaml")).read_text().replace("version: 1", "version: 2026.11")
    (tmp_path / "dockflow-yard.yaml").write_text(text)
    res = runner.invoke(
        mapping_app,
        [
            "test",
            "dockflow-yard",
            _path("yard", "samples", "gate_in.json"),
            "--xref-file",
            _path("yard", "xref.yaml"),
            "--mappings-dir",
            str(tmp_path),
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["mapping"] == "dockflow-yard@2026.11"
    gate = out["events"][0]["data"]["gate"]
    assert gate["occurred_at"] == "2026-11-16T12:41:00Z"  # local yard time, Europe/Amsterdam
    assert gate["loaded"] is False and gate["appointment_id"] == "appt_rtm_20261116_07"

"""Onboarding end to end: ``tradelane partner new`` from every template, then ``partner check`` passes (mapping,
config snippet, samples against expected results, the generated contract test run by pytest); a broken sample,
a changed mapping and a broken config make it fail naming the file and the field."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from tradelane.cli.partner import partner_app
from tradelane.mapping.loader import template_names
from tradelane.settings import load_settings

runner = CliRunner()


def new(tmp_path: Path, name: str, template: str) -> Path:
    res = runner.invoke(partner_app, ["new", name, "--template", template, "--dir", str(tmp_path)])
    assert res.exit_code == 0, res.output
    return tmp_path / name


def check(tmp_path: Path, name: str, *extra: str) -> object:
    return runner.invoke(partner_app, ["check", name, "--dir", str(tmp_path), *extra])


@pytest.mark.parametrize("template", template_names())
def test_new_from_each_template_then_check_passes(tmp_path: Path, template: str) -> None:
    name = f"acme-{template}"
    folder = new(tmp_path, name, template)
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert {"mapping.yaml", "xref.yaml", "config.yaml", "credentials.env", "README.md", ".gitignore",
            f"test_partner_contract_{name.replace('-', '_')}.py"} <= files
    samples = {f for f in files if f.startswith("samples/")}
    assert samples and {f.replace("samples/", "expected/") for f in samples} <= files
    assert yaml.safe_load((folder / "mapping.yaml").read_text())["partner"] == name
    credentials = (folder / "credentials.env").read_text()
    assert stat.S_IMODE((folder / "credentials.env").stat().st_mode) == 0o600
    env = name.upper().replace("-", "_")
    assert f"TRADELANE_PARTNER_{env}_WEBHOOK_SECRET=whsec_" in credentials
    settings = load_settings(folder / "config.yaml", data_dir=tmp_path / "data")
    assert settings.hooks[name].secrets_env == f"TRADELANE_PARTNER_{env}_WEBHOOK_SECRET"
    if template != "carrier-webhook":
        assert settings.endpoints[name].url and all(r.destination == name for r in settings.routes)
        assert f"tradelane keys create {name} --tenant {name}" in (folder / "README.md").read_text()
    res = check(tmp_path, name)
    assert res.exit_code == 0, res.output
    assert f"partner {name}: all checks passed" in res.stdout
    assert "✓ config.yaml" in res.stdout and "passed" in res.stdout.split("test_partner_contract")[1]
    inbound = [json.loads(p.read_text()) for p in (folder / "samples").glob("*.json")]
    taken = sum(not (isinstance(d, dict) and "specversion" in d) for d in inbound)
    assert f"✓ config.yaml hooks.{name}: " in res.stdout  # the native hook, built as the hub builds it
    assert f"takes {taken} inbound sample(s)" in res.stdout.split(f"hooks.{name}: ")[1].splitlines()[0]


def test_a_broken_sample_fails_check_naming_the_file_and_field(tmp_path: Path) -> None:
    folder = new(tmp_path, "bad-wms", "wms-rest")
    sample = folder / "samples" / "pick_confirm.json"
    doc = json.loads(sample.read_text())
    doc["lines"][0]["qtyPicked"] = "two dozen"
    sample.write_text(json.dumps(doc))
    res = check(tmp_path, "bad-wms")
    assert res.exit_code == 1
    assert "samples/pick_confirm.json: 1 problem mapping pick_confirm with bad-wms@1" in res.stderr
    assert "data.lines[0].quantity.value  [type]  value='two dozen'" in res.stderr
    assert "partner bad-wms: 1 check(s) failed" in res.stderr


def test_a_changed_result_fails_until_accepted(tmp_path: Path) -> None:
    folder = new(tmp_path, "drift-tms", "tms-rest")
    mapping = folder / "mapping.yaml"
    mapping.write_text(mapping.read_text().replace("CAP: no capacity on the requested date", "CAP: truck full"))
    res = check(tmp_path, "drift-tms")
    assert res.exit_code == 1
    assert "samples/tender_rejected.json: differs from expected/tender_rejected.json at events[0].data.reason" \
        in res.stderr
    res = check(tmp_path, "drift-tms", "--update-expected")
    assert res.exit_code == 0, res.output
    assert json.loads((folder / "expected" / "tender_rejected.json").read_text())["events"][0]["data"][
        "reason"] == "truck full"


def test_the_contract_test_itself_catches_a_drifted_expectation(tmp_path: Path) -> None:
    folder = new(tmp_path, "yard-co", "yard")
    expected = folder / "expected" / "gate_in.json"
    doc = json.loads(expected.read_text())
    doc["events"][0]["data"]["trailer_number"] = "SOMETHING-ELSE"
    expected.write_text(json.dumps(doc))
    from tradelane.cli import partner

    report = partner._Report()
    partner._run_contract(folder, "yard-co", report)
    assert report.failures and "1 failed" in report.failures[0]
    assert any("test_sample_maps_to_its_expected_result[gate_in.json]" in line for line in report.failures)


def test_bad_input_is_refused_with_exit_code_2_and_nothing_written(tmp_path: Path) -> None:
    res = runner.invoke(partner_app, ["new", "Bad Name", "--template", "yard", "--dir", str(tmp_path)])
    assert res.exit_code == 2 and "partner name 'Bad Name'" in res.stderr
    res = runner.invoke(partner_app, ["new", "ok-name", "--template", "sap", "--dir", str(tmp_path)])
    assert res.exit_code == 2 and "--template 'sap': no such template" in res.stderr
    assert list(tmp_path.iterdir()) == []
    new(tmp_path, "twice", "portal")
    res = runner.invoke(partner_app, ["new", "twice", "--template", "portal", "--dir", str(tmp_path)])
    assert res.exit_code == 2 and "already exists" in res.stderr
    res = check(tmp_path, "nobody")
    assert res.exit_code == 2 and "no mapping.yaml" in res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["twice"]  # no staging folder left behind


def test_a_broken_config_snippet_is_reported_with_its_key(tmp_path: Path) -> None:
    folder = new(tmp_path, "cfg-wms", "wms-rest")
    config = folder / "config.yaml"
    config.write_text(config.read_text().replace("destination: cfg-wms", "destination: nowhere"))
    res = check(tmp_path, "cfg-wms", "--no-contract")
    assert res.exit_code == 1
    assert "config.yaml: route 'cfg-wms-release-order' names unknown endpoint 'nowhere'" in res.stderr


def test_a_hook_that_maps_with_another_file_fails_check(tmp_path: Path) -> None:
    folder = new(tmp_path, "hook-wms", "wms-rest")
    config = folder / "config.yaml"
    settings = yaml.safe_load(config.read_text())
    settings["hooks"]["hook-wms"]["mapping"] = "wms-rest"  # the shipped template, not this folder's file
    config.write_text(yaml.safe_dump(settings))
    res = check(tmp_path, "hook-wms", "--no-contract")
    assert res.exit_code == 1
    assert "config.yaml hooks.hook-wms: maps with acme-wms@1 from another file" in res.stderr
    assert "set hooks.hook-wms.mapping to it" in res.stderr


def test_an_onboarded_partner_goes_live_on_a_real_hub(
    tmp_path: Path, db_url: str, hub_server: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``partner new`` → merge config.yaml → load credentials.env → the partner's own webhook documents are
    verified, mapped through *its* mapping file and stored with that mapping recorded."""
    import time

    import httpx2

    from tradelane.delivery.signing import sign
    from tradelane.mapping.loader import load_mapping, parse_xref_seed
    from tradelane.store.xref import SqlXrefStore

    folder = new(tmp_path, "swift-parcel", "carrier-webhook")
    mapping_file = folder / "mapping.yaml"
    mapping_file.write_text(mapping_file.read_text().replace("version: 1", "version: 2", 1))  # a partner edit
    for line in (folder / "credentials.env").read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            monkeypatch.setenv(key, value)
    config = yaml.safe_load((folder / "config.yaml").read_text())
    settings = load_settings(None, data_dir=tmp_path / "data", database={"url": db_url}, **config)
    assert settings.hooks["swift-parcel"].connector == "carrier_webhook"
    running = hub_server(settings)  # type: ignore[operator]
    xrefs = SqlXrefStore(running.hub.store.engine)
    for entry in parse_xref_seed((folder / "xref.yaml").read_text(), tenant="swift-parcel",
                                 partner="swift-parcel"):
        running.call(xrefs.put(entry))
    body = (folder / "samples" / "delivery_completed.json").read_bytes()
    secret = settings.hooks["swift-parcel"].secrets_env
    import os

    headers = {"content-type": "application/json", **sign([os.environ[secret]], "msg_go_live", int(time.time()),
                                                           body)}
    r = httpx2.post(f"{running.base_url}/v1/hooks/swift-parcel", content=body, headers=headers)
    assert r.status_code == 201, r.text
    (accepted,) = r.json()["events"]
    key = running.key("swift-parcel", ("events:read",))
    stored = httpx2.get(f"{running.base_url}/v1/events/{accepted['hubid']}",
                        headers={"authorization": f"Bearer {key}"}).json()
    assert stored["type"] == "tradelane.shipment.delivered.v1" and stored["source"] == "/partners/swift-parcel"
    assert stored["mapping"] == {"ref": "swift-parcel@2", "digest": load_mapping(str(mapping_file)).ref.digest}

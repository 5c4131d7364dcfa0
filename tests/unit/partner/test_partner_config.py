"""The partner sections of the hub config are checked when loaded, naming the key and its line: the
system-of-record matrix, native webhook senders (connector, mapping) and resequencing on routes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradelane.core.errors import ConfigError
from tradelane.routing.ownership import OwnershipMatrix
from tradelane.settings import load_settings

GOOD = """\
ownership:
  default: allow
  entities:
    order:
      keys: {lines: line_id}
      fields:
        lines: odoo
        lines[*].picked_quantity: wms
  receive:
    carrier:
      order: {deny: ["lines[*].unit_price"]}
hooks:
  acme-wms:
    secrets_env: ACME_WMS_SECRET
    tenant: acme
    connector: wms_rest
    mapping: wms-rest
staleness: {enabled: true}
"""


def load(tmp_path: Path, text: str) -> object:
    path = tmp_path / "tradelane.yaml"
    path.write_text(text)
    return load_settings(path, data_dir=tmp_path / "data")


def test_a_good_partner_config_loads(tmp_path: Path) -> None:
    settings = load(tmp_path, GOOD)
    matrix = OwnershipMatrix.from_config(settings.ownership)  # type: ignore[attr-defined]
    assert matrix.owners("order", ("lines", ("line_id", "1"), "picked_quantity")) == {"wms"}
    assert settings.hooks["acme-wms"].connector == "wms_rest"  # type: ignore[attr-defined]
    assert settings.staleness.enabled is True  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("bad", "good", "key", "line"),
    [
        ("default: allow", "default: maybe", "ownership.default", 2),
        ("        lines: odoo", "        lines: []", "ownership.entities.order.fields.lines", None),
        ("    connector: wms_rest", "    connector: sap_wms", "hooks.acme-wms.connector", 16),
        ("    mapping: wms-rest", "    mapping: /nowhere/mapping.yaml", "hooks.acme-wms.mapping", 17),
    ],
)
def test_mistakes_name_the_key(tmp_path: Path, bad: str, good: str, key: str, line: int | None) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, GOOD.replace(bad, good))
    assert info.value.key == key
    if line is not None:
        assert info.value.line == line


def test_resequencing_needs_an_ordered_route(tmp_path: Path) -> None:
    text = """\
endpoints: {tms: {url: "https://tms.example.com/hook"}}
routes:
  - {name: to-tms, events: ["tradelane.shipment.*"], destination: tms, resequence_s: 30}
"""
    with pytest.raises(ConfigError, match="ordered") as info:
        load(tmp_path, text)
    assert info.value.key == "routes.0"
    ok = load(tmp_path, text.replace("resequence_s: 30", "ordered: true, resequence_s: 30"))
    assert ok.routes[0].resequence_s == 30  # type: ignore[attr-defined]

"""Mapping files are checked when loaded: every mistake names its key and line."""

from __future__ import annotations

import textwrap

import pytest

from tradelane.core.errors import ConfigError
from tradelane.mapping.loader import find_mapping, load_mapping, parse_xref_seed, template_names
from tradelane.mapping.spec import Each, Leaf, Obj, parse_mapping

GOOD = """\
partner: p
version: 2
tables:
  status: {A: picked_up}
inbound:
  op:
    event: tradelane.shipment.milestone.v1
    id: id
    data:
      shipment_id: ref
      event:
        milestone: {expr: st, table: status}
        occurred_at: {expr: at, as: datetime}
"""


def _fails(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_mapping(textwrap.dedent(text))
    return info.value


def test_a_good_mapping_compiles_to_nodes() -> None:
    m = parse_mapping(GOOD)
    assert (m.partner, m.version, m.ref.version, m.source) == ("p", "2", "2", "/partners/p")
    op = m.inbound["op"]
    assert isinstance(op.data.fields["shipment_id"], Leaf)
    event = op.data.fields["event"]
    assert isinstance(event, Obj)
    milestone = event.fields["milestone"]
    assert isinstance(milestone, Leaf) and milestone.table == "status"
    assert m.operations == ("op",)
    assert parse_mapping(GOOD).ref.digest == m.ref.digest
    assert parse_mapping(GOOD + "# edited\n").ref.digest != m.ref.digest


def test_each_with_scalar_rules_compiles_to_a_leaf_item() -> None:
    m = parse_mapping(
        textwrap.dedent(
            """
            partner: p
            version: 1
            outbound:
              o:
                event: tradelane.appointment.requested.v1
                document: {loads: {each: appointment.shipment_ids, xref: shipment}}
            """
        )
    )
    doc = m.outbound["o"].document
    assert isinstance(doc, Obj)
    loads = doc.fields["loads"]
    assert isinstance(loads, Each) and isinstance(loads.item, Leaf) and loads.item.xref is not None


@pytest.mark.parametrize(
    ("change", "key", "line", "words"),
    [
        (
            ("table: status}", "table: nope}"),
            "inbound.op.data.event.milestone.table",
            12,
            "unknown code table",
        ),
        (("as: datetime", "as: when"), "inbound.op.data.event.occurred_at.as", 13, "unknown type"),
        (("shipment_id: ref", "shipment_id: 'ref['"), "inbound.op.data.shipment_id", 10, "invalid JMESPath"),
        (("shipment_id: ref", "shipment_idd: ref"), "inbound.op.data.shipment_idd", 10, "not a field"),
        (("milestone.v1", "milestone.v9"), "inbound.op.event", 7, "unknown event type"),
        (("version: 2\n", ""), "version", None, "version is required"),
        (("    id: id\n", ""), "inbound.op", 6, "needs id"),
        (
            ("{expr: st, table: status}", "{expr: st, tabel: status}"),
            "inbound.op.data.event.milestone.tabel",
            12,
            "unknown rule key",
        ),
        (
            ("{expr: at, as: datetime}", "{expr: at, const: 1}"),
            "inbound.op.data.event.occurred_at",
            13,
            "exactly one of expr or const",
        ),
        (("partner: p\n", "partner: p\ntimezone: Mars/Olympus\n"), "timezone", 2, "unknown time zone"),
    ],
)
def test_mistakes_name_key_and_line(change: tuple[str, str], key: str, line: int | None, words: str) -> None:
    text = GOOD.replace(*change)
    with pytest.raises(ConfigError) as info:
        parse_mapping(text)
    assert info.value.key == key
    assert info.value.line == line
    assert words in str(info.value)


def test_structural_mistakes() -> None:
    assert "not valid YAML" in str(_fails("partner: [\n"))
    assert "at least one inbound or outbound" in str(_fails("partner: p\nversion: 1\n"))
    err = _fails(
        """
        partner: p
        version: 1
        outbound:
          o:
            event: tradelane.order.released.v1
            document: {qty: {expr: x, convert: {to: KGX, from: LB}}}
        """
    )
    assert err.key == "outbound.o.document.qty.convert.to" and "unknown unit" in str(err)
    err = _fails(
        """
        partner: p
        version: 1
        tables: {"@mine": {A: b}}
        outbound: {o: {event: tradelane.order.released.v1, document: {a: b}}}
        """
    )
    assert "reserved" in str(err)
    err = _fails(
        """
        partner: p
        version: 1
        outbound: {o: {event: tradelane.order.released.v1, document: {a: {expr: b, xref: {kind: x, to: erp}}}}}
        """
    )
    assert err.key == "outbound.o.document.a.xref.to"


def test_templates_are_found_by_name_and_a_directory_wins(tmp_path: object) -> None:
    from pathlib import Path

    names = template_names()
    assert names == ["carrier-webhook", "portal", "tms-rest", "wms-rest", "yard"]
    for name in names:
        assert load_mapping(name).version == "1"
    directory = Path(str(tmp_path))
    (directory / "wms-rest.yaml").write_text(GOOD)
    assert load_mapping("wms-rest", directory).partner == "p"
    assert str(find_mapping(str(directory / "wms-rest.yaml"))).endswith("wms-rest.yaml")
    with pytest.raises(ConfigError, match="no mapping for partner 'ghost'"):
        load_mapping("ghost", directory)
    (directory / "broken.yaml").write_text(GOOD.replace("as: datetime", "as: when"))
    with pytest.raises(ConfigError, match=r"broken.yaml: unknown type .* \(line 13\)"):
        load_mapping("broken", directory)


def test_xref_seed_files() -> None:
    rows = parse_xref_seed(
        "- {kind: shipment, partner_value: A-1, canonical_id: shp_1, odoo_id: 7}\n", tenant="t", partner="p"
    )
    assert [(r.tenant, r.partner, r.kind, r.partner_value, r.canonical_id, r.odoo_id) for r in rows] == [
        ("t", "p", "shipment", "A-1", "shp_1", 7)
    ]
    with pytest.raises(ConfigError) as info:
        parse_xref_seed("- {kind: shipment, partner_value: A}\n", tenant="t", partner="p")
    assert info.value.key == "[0]"
    with pytest.raises(ConfigError):
        parse_xref_seed("kind: shipment\n", tenant="t", partner="p")

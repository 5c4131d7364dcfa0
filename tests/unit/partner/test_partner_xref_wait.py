"""The retryable-refusal rules of native webhooks: which mapping problems may go away on their own, and how
long one process keeps answering "retry" for one webhook id (an explicit clock, no sleeping)."""

from __future__ import annotations

import textwrap

import pytest

from tradelane.api.hooks import _XrefWaits
from tradelane.core.errors import ConfigError, FieldProblem, MappingError
from tradelane.core.examples import example
from tradelane.mapping import MissingXref, only_missing_xrefs, parse_mapping, to_canonical
from tradelane.testing.xref import InMemoryXrefStore


def test_only_documents_whose_every_problem_is_a_missing_xref_are_retryable() -> None:
    missing = MissingXref("data.shipment_id", "no canonical", "xref", "WH/OUT/1", kind="shipment", partner="p")
    unit = FieldProblem("data.lines[0].quantity.unit", "unknown unit", "unknown_unit", "FURLONG")
    assert only_missing_xrefs([missing]) == [missing]
    assert only_missing_xrefs([missing, unit]) == []  # a real mapping error stays a 422
    assert only_missing_xrefs([]) == []
    assert missing.as_dict()["kind"] == "shipment" and missing.as_dict()["code"] == "xref"


def test_the_wait_counts_from_the_first_refusal_and_memory_is_bounded() -> None:
    waits = _XrefWaits(capacity=2)
    assert waits.waited("a", 100.0) == 0.0
    assert waits.waited("a", 160.0) == 60.0  # the same id again: time since its first refusal
    waits.waited("b", 170.0)
    waits.waited("c", 180.0)  # over capacity: the least recently refused id ("a") is forgotten
    assert set(waits.first) == {"b", "c"}
    assert waits.waited("a", 200.0) == 0.0
    waits.forget("b")
    assert "b" not in waits.first


def _mapping(on_missing: str, where: str = "xref") -> str:
    rule = (f"{{expr: ref, xref: {{kind: shipment, on_missing: {on_missing}}}, required: true}}" if where == "xref"
            else f"{{expr: ref, table: modes, on_missing: {on_missing}}}")
    return textwrap.dedent(f"""
        partner: acme
        version: 1
        kind: wms
        tables:
          modes: {{R: road}}
        inbound:
          picked:
            event: tradelane.shipment.picked.v1
            match: "kind == 'PICK'"
            id: msgId
            data:
              shipment_id: {rule}
              reference: ref
              warehouse_id: {{const: loc_dc_rtm}}
              picked_at: {{expr: at, as: datetime}}
              lines: lines
        """)


async def test_only_a_wait_rule_makes_a_missing_reference_retryable() -> None:
    doc = {"kind": "PICK", "msgId": "m1", "ref": "WH/OUT/1", "at": "2026-11-16T08:00:00+00:00",
           "lines": example("tradelane.shipment.picked.v1")["lines"]}
    with pytest.raises(MappingError) as waiting:
        await to_canonical(parse_mapping(_mapping("wait")), doc, xrefs=InMemoryXrefStore(), tenant="t")
    (problem,) = only_missing_xrefs(waiting.value.problems)
    assert (problem.path, problem.kind, problem.value, problem.partner) == (
        "data.shipment_id", "shipment", "WH/OUT/1", "acme")
    with pytest.raises(MappingError) as failing:
        await to_canonical(parse_mapping(_mapping("error")), doc, xrefs=InMemoryXrefStore(), tenant="t")
    assert [p.code for p in failing.value.problems] == ["xref"]
    assert only_missing_xrefs(failing.value.problems) == []  # a plain xref rule stays a 422


def test_wait_is_for_cross_references_only() -> None:
    with pytest.raises(ConfigError, match="on_missing must be one of error, keep, null"):
        parse_mapping(_mapping("wait", where="table"))

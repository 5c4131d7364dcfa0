"""The system-of-record matrix: non-owners' changes become conflicts, owners' changes apply, destinations
receive only what they may — checked on examples and on random conflicting update streams (hypothesis)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradelane.core.errors import ConfigError
from tradelane.routing.ownership import (
    OwnershipMatrix,
    SystemRef,
    filter_outbound,
    flatten,
    render,
    split_update,
)

CONFIG: dict[str, Any] = {
    "default": "allow",
    "entities": {
        "order": {
            "keys": {"lines": "line_id"},
            "fields": {
                "lines": "odoo",
                "lines[*].picked_quantity": "wms",
                "promised_delivery_at": "odoo",
                "status": ["odoo"],
            },
        },
        "shipment": {
            "fields": {
                "carrier_id": ["tms", "carrier"],
                "tracking_number": ["tms", "carrier"],
                "milestones": ["tms", "carrier"],
            },
        },
    },
    "receive": {
        "carrier": {"order": {"deny": ["lines[*].unit_price", "customer_ref"]}},
        "portal": {"order": {"allow": ["number", "status", "lines[*].quantity", "ship_to.city"]}},
        "acme-carrier": {"order": {"deny": ["ship_to"]}},
    },
}
MATRIX = OwnershipMatrix.from_config(CONFIG)
ODOO = SystemRef("odoo", "odoo")
WMS = SystemRef("acme-wms", "wms")
TMS = SystemRef("globex-tms", "tms")

ORDER: dict[str, Any] = {
    "number": "SO0042",
    "status": "confirmed",
    "promised_delivery_at": "2026-11-18T09:00:00Z",
    "customer_ref": "CC-PO-2291",
    "ship_to": {"line1": "Hohe Straße 118", "city": "Köln", "country": "DE"},
    "lines": [
        {"line_id": "1", "quantity": "24", "picked_quantity": "0", "unit_price": "18.50"},
        {"line_id": "2", "quantity": "2", "picked_quantity": "0", "unit_price": "54.00"},
    ],
}


def test_owner_applies_non_owner_conflicts_equal_values_unchanged() -> None:
    proposed = {
        "lines": [
            {"line_id": "2", "picked_quantity": "2", "quantity": "3"},
            {"line_id": "1", "picked_quantity": "24", "quantity": "24"},
        ],
        "promised_delivery_at": "2026-11-19T09:00:00Z",
        "note": "dock 4",
    }
    split = split_update(MATRIX, "order", "ord_so0042", WMS, ORDER, proposed)
    applied = {".".join(map(str, k)): v for k, v in split.applied.items()}
    assert applied == {
        "lines.('line_id', '2').picked_quantity": "2",
        "lines.('line_id', '1').picked_quantity": "24",
        "note": "dock 4",  # no rule names it; default allow
    }
    assert [(c.field, c.source, c.owners, c.current, c.proposed) for c in split.conflicts] == [
        ("lines[line_id=2].quantity", "acme-wms", ("odoo",), "2", "3"),
        ("promised_delivery_at", "acme-wms", ("odoo",), "2026-11-18T09:00:00Z", "2026-11-19T09:00:00Z"),
    ]
    assert split.unchanged == (("lines", ("line_id", "1"), "quantity"),)
    merged = split.merged(ORDER)
    assert [line["picked_quantity"] for line in merged["lines"]] == ["24", "2"]
    assert [line["quantity"] for line in merged["lines"]] == ["24", "2"]
    assert merged["promised_delivery_at"] == ORDER["promised_delivery_at"] and merged["note"] == "dock 4"
    assert ORDER["lines"][0]["picked_quantity"] == "0"  # current is not modified


def test_owners_by_kind_or_id_and_default_deny() -> None:
    assert MATRIX.may_write(TMS, "shipment", ("carrier_id",))
    assert MATRIX.may_write(SystemRef("rhenus", "carrier"), "shipment", ("tracking_number",))
    assert not MATRIX.may_write(WMS, "shipment", ("carrier_id",))
    assert MATRIX.may_write(WMS, "shipment", ("weight",))
    strict = OwnershipMatrix.from_config({**CONFIG, "default": "deny"})
    assert not strict.may_write(ODOO, "shipment", ("weight",))
    split = split_update(strict, "shipment", "shp_1", ODOO, {}, {"weight": "4"})
    assert split.applied == {} and split.conflicts[0].owners == () and split.conflicts[0].current is None


def test_new_keyed_line_from_owner_is_appended() -> None:
    split = split_update(MATRIX, "order", "o", ODOO, ORDER, {"lines": [{"line_id": "3", "quantity": "5"}]})
    merged = split.merged(ORDER)
    assert merged["lines"][-1] == {"line_id": "3", "quantity": "5"}


def test_outbound_filtering_deny_allow_and_by_id() -> None:
    carrier = filter_outbound(MATRIX, "order", ORDER, SystemRef("dhl", "carrier"))
    assert "customer_ref" not in carrier.document
    assert all("unit_price" not in line for line in carrier.document["lines"])
    assert carrier.document["ship_to"] == ORDER["ship_to"]
    assert set(carrier.removed) == {"customer_ref", "lines[0].unit_price", "lines[1].unit_price"}
    both = filter_outbound(MATRIX, "order", ORDER, SystemRef("acme-carrier", "carrier"))
    assert "ship_to" not in both.document and "customer_ref" not in both.document
    portal = filter_outbound(MATRIX, "order", ORDER, SystemRef("cafe-portal", "portal"))
    assert portal.document == {
        "number": "SO0042",
        "status": "confirmed",
        "ship_to": {"city": "Köln"},
        "lines": [{"quantity": "24"}, {"quantity": "2"}],
    }
    unrestricted = filter_outbound(MATRIX, "order", ORDER, WMS)
    assert unrestricted.document == ORDER and unrestricted.removed == ()
    assert unrestricted.document is not ORDER


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({"default": "maybe"}, "ownership.default"),
        (
            {"entities": {"order": {"fields": {"lines[0]": "odoo"}}}},
            "ownership.entities.order.fields.lines[0]",
        ),
        ({"entities": {"order": {"fields": {"status": []}}}}, "ownership.entities.order.fields.status"),
        ({"receive": {"carrier": {"order": {"hide": ["x"]}}}}, "ownership.receive.carrier.order"),
        ({"owners": {}}, "ownership.owners"),
    ],
)
def test_config_errors_name_the_key(config: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as info:
        OwnershipMatrix.from_config(config)
    assert info.value.key == key


# --- properties ----------------------------------------------------------------------------------------------

SYSTEMS = [ODOO, WMS, TMS, SystemRef("rhenus", "carrier"), SystemRef("cafe-portal", "portal")]
values = st.sampled_from(["a", "b", "c", "1", "2"])
line = st.fixed_dictionaries(
    {"line_id": st.sampled_from(["1", "2", "3"])},
    optional={"quantity": values, "picked_quantity": values, "unit_price": values},
)
lines = st.lists(line, max_size=3, unique_by=lambda x: x["line_id"])
order = st.fixed_dictionaries(
    {},
    optional={
        "status": values,
        "promised_delivery_at": values,
        "note": values,
        "lines": lines,
        "ship_to": st.fixed_dictionaries({}, optional={"city": values, "country": values}),
    },
)
updates = st.lists(st.tuples(st.sampled_from(SYSTEMS), order), max_size=12)


@settings(max_examples=300)
@given(current=order, proposed=order, source=st.sampled_from(SYSTEMS))
def test_every_proposed_field_is_applied_conflicted_or_unchanged(
    current: dict[str, Any], proposed: dict[str, Any], source: SystemRef
) -> None:
    keys = MATRIX.keys_of("order")
    split = split_update(MATRIX, "order", "o", source, current, proposed)
    proposed_paths = set(flatten(proposed, keys))
    conflict_fields = [c.field for c in split.conflicts]
    assert len(split.applied) + len(conflict_fields) + len(split.unchanged) == len(proposed_paths)
    for path in split.applied:
        assert MATRIX.may_write(source, "order", path)
    for conflict in split.conflicts:
        assert conflict.proposed != conflict.current and conflict.source == source.id
    merged = split.merged(current)
    flat_before, flat_after = flatten(current, keys), flatten(merged, keys)
    for path, value in flat_after.items():
        if not MATRIX.may_write(source, "order", path):
            assert flat_before.get(path) == value  # a non-owner never changes an owned field
    # applying again changes nothing
    again = split_update(MATRIX, "order", "o", source, merged, proposed)
    assert again.applied == {}
    assert [c.field for c in again.conflicts] == conflict_fields


@settings(max_examples=200)
@given(initial=order, stream=updates)
def test_conflicting_streams_owned_fields_follow_their_owners_only(
    initial: dict[str, Any], stream: list[tuple[SystemRef, dict[str, Any]]]
) -> None:
    keys = MATRIX.keys_of("order")
    state = copy.deepcopy(initial)
    expected = dict(flatten(initial, keys))
    for source, proposed in stream:
        for path, value in flatten(proposed, keys).items():
            if MATRIX.may_write(source, "order", path):
                expected[path] = value
        state = split_update(MATRIX, "order", "o", source, state, proposed).merged(state)
    final = flatten(state, keys)
    for path, value in expected.items():
        assert final.get(path) == value


@settings(max_examples=200)
@given(initial=order, stream=updates)
def test_screened_events_never_carry_a_non_owners_change(
    initial: dict[str, Any], stream: list[tuple[SystemRef, dict[str, Any]]]
) -> None:
    """What ingest stores for each event (``screen_update``): owned fields changed by a non-owner carry the
    owner's value instead (or are left out), and each such change is exactly one conflict."""
    from tradelane.routing.ownership import screen_update

    keys = MATRIX.keys_of("order")
    document = copy.deepcopy(initial)
    for source, proposed in stream:
        before = flatten(document, keys)
        out = screen_update(MATRIX, "tradelane.order.amended.v1", "o", source, document, proposed)
        accepted = flatten(out.accepted, keys)
        refused = {c.field for c in out.conflicts}
        for path, value in flatten(proposed, keys).items():
            if MATRIX.may_write(source, "order", path) or before.get(path) == value:
                assert accepted[path] == value
            else:
                assert accepted.get(path) == before.get(path)  # the owner's value, or nothing
                assert render(path) in refused
        assert len(refused) == len(out.conflicts)
        document = out.document

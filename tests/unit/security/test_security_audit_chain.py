"""The audit hash chain: building rows, and finding the exact row that was changed, removed or inserted."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradelane.security.audit import (
    GENESIS,
    AuditRecord,
    Checkpoint,
    chain_record,
    find_break,
    normalise_detail,
    row_hash,
    verify,
)

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def build(n: int) -> list[AuditRecord]:
    rows: list[AuditRecord] = []
    for i in range(n):
        rows.append(
            chain_record(
                rows[-1] if rows else None,
                at=T0 + timedelta(seconds=i, microseconds=i),
                actor=f"key:{i % 3}",
                action="api_key.created" if i % 2 else "api_key.revoked",
                tenant="acme" if i % 2 else None,
                target=f"k{i}",
                detail={"n": i, "scopes": ["events:read"], "note": "ünïcode"},
            )
        )
    return rows


def test_chain_links_and_numbers_rows() -> None:
    rows = build(5)
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == GENESIS
    assert all(rows[i].prev_hash == rows[i - 1].hash for i in range(1, 5))
    assert len({r.hash for r in rows}) == 5 and all(len(r.hash) == 64 for r in rows)
    assert verify(rows) is None and find_break(rows) is None
    assert verify([]) is None


def test_hash_is_deterministic_and_covers_every_field() -> None:
    r = build(1)[0]
    fields = {
        "seq": r.seq,
        "at": r.at,
        "actor": r.actor,
        "tenant": r.tenant,
        "action": r.action,
        "target": r.target,
        "detail": r.detail,
    }
    assert row_hash(r.prev_hash, **fields) == r.hash  # type: ignore[arg-type]
    changed = {
        "seq": 2,
        "at": r.at + timedelta(microseconds=1),
        "actor": "key:x",
        "tenant": "globex",
        "action": "api_key.rotated",
        "target": "other",
        "detail": {"n": 1},
    }
    for name, value in changed.items():
        assert row_hash(r.prev_hash, **{**fields, name: value}) != r.hash, name  # type: ignore[arg-type]
    assert row_hash("f" * 64, **fields) != r.hash  # type: ignore[arg-type]


def test_same_instant_in_another_zone_hashes_the_same() -> None:
    r = build(1)[0]
    other_zone = r.at.astimezone(ZoneInfo("Europe/Berlin"))
    assert other_zone.utcoffset() != timedelta(0)
    assert verify([dataclasses.replace(r, at=other_zone)]) is None


@pytest.mark.parametrize("field", ["at", "actor", "tenant", "action", "target", "detail"])
@pytest.mark.parametrize("victim", [1, 4, 8])
def test_a_changed_field_is_found_at_its_row(field: str, victim: int) -> None:
    rows = build(8)
    old = rows[victim - 1]
    new_value = {
        "at": old.at + timedelta(seconds=1),
        "actor": "operator:mallory",
        "tenant": "mallory",
        "action": "nothing.happened",
        "target": "nothing",
        "detail": {**old.detail, "n": -1},
    }[field]
    rows[victim - 1] = dataclasses.replace(old, **{field: new_value})
    broken = find_break(rows)
    assert broken is not None and broken.seq == victim and broken.reason == "hash mismatch"
    assert verify(rows) == victim


def test_rehashed_row_breaks_the_next_link() -> None:
    rows = build(6)
    old = rows[2]
    forged = chain_record(rows[1], at=old.at, actor="operator:mallory", action=old.action, target=old.target)
    rows[2] = forged  # self-consistent, but the next row still points at the old hash
    broken = find_break(rows)
    assert broken is not None and (broken.seq, broken.reason) == (4, "broken link")


def test_deleted_row_is_reported_missing() -> None:
    rows = build(6)
    del rows[3]
    broken = find_break(rows)
    assert broken is not None and (broken.seq, broken.reason) == (4, "missing row")
    first_gone = build(3)[1:]
    assert verify(first_gone) == 1


def test_inserted_or_repeated_rows_are_found() -> None:
    rows = build(5)
    rows.insert(2, rows[1])
    assert verify(rows) == 2
    swapped = build(5)
    swapped[1], swapped[2] = swapped[2], swapped[1]
    assert verify(swapped) == 2


def test_whole_tail_rewrite_is_caught_by_a_checkpoint() -> None:
    rows = build(6)
    checkpoint = Checkpoint(rows[4].seq, rows[4].hash)
    rewritten = rows[:3]
    for r in rows[3:]:
        rewritten.append(
            chain_record(rewritten[-1], at=r.at, actor=r.actor, action="forged", target=r.target)
        )
    assert verify(rewritten) is None  # consistent on its own …
    broken = find_break(rewritten, checkpoint=checkpoint)
    assert broken is not None and (broken.seq, broken.reason) == (5, "checkpoint mismatch")
    truncated = find_break(rows[:4], checkpoint=checkpoint)
    assert truncated is not None and (truncated.seq, truncated.reason) == (5, "truncated")
    assert find_break(rows, checkpoint=checkpoint) is None


def test_suffix_verifies_from_a_trusted_row() -> None:
    rows = build(6)
    start = Checkpoint(rows[2].seq, rows[2].hash)
    assert verify(rows[3:], start=start) is None
    assert verify(rows[4:], start=start) == 4  # row 4 is missing
    assert verify(rows[3:], start=Checkpoint(3, "0" * 64)) == 4


def test_detail_is_normalised_to_what_a_json_column_returns() -> None:
    assert normalise_detail({"t": (1, 2), "n": None}) == {"t": [1, 2], "n": None}
    assert normalise_detail(None) == {}
    with pytest.raises(ValueError):
        normalise_detail({"x": object()})
    with pytest.raises(ValueError):
        normalise_detail({"x": float("nan")})


def test_bad_rows_are_refused_before_hashing() -> None:
    with pytest.raises(ValueError):
        chain_record(None, at=datetime(2026, 1, 1), actor="a", action="b")  # naive
    with pytest.raises(ValueError):
        chain_record(None, at=T0, actor="", action="b")
    with pytest.raises(ValueError):
        chain_record(None, at=T0, actor="a", action="x" * 101)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(min_value=1, max_value=30),
    data=st.data(),
    detail=st.dictionaries(
        st.text(max_size=5), st.one_of(st.integers(), st.text(max_size=8), st.none()), max_size=3
    ),
)
def test_any_single_change_is_found_at_its_row(
    n: int, data: st.DataObject, detail: dict[str, object]
) -> None:
    rows = build(n)
    victim = data.draw(st.integers(min_value=1, max_value=n))
    old = rows[victim - 1]
    changed = dataclasses.replace(old, detail={**detail, "__tampered__": True})
    rows[victim - 1] = changed
    assert verify(rows) == victim


def test_config_fingerprint_names_the_changed_section_and_hides_passwords() -> None:
    from tradelane.security.audit import config_fingerprint
    from tradelane.settings import Settings

    base = config_fingerprint(Settings(api={"max_page_size": 100}))
    changed = config_fingerprint(Settings(api={"max_page_size": 200}))
    assert base["config_sha256"] != changed["config_sha256"]
    assert [k for k in base["sections"] if base["sections"][k] != changed["sections"][k]] == ["api"]
    one = config_fingerprint(Settings(database={"url": "postgresql://tl:first-password@db/tl"}))
    two = config_fingerprint(Settings(database={"url": "postgresql://tl:second-password@db/tl"}))
    assert one == two  # a password never feeds a digest that could be guessed offline
    assert "password" not in str(one)

"""The milestone vocabulary: partner codes map to milestones; progress never goes back past a terminal one."""

from __future__ import annotations

import pytest

from tradelane.core.errors import MappingError
from tradelane.core.milestones import (
    CARRIER_STATUSES,
    MILESTONES,
    X12_STATUS_CODES,
    Milestone,
    advances,
    is_terminal,
    milestone_from_carrier_status,
    milestone_from_x12,
)


@pytest.mark.parametrize(
    ("code", "milestone"),
    [
        ("X3", Milestone.ARRIVED_AT_PICKUP),
        ("AF", Milestone.DEPARTED),
        ("X1", Milestone.ARRIVED),
        ("D1", Milestone.DELIVERED),
        ("AG", Milestone.ETA_CHANGED),
        ("X6", Milestone.IN_TRANSIT),
        ("SD", Milestone.DELAYED),
        ("A9", Milestone.EXCEPTION),
        ("AP", Milestone.DELIVERY_ATTEMPTED),
        ("CA", Milestone.CANCELLED),
        ("X4", Milestone.ARRIVED_AT_TERMINAL),
        ("P1", Milestone.DEPARTED_TERMINAL),
        (" d1 ", Milestone.DELIVERED),
    ],
)
def test_x12_214_status_codes(code: str, milestone: Milestone) -> None:
    assert milestone_from_x12(code) is milestone


def test_x12_codes_are_two_characters() -> None:
    assert all(len(code) == 2 and code.isalnum() and code == code.upper() for code in X12_STATUS_CODES)


def test_unknown_x12_code_is_a_mapping_error_naming_the_code() -> None:
    with pytest.raises(MappingError, match="AT7-01 shipment status code 'ZZ'"):
        milestone_from_x12("ZZ")


@pytest.mark.parametrize(
    ("text", "milestone"),
    [
        ("DELIVERED", Milestone.DELIVERED),
        ("OUT_FOR_DELIVERY", Milestone.OUT_FOR_DELIVERY),
        ("Out for delivery", Milestone.OUT_FOR_DELIVERY),
        ("out-for-delivery", Milestone.OUT_FOR_DELIVERY),
        ("IN_TRANSIT", Milestone.IN_TRANSIT),
        ("picked up", Milestone.PICKED_UP),
        ("EXCEPTION", Milestone.EXCEPTION),
        ("pre-transit", Milestone.BOOKED),
    ],
)
def test_carrier_status_text(text: str, milestone: Milestone) -> None:
    assert milestone_from_carrier_status(text) is milestone


def test_unknown_carrier_status_is_a_mapping_error() -> None:
    with pytest.raises(MappingError, match="unknown carrier status 'TELEPORTED'"):
        milestone_from_carrier_status("TELEPORTED")


def test_carrier_table_keys_are_already_normalised() -> None:
    for key in CARRIER_STATUSES:
        assert milestone_from_carrier_status(key.lower().replace("_", " ")) is CARRIER_STATUSES[key]


def test_every_milestone_has_info_and_only_delivered_and_cancelled_are_terminal() -> None:
    assert set(MILESTONES) == set(Milestone)
    assert {m for m in Milestone if is_terminal(m)} == {Milestone.DELIVERED, Milestone.CANCELLED}


def test_progress_ranks_follow_the_journey() -> None:
    journey = [
        Milestone.TENDERED,
        Milestone.BOOKED,
        Milestone.PICKED_UP,
        Milestone.IN_TRANSIT,
        Milestone.OUT_FOR_DELIVERY,
        Milestone.DELIVERED,
    ]
    ranks = [MILESTONES[m].rank for m in journey]
    numbers = [r for r in ranks if r is not None]
    assert numbers == ranks, "every journey milestone is ranked"
    assert numbers == sorted(numbers)


def test_advances() -> None:
    assert advances(None, Milestone.IN_TRANSIT)
    assert advances(Milestone.PICKED_UP, Milestone.IN_TRANSIT)
    assert not advances(Milestone.IN_TRANSIT, Milestone.PICKED_UP)  # late scan
    assert not advances(Milestone.IN_TRANSIT, Milestone.IN_TRANSIT)
    assert advances(Milestone.IN_TRANSIT, Milestone.DELAYED)
    assert advances(Milestone.DELAYED, Milestone.DELIVERED)
    assert advances(Milestone.IN_TRANSIT, Milestone.CANCELLED)
    assert not advances(Milestone.DELIVERED, Milestone.EXCEPTION)
    assert not advances(Milestone.CANCELLED, Milestone.PICKED_UP)

"""Shared fixtures for the EDI mapping, service and CLI tests: sample paths, partners and example events.

With ``--import-mode=importlib`` test modules cannot import each other (or this file), so every helper is
handed out as a fixture.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tradelane.core.envelope import CloudEvent
from tradelane.core.examples import example
from tradelane.edi.partners import PartnerBook, PartnerSettings, builtin_partners

_CONNECTORS = Path(__file__).parents[3] / "src" / "tradelane" / "connectors"


@dataclass(frozen=True)
class SamplePaths:
    """Where the sample and malformed files live."""

    x12: Path = _CONNECTORS / "x12" / "samples"
    edifact: Path = _CONNECTORS / "edifact" / "samples"
    x12_malformed: Path = _CONNECTORS / "x12" / "samples" / "malformed"
    edifact_malformed: Path = _CONNECTORS / "edifact" / "samples" / "malformed"


@pytest.fixture(scope="session")
def samples() -> SamplePaths:
    return SamplePaths()


@pytest.fixture(scope="session")
def partners() -> PartnerBook:
    """The built-in sample partners."""
    return builtin_partners()


@pytest.fixture(scope="session")
def story() -> Callable[[PartnerSettings], PartnerSettings]:
    """Turn a partner into one set up for the core example story (Rotterdam DC, euros, Dutch time), so
    that the canonical ids of the examples survive a round trip through the partner's code tables."""

    def make(base: PartnerSettings) -> PartnerSettings:
        return base.model_copy(
            update={
                "currency": "EUR",
                "timezone": "Europe/Amsterdam",
                "locations": {"RTM": "loc_dc_rtm", "CAFE-KLN": "loc_cust_cafe_central"},
                "parties": {"HUILA": "party_huila_coop", "RHNS": "party_rhenus"},
                "site_location_id": "loc_dc_rtm",
                "site_name": "Rotterdam DC",
            }
        )

    return make


EventFactory = Callable[..., CloudEvent]


@pytest.fixture(scope="session")
def make_event() -> EventFactory:
    """``make_event(type_name, time, data=None)``: a CloudEvent carrying the core example payload."""

    def make(type_name: str, time: str | datetime, data: dict[str, Any] | None = None) -> CloudEvent:
        return CloudEvent(
            id=f"test-{type_name}",
            source="/tests",
            type=type_name,
            time=time,
            data=data if data is not None else example(type_name),
        )

    return make

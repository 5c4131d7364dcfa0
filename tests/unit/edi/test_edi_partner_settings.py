"""Partner EDI settings: YAML loading, validation errors that point at the key, lookups, built-in samples."""

from __future__ import annotations

from pathlib import Path

import pytest

import tradelane.edi as edi
from tradelane.core.errors import ConfigError
from tradelane.core.milestones import Milestone
from tradelane.edi.partners import builtin_partners, load_partners, parse_partners

_MINIMAL = """
partners:
  - id: acme
    standard: edifact
    party_id: party_acme
    interchange: {qualifier: "14", id: "4012345000009"}
    us: {qualifier: "14", id: "4012345000016", application_code: HUB}
    ack: {send: CONTRL, expect: true, within_minutes: 45}
    status_codes: {"21": delivered}
"""


def test_minimal_partner_gets_sensible_defaults() -> None:
    (acme,) = parse_partners(_MINIMAL)
    assert acme.source == "/partners/acme/edi"
    assert acme.us.app_code == "HUB" and acme.interchange.app_code == "4012345000009"
    assert acme.ack.within_minutes == 45 and acme.edifact.una == ":+.? '"
    assert acme.status_codes == {"21": Milestone.DELIVERED}
    assert acme.x12.gs_version == "004010" and str(acme.zone) == "UTC"
    assert acme.location_id("RTM") == "acme:RTM" and acme.location_code("acme:RTM") == "RTM"


def test_errors_name_the_offending_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"partners\[0\]\.timezone"):
        parse_partners(
            _MINIMAL.replace("party_id: party_acme", "party_id: party_acme\n    timezone: Mars/Olympus")
        )
    with pytest.raises(ConfigError, match=r"partners\[0\]\.status_codes\.21"):
        parse_partners(_MINIMAL.replace("delivered", "teleported"))
    with pytest.raises(ConfigError, match="line 3"):
        parse_partners("partners:\n  - id: a\n  b: [\n")
    with pytest.raises(ConfigError, match="'partners' list"):
        parse_partners("acme: {}\n")
    with pytest.raises(ConfigError, match="cannot read"):
        load_partners(tmp_path / "absent.yaml")
    with pytest.raises(ConfigError, match="defined twice"):
        parse_partners(_MINIMAL + _MINIMAL.replace("partners:\n", "", 1))


def test_lookup_by_id_and_by_sender() -> None:
    book = builtin_partners()
    assert {p.id for p in book} >= {"abf", "swift", "reno3pl", "dhl-freight", "maersk", "nw-supplier"}
    assert book.by_sender("02", "SWIFTTRANS") is book["swift"]
    assert book.by_sender("ZZ", "NOBODY") is None
    with pytest.raises(ConfigError, match="known: abf"):
        book["nobody"]


def test_public_surface_is_curated() -> None:
    assert sorted(edi.__all__) == sorted(set(edi.__all__))
    for name in edi.__all__:
        assert getattr(edi, name) is not None, name
    assert {
        "handle_upload",
        "render_events",
        "FileDropChannel",
        "PartnerSettings",
        "InterchangeLedger",
    } <= set(edi.__all__)


_X12 = """
partners:
  - id: acme
    standard: x12
    party_id: party_acme
    interchange: {qualifier: ZZ, id: ACME}
    us: {qualifier: ZZ, id: HUB}
    ack: {send: "999"}
"""


def test_a_999_needs_a_5010_partner() -> None:
    with pytest.raises(ConfigError, match="999 is a 5010 acknowledgment"):
        parse_partners(_X12)
    (acme,) = parse_partners(_X12 + '    x12: {version: "00501"}\n')
    assert acme.ack.send == "999" and acme.x12.gs_version == "005010"

"""Per-partner EDI settings: who the partner is on the wire, which syntax and version, and what acks to expect.

A partner file is YAML with a top-level ``partners`` list (see ``partners.yaml`` beside this module, the
built-in samples)::

    partners:
      - id: abf                      # our name for the partner; folders and CLI use it
        name: ABF Freight
        standard: x12                # or edifact
        role: carrier                # carrier (204/990/214/210), warehouse (940/945), supplier (856/DESADV)
        party_id: party_abf          # the partner's canonical party id (carrier_id of its events)
        scac: ABFS
        timezone: America/New_York   # for dates without a zone and the "LT" time code
        interchange: {qualifier: ZZ, id: ABFCARRIER, application_code: ABFCARRIER}
        us: {qualifier: ZZ, id: TRADELANEHUB, application_code: TRADELANEHUB}
        x12: {version: "00401", delimiters: {element: "*", component: ">", segment: "~"}}
        ack: {send: "997", expect: true, within_minutes: 60}

No secrets live here (an EDI partner authenticates through the channel, not the file). :func:`load_partners`
reports a bad file with the offending key; :func:`builtin_partners` loads the shipped samples.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tradelane.core.errors import ConfigError
from tradelane.core.milestones import Milestone
from tradelane.core.model.shipments import TransportMode

__all__ = [
    "AckPolicy",
    "EdifactOptions",
    "EdiIdentity",
    "PartnerBook",
    "PartnerSettings",
    "X12Delimiters",
    "X12Options",
    "builtin_partners",
    "load_partners",
    "parse_partners",
]

#: file name of the shipped sample partners (package data)
BUILTIN_FILE = "partners.yaml"
#: partner ids are used as folder names and in event sources: keep them simple
_PARTNER_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
#: how long a partner may take to acknowledge an outbound interchange when the file does not say
DEFAULT_ACK_WINDOW_MINUTES = 240


#: EDIFACT syntax identifier (UNB01-1) → Python codec of its character repertoire
EDIFACT_ENCODINGS: Mapping[str, str] = {
    "UNOA": "ascii",
    "UNOB": "ascii",
    "UNOC": "iso8859-1",
    "UNOD": "iso8859-2",
    "UNOE": "iso8859-5",
    "UNOF": "iso8859-7",
    "UNOG": "iso8859-3",
    "UNOH": "iso8859-4",
    "UNOI": "iso8859-6",
    "UNOJ": "iso8859-8",
    "UNOK": "iso8859-9",
    "UNOW": "utf-8",
    "UNOY": "utf-8",
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EdiIdentity(_Model):
    """One side's identity on the wire: interchange id and qualifier, and the group / application code."""

    #: ISA05/ISA07 or UNB02-2/UNB03-2 qualifier, e.g. ``ZZ``, ``02``, ``14``
    qualifier: str = Field(min_length=1, max_length=4)
    #: ISA06/ISA08 or UNB02-1/UNB03-1, without padding
    id: str = Field(min_length=1, max_length=35)
    #: GS02/GS03 application code (X12) or UNG02/UNG03 id; defaults to ``id``
    application_code: str = ""

    @property
    def app_code(self) -> str:
        """GS02/GS03 to use."""
        return self.application_code or self.id


class X12Delimiters(_Model):
    """Separators we write to this partner (inbound files declare their own in the ISA)."""

    #: data element separator
    element: str = Field(default="*", min_length=1, max_length=1)
    #: component element separator (ISA16)
    component: str = Field(default=">", min_length=1, max_length=1)
    #: segment terminator
    segment: str = Field(default="~", min_length=1, max_length=1)
    #: repetition separator (5010 ISA11); ignored for 4010
    repetition: str | None = Field(default=None, min_length=1, max_length=1)
    #: written after each terminator, e.g. ``"\\n"``
    suffix: str = ""


class X12Options(_Model):
    """X12 specifics."""

    #: ISA12 control version, ``00401`` or ``00501``
    version: Literal["00401", "00501"] = "00401"
    #: GS08; defaults to the release matching ``version``
    group_version: str = ""
    #: separators we write
    delimiters: X12Delimiters = X12Delimiters()
    #: ISA15 of what we send: production or test
    usage: Literal["P", "T"] = "P"
    #: B2-06 / W66-01 shipment method of payment we send (``PP`` prepaid, ``CC`` collect …)
    payment_method: str = "PP"

    @property
    def gs_version(self) -> str:
        """GS08 to write."""
        return self.group_version or ("005010" if self.version == "00501" else "004010")


class EdifactOptions(_Model):
    """EDIFACT specifics."""

    #: UNB01-1 syntax identifier (character repertoire)
    syntax_id: str = "UNOC"
    #: UNB01-2 syntax version
    syntax_version: Literal["1", "2", "3", "4"] = "3"
    #: UNH02-2/3 directory version and release we write, e.g. ``D`` ``01B``
    directory: str = "D"
    release: str = "01B"
    #: the six service characters of our UNA (component, element, decimal, release, repetition, segment)
    una: str = Field(default=":+.? '", min_length=6, max_length=6)
    #: UNB11: mark what we send as test
    test: bool = False
    #: written after each segment terminator of what we send, e.g. ``"\n"``
    suffix: str = "\n"


class AckPolicy(_Model):
    """What acknowledgments flow: what we send back for inbound files and what we expect for outbound ones."""

    #: functional ack we send for inbound files: ``997``/``999`` (X12), ``CONTRL`` (EDIFACT), or ``none``
    send: Literal["997", "999", "CONTRL", "none"] = "997"
    #: ISA14 we write: ask the partner for a TA1
    request_ta1: bool = False
    #: whether the partner acknowledges what we send
    expect: bool = True
    #: minutes the partner has to acknowledge an outbound interchange (the SLA; missing acks open exceptions)
    within_minutes: int = Field(default=DEFAULT_ACK_WINDOW_MINUTES, ge=1)


class PartnerSettings(_Model):
    """One EDI trading partner."""

    #: our name for the partner: folder names, CLI ``--partner``, event source ``/partners/<id>/edi``
    id: str
    #: display name
    name: str = ""
    #: X12 or EDIFACT
    standard: Literal["x12", "edifact"]
    #: what the partner does for us; decides which documents are normal
    role: Literal["carrier", "warehouse", "supplier"] = "carrier"
    #: the partner's canonical party id (``carrier_id`` of its events)
    party_id: str = Field(min_length=1, max_length=128)
    #: the partner's SCAC, for carriers
    scac: str | None = Field(default=None, pattern=r"^[A-Z]{2,4}$")
    #: IANA zone of the partner's clock: dates without a zone and the X12 ``LT`` time code
    timezone: str = "UTC"
    #: the partner's interchange identity
    interchange: EdiIdentity
    #: our identity towards this partner
    us: EdiIdentity
    #: X12 options (ignored for EDIFACT partners)
    x12: X12Options = X12Options()
    #: EDIFACT options (ignored for X12 partners)
    edifact: EdifactOptions = EdifactOptions()
    #: acknowledgments
    ack: AckPolicy = AckPolicy()
    #: currency of amounts in documents that carry none (204 L3, 210 without C3)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    #: transport mode of shipments this partner moves, when documents do not say
    default_mode: TransportMode = TransportMode.FTL
    #: partner location code (N1-04, NAD id) → canonical location id; unknown codes become ``<id>:<code>``
    locations: Mapping[str, str] = Field(default_factory=dict)
    #: partner party code → canonical party id (suppliers, ship-from parties); same fallback as locations
    parties: Mapping[str, str] = Field(default_factory=dict)
    #: partner status code → milestone, over the standard table (EDIFACT STS codes, custom 214 codes)
    status_codes: Mapping[str, Milestone] = Field(default_factory=dict)
    #: the site a warehouse partner runs for us (ship-from of its 945s, receiving site of ASNs)
    site_location_id: str | None = None
    #: display name of that site
    site_name: str | None = None

    @field_validator("id")
    @classmethod
    def _simple_id(cls, value: str) -> str:
        if not _PARTNER_ID.match(value):
            raise ValueError("partner id must be lower-case letters, digits, '-' or '_' (at most 40)")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _ack_matches_standard(self) -> PartnerSettings:
        x12_acks = {"997", "999", "none"}
        if self.standard == "x12" and self.ack.send not in x12_acks:
            raise ValueError(f"an X12 partner acknowledges with 997, 999 or none, not {self.ack.send}")
        if self.standard == "edifact" and self.ack.send not in {"CONTRL", "none"}:
            raise ValueError(f"an EDIFACT partner acknowledges with CONTRL or none, not {self.ack.send}")
        if self.standard == "x12" and self.ack.send == "999" and self.x12.version != "00501":
            raise ValueError('the 999 is a 5010 acknowledgment: set x12.version to "00501" or send a 997')
        return self

    @property
    def zone(self) -> ZoneInfo:
        """The partner's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def encoding(self) -> str:
        """Python codec of the bytes exchanged: Latin-1 for X12 (no byte lost), the EDIFACT repertoire's
        ISO 8859 part or UTF-8 otherwise."""
        if self.standard == "x12":
            return "latin-1"
        return EDIFACT_ENCODINGS.get(self.edifact.syntax_id, "latin-1")

    @property
    def source(self) -> str:
        """CloudEvents ``source`` of the events this partner's documents produce."""
        return f"/partners/{self.id}/edi"

    def location_id(self, code: str) -> str:
        """Canonical id of a partner location code."""
        return self.locations.get(code) or f"{self.id}:{code}"

    def party(self, code: str) -> str:
        """Canonical id of a partner party code."""
        return self.parties.get(code) or f"{self.id}:{code}"

    def location_code(self, location_id: str) -> str:
        """The partner's code for a canonical location id (reverse of :meth:`location_id`)."""
        for code, canonical in self.locations.items():
            if canonical == location_id:
                return code
        prefix = f"{self.id}:"
        return location_id.removeprefix(prefix)


class PartnerBook:
    """The partners known to a process, by id and by interchange sender."""

    def __init__(self, partners: list[PartnerSettings]) -> None:
        self._by_id: dict[str, PartnerSettings] = {}
        for partner in partners:
            if partner.id in self._by_id:
                raise ConfigError("partner id defined twice", key=f"partners.{partner.id}")
            self._by_id[partner.id] = partner

    def __getitem__(self, partner_id: str) -> PartnerSettings:
        try:
            return self._by_id[partner_id]
        except KeyError:
            known = ", ".join(sorted(self._by_id)) or "none"
            raise ConfigError(f"unknown EDI partner {partner_id!r} (known: {known})") from None

    def __contains__(self, partner_id: object) -> bool:
        return partner_id in self._by_id

    def __iter__(self) -> Iterator[PartnerSettings]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def by_sender(self, qualifier: str, sender_id: str) -> PartnerSettings | None:
        """The partner whose interchange identity is (``qualifier``, ``sender_id``)."""
        for partner in self._by_id.values():
            if partner.interchange.id == sender_id and partner.interchange.qualifier == qualifier:
                return partner
        return None


def parse_partners(text: str, origin: str = "<partners>") -> PartnerBook:
    """Parse partner YAML text.

    :raises ConfigError: on YAML syntax errors or invalid settings, naming the offending key
    """
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(f"{origin}: not valid YAML", line=mark.line + 1 if mark else None) from exc
    if not isinstance(loaded, dict) or not isinstance(loaded.get("partners"), list):
        raise ConfigError(f"{origin}: expected a top-level 'partners' list", key="partners")
    partners: list[PartnerSettings] = []
    for index, raw in enumerate(loaded["partners"]):
        try:
            partners.append(PartnerSettings.model_validate(raw))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ConfigError(
                f"{origin}: {first['msg']}",
                key=f"partners[{index}].{where}" if where else f"partners[{index}]",
            ) from exc
    return PartnerBook(partners)


def load_partners(path: Path) -> PartnerBook:
    """Load a partner YAML file.

    :raises ConfigError: when the file cannot be read or is invalid
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read partner file {path}: {exc.strerror}") from exc
    return parse_partners(text, str(path))


def builtin_partners() -> PartnerBook:
    """The sample partners shipped with Tradelane (``tradelane/edi/partners.yaml``)."""
    text = resources.files("tradelane.edi").joinpath(BUILTIN_FILE).read_text(encoding="utf-8")
    return parse_partners(text, BUILTIN_FILE)

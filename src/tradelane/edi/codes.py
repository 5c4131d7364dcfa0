"""EDI ↔ canonical code tables, as data: units, time codes, transport methods, charges, stop reasons.

Each table maps the partner's code (X12 element number or EDIFACT data element in the comment) onto a
canonical value; the reverse tables used when writing are derived, the first code listed for a canonical
value being the one we write. Partner-specific status codes live in the partner settings
(:attr:`~tradelane.edi.partners.PartnerSettings.status_codes`), not here. The 214 AT7 table is the core's
:data:`~tradelane.core.milestones.X12_STATUS_CODES`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from tradelane.core.milestones import X12_STATUS_CODES, Milestone
from tradelane.core.model.freight import AccessorialCode
from tradelane.core.model.shipments import StopKind, TransportMode

__all__ = [
    "CHARGE_CODES",
    "MILESTONE_TO_AT7",
    "MODE_TO_X12",
    "N2_PLACES",
    "STOP_REASONS",
    "TIME_CODES",
    "UNIT_FROM_EDI",
    "UNIT_TO_X12",
    "X12_MODES",
    "charge_code",
    "time_zone",
    "unit_from_edi",
]

#: X12 ``N2`` amounts (element 58 Charge, 193 Net Amount Due) carry two implied decimals
N2_PLACES = 2

#: element 355 Unit or Basis for Measurement (X12) and 6411 (EDIFACT, UN/ECE Rec 20) → canonical unit
UNIT_FROM_EDI: Mapping[str, str] = {
    "EA": "EA",  # each
    "C62": "EA",  # Rec 20 "one"
    "PCE": "PCE",  # Rec 20 piece
    "PC": "PCE",  # X12 piece
    "CA": "CS",  # X12 case
    "CS": "CS",
    "CT": "CS",  # carton
    "PL": "PL",  # X12 pallet/unit load
    "PX": "PL",  # Rec 20 pallet
    "BX": "BX",  # box
    "PK": "PK",  # package
    "DZ": "DZ",  # dozen
    "LB": "LB",  # X12 pound
    "LBR": "LB",
    "KG": "KG",  # X12 kilogram
    "KGM": "KG",
    "L": "LB",  # element 188 Weight Unit Code: L = pounds
    "K": "KG",  # element 188: K = kilograms
}

#: canonical unit → element 355 code we write
UNIT_TO_X12: Mapping[str, str] = {
    "EA": "EA",
    "PCE": "PC",
    "CS": "CA",
    "PL": "PL",
    "BX": "BX",
    "PK": "PK",
    "DZ": "DZ",
    "LB": "LB",
    "KG": "KG",
}

#: element 188 Weight Unit Code we write for a canonical weight unit
WEIGHT_TO_X12: Mapping[str, str] = {"LB": "L", "KG": "K"}


def unit_from_edi(code: str) -> str:
    """Canonical unit for an X12 355/188 or EDIFACT 6411 code; unknown codes are passed on as they are
    (the canonical model refuses what it does not know, with a field-level error)."""
    return UNIT_FROM_EDI.get(code.strip().upper(), code.strip().upper())


#: element 623 Time Code → fixed-offset zone. ``LT`` (local time) means the partner's zone; ``ET``/``CT``/
#: ``MT``/``PT`` (whatever is in force) go through the IANA zone, see :func:`time_zone`.
TIME_CODES: Mapping[str, tzinfo] = {
    "UT": UTC,  # universal time coordinate
    "GM": UTC,  # Greenwich mean time
    "ES": timezone(timedelta(hours=-5)),  # eastern standard time
    "ED": timezone(timedelta(hours=-4)),  # eastern daylight time
    "CS": timezone(timedelta(hours=-6)),  # central standard time
    "CD": timezone(timedelta(hours=-5)),  # central daylight time
    "MS": timezone(timedelta(hours=-7)),  # mountain standard time
    "MD": timezone(timedelta(hours=-6)),  # mountain daylight time
    "PS": timezone(timedelta(hours=-8)),  # pacific standard time
    "PD": timezone(timedelta(hours=-7)),  # pacific daylight time
    "AT": timezone(timedelta(hours=-4)),  # atlantic time
    "HT": timezone(timedelta(hours=-10)),  # hawaii-aleutian time
}

#: US zones named by ET/CT/MT/PT, used instead of the fixed offsets when the partner's zone is one of them
_US_GENERIC = {
    "ET": "America/New_York",
    "CT": "America/Chicago",
    "MT": "America/Denver",
    "PT": "America/Los_Angeles",
}


def time_zone(code: str, partner_zone: tzinfo) -> tzinfo:
    """The zone an X12 time code names; ``LT``, blank or unknown codes mean the partner's own zone.

    ``ET``/``CT``/``MT``/``PT`` are "whatever is in force" in that US zone, so daylight saving is applied
    through the IANA zone rather than a fixed offset.
    """
    code = code.strip().upper()
    generic = _US_GENERIC.get(code)
    if generic is not None:
        return ZoneInfo(generic)
    return TIME_CODES.get(code, partner_zone)


#: element 91 Transportation Method/Type Code (X12 W27-01, W66-02, TD5-04) → transport mode
X12_MODES: Mapping[str, TransportMode] = {
    "M": TransportMode.LTL,  # motor (common carrier)
    "LT": TransportMode.LTL,  # less than trailer load
    "TL": TransportMode.FTL,  # trailer load
    "L": TransportMode.FTL,  # contract carrier
    "U": TransportMode.PARCEL,  # private parcel service
    "A": TransportMode.AIR,  # air
    "AE": TransportMode.AIR,  # air express
    "R": TransportMode.RAIL,  # rail
    "S": TransportMode.OCEAN,  # ocean
    "O": TransportMode.OCEAN,  # containerized ocean
    "X": TransportMode.INTERMODAL,  # intermodal (piggyback)
    "E": TransportMode.COURIER,  # expedited truck
}

#: transport mode → element 91 code we write
MODE_TO_X12: Mapping[TransportMode, str] = {
    TransportMode.LTL: "M",
    TransportMode.FTL: "TL",
    TransportMode.PARCEL: "U",
    TransportMode.AIR: "A",
    TransportMode.RAIL: "R",
    TransportMode.OCEAN: "S",
    TransportMode.INTERMODAL: "X",
    TransportMode.COURIER: "E",
}

#: element 150 Special Charge or Allowance Code (210 L1-08) → accessorial. A line without a code is the base.
CHARGE_CODES: Mapping[str, AccessorialCode] = {
    "FUE": AccessorialCode.FUEL,  # fuel surcharge
    "FSC": AccessorialCode.FUEL,  # fuel surcharge, as several carriers spell it
    "DET": AccessorialCode.DETENTION,  # detention
    "DTV": AccessorialCode.DETENTION,  # detention, vehicle
    "LFT": AccessorialCode.LIFTGATE,  # lift gate
    "RES": AccessorialCode.RESIDENTIAL,  # residential delivery
    "IDL": AccessorialCode.INSIDE_DELIVERY,  # inside delivery
    "RDL": AccessorialCode.REDELIVERY,  # redelivery
    "LAY": AccessorialCode.LAYOVER,  # layover
    "LUM": AccessorialCode.LUMPER,  # lumper
    "STR": AccessorialCode.STORAGE,  # storage
    "MSC": AccessorialCode.OTHER,  # miscellaneous
}


def charge_code(accessorial: AccessorialCode) -> str:
    """The element 150 code we write for an accessorial (the first listed in :data:`CHARGE_CODES`)."""
    return next(code for code, value in CHARGE_CODES.items() if value is accessorial)


#: element 163 Stop Reason Code (204 S5-02) → stop kind
STOP_REASONS: Mapping[str, StopKind] = {
    "LD": StopKind.PICKUP,  # load
    "CL": StopKind.PICKUP,  # complete load
    "PL": StopKind.PICKUP,  # part load
    "UL": StopKind.DELIVERY,  # unload
    "CU": StopKind.DELIVERY,  # complete unload
    "PU": StopKind.DELIVERY,  # part unload
    "DR": StopKind.TERMINAL,  # drop trailer
    "CD": StopKind.CROSS_DOCK,  # cross dock
}

#: stop kind → element 163 code we write
STOP_TO_X12: Mapping[StopKind, str] = {
    StopKind.PICKUP: "LD",
    StopKind.DELIVERY: "UL",
    StopKind.TERMINAL: "DR",
    StopKind.CROSS_DOCK: "CD",
}


def _first_codes() -> dict[Milestone, str]:
    out: dict[Milestone, str] = {}
    for code, milestone in X12_STATUS_CODES.items():
        out.setdefault(milestone, code)
    return out


#: milestone → the AT7-01 code we write when the event does not carry the partner's own code
MILESTONE_TO_AT7: Mapping[Milestone, str] = _first_codes()

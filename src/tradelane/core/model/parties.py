"""Who and where: parties (customers, suppliers, carriers …), their addresses and contacts, and locations.

A :class:`Party` is a business partner as Odoo's ``res.partner`` sees it; a :class:`Location` is a physical
place goods pass through (warehouse, dock, yard, stop, store, customer site). Both are identified by a
canonical id; partner-side ids live in :class:`ExternalRef` entries, resolved by the mapping layer.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from tradelane.core.model.base import (
    CanonicalModel,
    CountryCode,
    Gln,
    Identifier,
    Name,
    Position,
)

__all__ = [
    "Address",
    "Contact",
    "ExternalRef",
    "Location",
    "LocationKind",
    "Party",
    "PartyRole",
    "Scac",
]

#: longest address line we keep (X12 N3 allows 55, EDIFACT NAD 35; Odoo allows more)
MAX_ADDRESS_LINE_LENGTH = 256
#: longest postal code worldwide is 10 characters; leave room for formatting
MAX_POSTAL_CODE_LENGTH = 16

#: Standard Carrier Alpha Code: 2 to 4 upper-case letters
Scac = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,4}$")]
#: a loosely checked e-mail address (one ``@``, a dot in the domain); partners send odd but valid ones
Email = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
#: a phone number as given, digits and the usual separators
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ()./-]{3,32}$")]
_AddressLine = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_ADDRESS_LINE_LENGTH)
]


class ExternalRef(CanonicalModel):
    """The id of the same thing in another system."""

    #: the other system, e.g. ``odoo``, ``acme_wms``, a carrier's SCAC
    system: Identifier
    #: the id there
    id: Identifier


class Address(CanonicalModel):
    """A postal address."""

    #: street and number; absent for a place known only by city (an X12 N4 without N3, a terminal en route)
    line1: _AddressLine | None = None
    #: building, floor, suite
    line2: _AddressLine | None = None
    #: city or town
    city: Name
    #: state, province or region code, e.g. ``CA``, ``NRW``
    region: Name | None = None
    #: postal code, as written locally
    postal_code: str | None = Field(default=None, max_length=MAX_POSTAL_CODE_LENGTH)
    #: ISO 3166-1 alpha-2 country code
    country: CountryCode
    #: geocoded position, when known
    position: Position | None = None


class Contact(CanonicalModel):
    """A person to call or write to about a shipment, an order or a site."""

    #: full name
    name: Name
    #: e-mail address
    email: Email | None = None
    #: phone number, preferably E.164 (``+31 20 …``)
    phone: Phone | None = None
    #: what the person does here, e.g. ``dispatcher``, ``receiving``
    role: Name | None = None


class PartyRole(StrEnum):
    """The roles a party plays for us; one party may have several."""

    CUSTOMER = "customer"
    SUPPLIER = "supplier"
    CARRIER = "carrier"
    SHIPPER = "shipper"
    CONSIGNEE = "consignee"
    BILL_TO = "bill_to"
    WAREHOUSE_OPERATOR = "warehouse_operator"
    BROKER = "broker"


class Party(CanonicalModel):
    """A business partner: customer, supplier, carrier, 3PL …"""

    #: canonical id of the party
    party_id: Identifier
    #: legal or trading name
    name: Name
    #: what the party is to us
    roles: tuple[PartyRole, ...] = Field(min_length=1)
    #: main address
    address: Address | None = None
    #: people to contact
    contacts: tuple[Contact, ...] = ()
    #: VAT number or other tax id
    tax_id: Identifier | None = None
    #: Standard Carrier Alpha Code, for carriers
    scac: Scac | None = None
    #: GS1 Global Location Number of the party
    gln: Gln | None = None
    #: ids of the same party in other systems (Odoo partner id, WMS customer code …)
    external_refs: tuple[ExternalRef, ...] = ()


class LocationKind(StrEnum):
    """What kind of place a location is."""

    WAREHOUSE = "warehouse"
    DOCK = "dock"
    YARD = "yard"
    STOP = "stop"
    STORE = "store"
    CUSTOMER_SITE = "customer_site"


class Location(CanonicalModel):
    """A physical place goods pass through."""

    #: canonical id of the location
    location_id: Identifier
    #: display name, e.g. ``Rotterdam DC``, ``Door 12``
    name: Name
    #: what kind of place this is
    kind: LocationKind
    #: postal address (a dock or yard slot inherits its parent's)
    address: Address | None = None
    #: position, when known more precisely than the address
    position: Position | None = None
    #: the enclosing location, e.g. the warehouse of a dock
    parent_id: Identifier | None = None
    #: GS1 Global Location Number
    gln: Gln | None = None
    #: IANA time zone of the site, e.g. ``Europe/Amsterdam``; used to show local times, never to store them
    timezone: Identifier | None = None
    #: ids of the same location in other systems
    external_refs: tuple[ExternalRef, ...] = ()

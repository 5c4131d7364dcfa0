"""Every version-specific Odoo field name and value, in one place.

The rest of the connector never spells a field that differs between Odoo releases; it asks the
:class:`OdooDialect` for the running server's major version instead. Sources are the tags in
``reference/odoo17-external-api.md`` §9: 17 is verified, 16/18/19 come from source reading.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "OLDEST_SUPPORTED_MAJOR",
    "JSON2_FIRST_MAJOR",
    "OdooDialect",
    "dialect_for",
    "parse_major",
]

#: the oldest Odoo major release the connector is written for
OLDEST_SUPPORTED_MAJOR = 16
#: the first major release that ships the JSON-2 API (``/json/2/<model>/<method>``)
JSON2_FIRST_MAJOR = 19
#: the first major release where storable products use ``is_storable`` instead of ``detailed_type``
IS_STORABLE_FIRST_MAJOR = 18
#: the first major release with ``stock.move.quantity`` + ``picked`` instead of ``quantity_done``
PICKED_FLAG_FIRST_MAJOR = 17

ProductKind = Literal["storable", "consumable", "service"]


@dataclass(frozen=True)
class OdooDialect:
    """Field names and values for one Odoo major version."""

    #: the major version, e.g. ``17``
    major: int

    # -- stock quantities ----------------------------------------------------------------------------
    @property
    def move_line_qty_field(self) -> str:
        """The done/picked quantity on ``stock.move.line`` (16: ``qty_done``, 17+: ``quantity``)."""
        return "quantity" if self.major >= PICKED_FLAG_FIRST_MAJOR else "qty_done"

    @property
    def move_qty_field(self) -> str:
        """The done/picked quantity on ``stock.move`` (16: ``quantity_done``, 17+: ``quantity``)."""
        return "quantity" if self.major >= PICKED_FLAG_FIRST_MAJOR else "quantity_done"

    @property
    def has_picked_flag(self) -> bool:
        """Whether moves and move lines carry the ``picked`` Boolean (17+)."""
        return self.major >= PICKED_FLAG_FIRST_MAJOR

    @property
    def reserved_line_qty_field(self) -> str:
        """The reserved quantity on ``stock.move.line`` (16: ``reserved_uom_qty``; 17+ shares ``quantity``)."""
        return "quantity" if self.major >= PICKED_FLAG_FIRST_MAJOR else "reserved_uom_qty"

    def picked_line_vals(self, quantity: float) -> dict[str, Any]:
        """Values that mark a move line as picked with ``quantity``."""
        vals: dict[str, Any] = {self.move_line_qty_field: quantity}
        if self.has_picked_flag:
            vals["picked"] = True
        return vals

    def unpicked_line_vals(self) -> dict[str, Any]:
        """Values that make a reserved move line ship nothing."""
        vals: dict[str, Any] = {self.move_line_qty_field: 0.0}
        if self.has_picked_flag:
            vals["picked"] = True
        return vals

    @property
    def validate_context(self) -> dict[str, Any]:
        """Context for ``button_validate`` (16 needs ``skip_immediate`` to bypass the immediate-transfer wizard)."""
        return {} if self.major >= PICKED_FLAG_FIRST_MAJOR else {"skip_immediate": True}

    # -- products ------------------------------------------------------------------------------------
    def product_type_vals(self, kind: ProductKind) -> dict[str, Any]:
        """Values that make a product storable, consumable or a service."""
        if self.major >= IS_STORABLE_FIRST_MAJOR:
            return {"type": "service" if kind == "service" else "consu", "is_storable": kind == "storable"}
        return {"detailed_type": {"storable": "product", "consumable": "consu", "service": "service"}[kind]}

    @property
    def product_type_fields(self) -> tuple[str, ...]:
        """Fields read back to compare a product's kind."""
        return ("type", "is_storable") if self.major >= IS_STORABLE_FIRST_MAJOR else ("detailed_type",)

    # -- chatter -------------------------------------------------------------------------------------------
    @property
    def html_body_kwargs(self) -> dict[str, Any]:
        """``message_post`` kwargs that keep an HTML body unescaped (17+ escapes a plain ``str``, §6.1)."""
        return {"body_is_html": True} if self.major >= PICKED_FLAG_FIRST_MAJOR else {}

    # -- lots ----------------------------------------------------------------------------------------
    @property
    def lot_model(self) -> str:
        """The lot/serial model (``stock.lot`` since 16)."""
        return "stock.lot"

    # -- API -----------------------------------------------------------------------------------------
    @property
    def has_json2(self) -> bool:
        """Whether the server offers ``/json/2`` (19+)."""
        return self.major >= JSON2_FIRST_MAJOR

    @property
    def activities_archived_when_done(self) -> bool:
        """Whether ``action_feedback`` archives (18+) rather than deletes (≤17) the activity."""
        return self.major >= IS_STORABLE_FIRST_MAJOR


def parse_major(version: str | int | list[Any] | None) -> int:
    """Extract the major version from ``server_serie``/``server_version`` ("17.0", "saas~18.4") or a version_info list."""
    if isinstance(version, int):
        return version
    if isinstance(version, list) and version:
        return int(version[0])
    text = str(version or "").strip()
    text = text.removeprefix("saas~").removeprefix("saas-")
    head = text.split(".", 1)[0].split("-", 1)[0]
    if not head.isdigit():
        raise ValueError(f"cannot parse an Odoo version from {version!r}")
    return int(head)


def dialect_for(version: str | int | list[Any] | None) -> OdooDialect:
    """The dialect for a server version string such as ``"17.0"``."""
    major = parse_major(version)
    if major < OLDEST_SUPPORTED_MAJOR:
        raise ValueError(f"Odoo {major} is older than the oldest supported release {OLDEST_SUPPORTED_MAJOR}")
    return OdooDialect(major=major)

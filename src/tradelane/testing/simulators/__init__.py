"""Partner simulators: real HTTP servers on loopback that behave like a WMS, a TMS, a carrier's tracking
webhooks, a yard/dock scheduling system and a customer portal client — acknowledgements first, signed
callbacks later, occasional failures — deterministic for a seed.

Each runs standalone too: ``python -m tradelane.testing.simulators.<kind> --port P`` (``wms``, ``tms``,
``carrier``, ``yard``, ``portal``).
"""

from __future__ import annotations

from tradelane.mapping.loader import parse_xref_seed, template_dir
from tradelane.testing.simulators.base import (
    CallbackReceiver,
    Received,
    SentCallback,
    Simulator,
    receiving,
    sscc,
)
from tradelane.testing.xref import InMemoryXrefStore

__all__ = [
    "CallbackReceiver",
    "Received",
    "SentCallback",
    "Simulator",
    "receiving",
    "sscc",
    "template_xrefs",
]


def template_xrefs(template: str, tenant: str = "hub", partner: str | None = None) -> InMemoryXrefStore:
    """An in-memory xref store holding a shipped template's ``xref.yaml`` (the references its samples need).

    :param template: ``wms-rest``, ``tms-rest``, ``carrier-webhook``, ``yard`` or ``portal``
    :param partner: the partner id to file them under (default: the template mapping's ``partner``)
    """
    from tradelane.mapping.loader import load_mapping

    partner = partner or load_mapping(template).partner
    text = template_dir(template).joinpath("xref.yaml").read_text(encoding="utf-8")
    return InMemoryXrefStore(parse_xref_seed(text, tenant=tenant, partner=partner))

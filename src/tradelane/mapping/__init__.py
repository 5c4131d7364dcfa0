"""Declarative partner mapping: one YAML file per partner, turned into canonical events and back.

* :mod:`.spec` — the mapping file's shape, checked and compiled when loaded (errors name key and line);
* :mod:`.engine` — evaluation: JMESPath field expressions, code tables, unit conversions, defaults and
  cross-reference lookups, in both directions; every problem reported with path, rule and value;
* :mod:`.functions` — the custom JMESPath functions and their registry;
* :mod:`.loader` — finding mapping files and the shipped onboarding templates.

Pure: imports only ``core`` and ``ports``; cross references go through the
:class:`~tradelane.ports.xref.XrefStore` port.
"""

from tradelane.mapping.engine import (
    InboundResult,
    MissingXref,
    OutboundResult,
    format_problems,
    only_missing_xrefs,
    select_inbound,
    select_outbound,
    to_canonical,
    to_partner,
)
from tradelane.mapping.functions import register_function
from tradelane.mapping.loader import find_mapping, load_mapping, parse_xref_seed, template_dir, template_names
from tradelane.mapping.spec import MappingRef, PartnerMapping, parse_mapping

__all__ = [
    "InboundResult",
    "MappingRef",
    "MissingXref",
    "OutboundResult",
    "PartnerMapping",
    "find_mapping",
    "format_problems",
    "load_mapping",
    "only_missing_xrefs",
    "parse_mapping",
    "parse_xref_seed",
    "register_function",
    "select_inbound",
    "select_outbound",
    "template_dir",
    "template_names",
    "to_canonical",
    "to_partner",
]

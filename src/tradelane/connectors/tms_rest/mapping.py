"""THE mapping of the TMS connector: which YAML maps its documents, and which mapping operations serve which
connector operation.

The field maps and code tables are data, in the partner's mapping YAML (by default the shipped ``tms-rest``
template: ``tradelane/mapping/templates/tms_rest/mapping.yaml``); this module only points at it.
"""

from __future__ import annotations

from tradelane.core.envelope import CloudEvent
from tradelane.core.errors import FieldProblem, MappingError
from tradelane.mapping.engine import OutboundResult, to_partner
from tradelane.mapping.loader import load_mapping
from tradelane.mapping.spec import PartnerMapping
from tradelane.ports.xref import XrefStore

from .settings import TmsRestSettings

__all__ = ["INBOUND", "OUTBOUND", "TEMPLATE", "load", "outbound_document"]

#: the shipped template this connector's default mapping comes from
TEMPLATE = "tms-rest"
#: connector operation → the inbound mapping operations that may serve it
INBOUND: dict[str, tuple[str, ...]] = {
    "tender_response": ("tender_accepted", "tender_rejected"),
    "tracking": ("milestone", "eta_changed"),
    "freight_charges": ("freight_charges",),
}
#: connector operation → the outbound mapping operations that may serve it (chosen by event type)
OUTBOUND: dict[str, tuple[str, ...]] = {"tender": ("tender",)}


def load(settings: TmsRestSettings) -> PartnerMapping:
    """The mapping named by ``settings.mapping_file``, else the shipped template.

    :raises ConfigError: when the file is missing or invalid (key and line named)
    """
    return load_mapping(str(settings.mapping_file) if settings.mapping_file else TEMPLATE)


async def outbound_document(
    mapping: PartnerMapping, operation: str, event: CloudEvent, *, xrefs: XrefStore, tenant: str
) -> OutboundResult:
    """The partner document for ``event`` through the mapping operation its type selects.

    :raises MappingError: the event cannot be mapped, or its type does not belong to ``operation``
    """
    result = await to_partner(mapping, event, xrefs=xrefs, tenant=tenant)
    if result.operation not in OUTBOUND[operation]:
        raise MappingError(f"{event.type} is not sent by {operation}", [FieldProblem(
            "type", f"{operation} sends {', '.join(OUTBOUND[operation])}, not {result.operation}", "operation",
            event.type)])
    return result

"""THE mapping of the WMS connector: which YAML maps its documents, and which mapping operations serve which
connector operation.

The field maps and code tables are data, in the partner's mapping YAML (by default the shipped ``wms-rest``
template: ``tradelane/mapping/templates/wms_rest/mapping.yaml``); this module only points at it.
"""

from __future__ import annotations

from tradelane.connectors import rest_common
from tradelane.connectors.rest_common import WebhookPartnerSettings, load_partner_mapping
from tradelane.core.envelope import CloudEvent
from tradelane.mapping.engine import OutboundResult
from tradelane.mapping.spec import PartnerMapping
from tradelane.ports.xref import XrefStore
from tradelane.routing.ownership import OwnershipMatrix

__all__ = ["INBOUND", "OUTBOUND", "TEMPLATE", "load", "outbound_document"]

#: the shipped template this connector's default mapping comes from
TEMPLATE = "wms-rest"
#: connector operation → the inbound mapping operations that may serve it
INBOUND: dict[str, tuple[str, ...]] = {
    "pick_confirm": ("pick_confirm",),
    "pack_confirm": ("pack_confirm",),
    "ship_confirm": ("ship_confirm",),
    "inventory_snapshot": ("inventory_snapshot",),
    # a purchase-order receipt, or a customer return (inspected): the document's receiptType picks
    "receipt_confirm": ("receipt_confirm", "return_confirm"),
}
#: connector operation → the outbound mapping operations that may serve it (chosen by event type)
OUTBOUND: dict[str, tuple[str, ...]] = {"release_order": ("release_order",),
                                         "expect_receipt": ("expected_receipt",)}


def load(settings: WebhookPartnerSettings) -> PartnerMapping:
    """The mapping named by ``settings.mapping_file``, else the shipped template.

    :raises ConfigError: when the file is missing or invalid (key and line named)
    """
    return load_partner_mapping(settings, TEMPLATE)


async def outbound_document(
    mapping: PartnerMapping,
    operation: str,
    event: CloudEvent,
    *,
    xrefs: XrefStore,
    tenant: str,
    ownership: OwnershipMatrix | None = None,
) -> OutboundResult:
    """The partner document for ``event`` through the mapping operation its type selects.

    :param ownership: the system-of-record matrix; the partner receives only what it may
    :raises MappingError: the event cannot be mapped, or its type does not belong to ``operation``
    """
    return await rest_common.outbound_document(mapping, OUTBOUND, operation, event, xrefs=xrefs, tenant=tenant,
                                               ownership=ownership)

"""THE mapping of the carrier connector: which YAML maps its documents, and which mapping operations serve which
connector operation.

The field maps and code tables are data, in the partner's mapping YAML (by default the shipped ``carrier-webhook``
template: ``tradelane/mapping/templates/carrier_webhook/mapping.yaml``); this module only points at it.
"""

from __future__ import annotations

from tradelane.connectors.rest_common import WebhookPartnerSettings, load_partner_mapping
from tradelane.mapping.spec import PartnerMapping

__all__ = ["INBOUND", "TEMPLATE", "load"]

#: the shipped template this connector's default mapping comes from
TEMPLATE = "carrier-webhook"
#: connector operation → the inbound mapping operations that may serve it
INBOUND: dict[str, tuple[str, ...]] = {
    "tracking": ("tracking",),
    "delivered": ("delivered",),
}


def load(settings: WebhookPartnerSettings) -> PartnerMapping:
    """The mapping named by ``settings.mapping_file``, else the shipped template.

    :raises ConfigError: when the file is missing or invalid (key and line named)
    """
    return load_partner_mapping(settings, TEMPLATE)

"""The reference carrier connector: tracking webhooks in — milestones, exceptions (with reason codes) and the
proof of delivery with its signature image — signed per Standard Webhooks. Inbound only.

:mod:`.settings`, :mod:`.mapping` (which mapping YAML and operations), :mod:`.hooks` (signature and
webhook → canonical events), :mod:`.connector`. The simulator to test it against is
:mod:`tradelane.testing.simulators.carrier`.
"""

from __future__ import annotations

from tradelane.ports.connector import ConnectorSpec

from .connector import CarrierWebhookConnector
from .hooks import CarrierWebhookHooks
from .settings import CarrierWebhookSettings

__all__ = ["METADATA", "CarrierWebhookConnector", "CarrierWebhookHooks", "CarrierWebhookSettings"]

#: what this connector is; its capabilities are computed from what its hooks implement
METADATA = ConnectorSpec(
    id="carrier_webhook",
    kind="carrier",
    hooks=CarrierWebhookHooks,
    settings=CarrierWebhookSettings,
    description="Reference carrier tracking webhooks (milestones, exceptions, proof of delivery in)",
)

"""The reference customer portal connector: orders and amendments in (signed posts from the portal), shipment
status out (milestones and deliveries).

:mod:`.settings` (typed, secrets from the environment), :mod:`.mapping` (which mapping YAML and operations),
:mod:`.mapper` (pure builders and parsers), :mod:`.proxy` (HTTP only), :mod:`.hooks` (signature and
callbacks → canonical events), :mod:`.connector` (the pieces wired together). The simulator to test it
against is :mod:`tradelane.testing.simulators.portal`.
"""

from __future__ import annotations

from tradelane.ports.connector import ConnectorSpec

from . import mapper
from .connector import PortalApiConnector
from .hooks import PortalApiHooks
from .proxy import PortalApiProxy
from .settings import PortalApiSettings

__all__ = ["METADATA", "PortalApiConnector", "PortalApiHooks", "PortalApiProxy", "PortalApiSettings"]

#: what this connector is; its capabilities are computed from what mapper, proxy and hooks implement
METADATA = ConnectorSpec(
    id="portal_api",
    kind="portal",
    mapper=mapper,
    proxy=PortalApiProxy,
    hooks=PortalApiHooks,
    settings=PortalApiSettings,
    description="Reference customer portal (orders and amendments in; status out)",
)

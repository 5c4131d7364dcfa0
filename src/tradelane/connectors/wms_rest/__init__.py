"""The reference WMS connector (REST/JSON): order releases and expected receipts out; pick, pack, ship and
receipt confirmations and inventory snapshots in, by signed callback (Standard Webhooks) or by reading
``GET /api/v1/inventory``.

:mod:`.settings` (typed, secrets from the environment), :mod:`.mapping` (which mapping YAML and operations),
:mod:`.mapper` (pure builders and parsers), :mod:`.proxy` (HTTP only), :mod:`.hooks` (signature and
callbacks → canonical events), :mod:`.connector` (the pieces wired together). The simulator to test it
against is :mod:`tradelane.testing.simulators.wms`.
"""

from __future__ import annotations

from tradelane.ports.connector import ConnectorSpec

from . import mapper
from .connector import WmsRestConnector
from .hooks import WmsRestHooks
from .proxy import WmsRestProxy
from .settings import WmsRestSettings

__all__ = ["METADATA", "WmsRestConnector", "WmsRestHooks", "WmsRestProxy", "WmsRestSettings"]

#: what this connector is; its capabilities are computed from what mapper, proxy and hooks implement
METADATA = ConnectorSpec(
    id="wms_rest",
    kind="wms",
    mapper=mapper,
    proxy=WmsRestProxy,
    hooks=WmsRestHooks,
    settings=WmsRestSettings,
    description="Reference WMS on REST/JSON (order release and expected receipt out; pick, pack, ship, receipt, "
                "inventory in)",
)

"""The reference yard and dock scheduling connector: appointment requests and reschedules out; confirmations,
gate-in/out, door assignments and finished (un)loading in, by signed callback (Standard Webhooks).

:mod:`.settings` (typed, secrets from the environment), :mod:`.mapping` (which mapping YAML and operations),
:mod:`.mapper` (pure builders and parsers), :mod:`.proxy` (HTTP only), :mod:`.hooks` (signature and
callbacks → canonical events), :mod:`.connector` (the pieces wired together). The simulator to test it
against is :mod:`tradelane.testing.simulators.yard`.
"""

from __future__ import annotations

from tradelane.ports.connector import ConnectorSpec

from . import mapper
from .connector import YardConnector
from .hooks import YardHooks
from .proxy import YardProxy
from .settings import YardSettings

__all__ = ["METADATA", "YardConnector", "YardHooks", "YardProxy", "YardSettings"]

#: what this connector is; its capabilities are computed from what mapper, proxy and hooks implement
METADATA = ConnectorSpec(
    id="yard",
    kind="yard",
    mapper=mapper,
    proxy=YardProxy,
    hooks=YardHooks,
    settings=YardSettings,
    description="Reference yard/dock scheduling (appointments out; confirmations, gate, dock, unloading in)",
)

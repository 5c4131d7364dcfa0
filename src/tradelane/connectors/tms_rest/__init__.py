"""The reference TMS connector (REST/JSON): tenders out; acceptances with the carrier assigned, rejections,
milestones, ETA changes and freight charges in, by signed callback (Standard Webhooks).

:mod:`.settings` (typed, secrets from the environment), :mod:`.mapping` (which mapping YAML and operations),
:mod:`.mapper` (pure builders and parsers), :mod:`.proxy` (HTTP only), :mod:`.hooks` (signature and
callbacks → canonical events), :mod:`.connector` (the pieces wired together). The simulator to test it
against is :mod:`tradelane.testing.simulators.tms`.
"""

from __future__ import annotations

from tradelane.ports.connector import ConnectorSpec

from . import mapper
from .connector import TmsRestConnector
from .hooks import TmsRestHooks
from .proxy import TmsRestProxy
from .settings import TmsRestSettings

__all__ = ["METADATA", "TmsRestConnector", "TmsRestHooks", "TmsRestProxy", "TmsRestSettings"]

#: what this connector is; its capabilities are computed from what mapper, proxy and hooks implement
METADATA = ConnectorSpec(
    id="tms_rest",
    kind="tms",
    mapper=mapper,
    proxy=TmsRestProxy,
    hooks=TmsRestHooks,
    settings=TmsRestSettings,
    description="Reference TMS on REST/JSON (tender out; decisions, milestones, ETA, charges in)",
)

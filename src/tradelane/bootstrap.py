"""The one place that picks concrete adapters and wires the hub together."""

from __future__ import annotations

from dataclasses import dataclass, field

from tradelane.api.auth import Authenticator
from tradelane.core import catalog as _catalog  # noqa: F401  (registers the event types)
from tradelane.core.registry import EventTypeRegistry, registry
from tradelane.ingest.service import IngestService
from tradelane.settings import Settings
from tradelane.store.engine import make_engine, upgrade
from tradelane.store.sql import SqlStore

__all__ = ["Hub", "build_hub"]


@dataclass
class Hub:
    """Everything a running Tradelane process holds."""

    settings: Settings
    store: SqlStore
    ingest: IngestService
    authenticator: Authenticator
    registry: EventTypeRegistry = field(default_factory=lambda: registry)

    async def start(self) -> None:
        await self.ingest.start()

    async def stop(self) -> None:
        await self.ingest.stop()
        await self.store.close()


def build_hub(settings: Settings, *, migrate: bool = True) -> Hub:
    """Create the store (migrating it unless told not to), the services and the authenticator."""
    engine = make_engine(
        settings.database_url(),
        busy_timeout_ms=settings.database.sqlite_busy_timeout_ms,
        pool_size=settings.database.pool_size,
    )
    if migrate:
        upgrade(engine)
    store = SqlStore(engine, busy_timeout_ms=settings.database.sqlite_busy_timeout_ms)
    ingest = IngestService(store, group_max=settings.ingest.group_commit_max)
    return Hub(
        settings=settings,
        store=store,
        ingest=ingest,
        authenticator=Authenticator(store, settings.resolved_secret_key()),
    )

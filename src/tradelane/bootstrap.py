"""The one place that picks concrete adapters and wires the hub together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tradelane.api.auth import Authenticator
from tradelane.core import catalog as _catalog  # noqa: F401  (registers the event types)
from tradelane.core.registry import EventTypeRegistry, registry
from tradelane.ingest.service import IngestService
from tradelane.settings import Settings
from tradelane.store.engine import make_engine, upgrade
from tradelane.store.sql import SqlStore

__all__ = ["Hub", "build_hub"]

log = logging.getLogger("tradelane")
#: how often stored Idempotency-Key responses older than ``ingest.idempotency_ttl_hours`` are purged
IDEMPOTENCY_PURGE_INTERVAL_S = 600.0


@dataclass
class Hub:
    """Everything a running Tradelane process holds."""

    settings: Settings
    store: SqlStore
    ingest: IngestService
    authenticator: Authenticator
    registry: EventTypeRegistry = field(default_factory=lambda: registry)
    _housekeeping: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.ingest.start()
        self._housekeeping = asyncio.create_task(self._purge_loop(), name="tradelane-housekeeping")

    async def stop(self) -> None:
        if self._housekeeping is not None:
            self._housekeeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._housekeeping
        await self.ingest.stop()
        await self.store.close()

    async def purge_idempotency_keys(self) -> int:
        """Forget Idempotency-Key responses older than the configured TTL; returns how many."""
        cutoff = datetime.now(UTC) - timedelta(hours=self.settings.ingest.idempotency_ttl_hours)
        return await self.store.purge_idempotency(cutoff)

    async def _purge_loop(self) -> None:
        while True:
            try:
                purged = await self.purge_idempotency_keys()
                if purged:
                    log.info("purged %d expired idempotency keys", purged)
            except Exception:  # housekeeping must never take the hub down
                log.exception("idempotency purge failed")
            await asyncio.sleep(IDEMPOTENCY_PURGE_INTERVAL_S)


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

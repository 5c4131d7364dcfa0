"""The one place that picks concrete adapters and wires the hub together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tradelane.api.auth import Authenticator
from tradelane.core import catalog as _catalog  # noqa: F401  (registers the event types)
from tradelane.core.errors import ConfigError
from tradelane.core.registry import EventTypeRegistry, registry
from tradelane.delivery import breaker as brk
from tradelane.delivery.retry import DEFAULT_SCHEDULE, RetryPolicy
from tradelane.delivery.senders import CallableSender, HttpSender, Sender
from tradelane.delivery.worker import LaneConfig, Worker, WorkerConfig
from tradelane.ingest.service import IngestService
from tradelane.routing.routes import Router, RouteSpec
from tradelane.settings import Settings
from tradelane.store.audit import SqlAuditLog
from tradelane.store.engine import make_engine, upgrade
from tradelane.store.sql import SqlStore

__all__ = ["ROLES", "Hub", "build_hub", "build_router"]

#: process roles: ``all`` (embedded: API + worker), ``api``, ``worker``, ``relay``
ROLES = ("all", "api", "worker", "relay")

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
    role: str = "all"
    worker: Worker | None = None
    relay: Any = None
    bus: Any = None
    #: the hash-chained audit log (key changes, refused token requests, …)
    audit: SqlAuditLog | None = None
    _housekeeping: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.role in ("all", "api"):
            await self.ingest.start()
            self._housekeeping = asyncio.create_task(self._purge_loop(), name="tradelane-housekeeping")
        if self.bus is not None:
            await self.bus.connect()
            subjects = [e.subject for e in self.settings.endpoints.values() if e.kind == "nats"]
            if subjects:
                await self.bus.ensure_streams(subjects)
        if self.worker is not None:
            await self.worker.start()
        if self.relay is not None:
            await self.relay.start()

    async def stop(self) -> None:
        if self._housekeeping is not None:
            self._housekeeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._housekeeping
        if self.relay is not None:
            await self.relay.stop()
        if self.ingest.running:
            await self.ingest.stop()
        if self.worker is not None:
            await self.worker.stop()
        if self.bus is not None:
            await self.bus.close()
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


def build_router(settings: Settings) -> Router:
    return Router(
        [
            RouteSpec(
                name=r.name,
                events=tuple(r.events),
                destination=r.destination,
                filter=r.filter,
                lane=r.lane,
                ordered=r.ordered,
            )
            for r in settings.routes
        ]
    )


def _secrets(env: str | None) -> list[str]:
    if not env:
        return []
    return os.environ.get(env, "").split()


def build_worker(settings: Settings, store: SqlStore, bus: Any = None, dispatch: Any = None) -> Worker:
    senders: dict[str, Sender] = {}
    limits: dict[str, tuple[int, float | None]] = {}
    for name, ep in settings.endpoints.items():
        if ep.kind == "http":
            senders[name] = HttpSender(
                ep.url,
                secrets=_secrets(ep.secrets_env),
                timeout_s=ep.timeout_s,
                max_in_flight=ep.max_in_flight,
                allow=ep.allow,
                headers=ep.headers,
            )
        else:
            from tradelane.bus.nats import NatsPublisher

            if bus is None:
                raise ConfigError(f"endpoint {name!r} is a nats endpoint but bus.url is not set", key="bus.url")
            senders[name] = CallableSender(NatsPublisher(bus, ep.subject))
        limits[name] = (ep.max_in_flight, ep.rate_limit_per_s)
    d = settings.delivery
    policies = {
        r.name: RetryPolicy(
            schedule=tuple(r.retry.schedule) if r.retry.schedule else DEFAULT_SCHEDULE,
            jitter=r.retry.jitter,
            compress=d.retry_compress,
        )
        for r in settings.routes
    }
    config = WorkerConfig(
        lease_s=d.lease_s,
        poll_interval_s=d.poll_interval_s,
        claim_batch=d.claim_batch,
        lanes={"critical": LaneConfig(d.critical_concurrency), "bulk": LaneConfig(d.bulk_concurrency)},
        breaker=brk.BreakerPolicy(
            failure_threshold=d.breaker.failure_threshold,
            cool_down=timedelta(seconds=d.breaker.cool_down_s),
            cool_down_max=max(timedelta(hours=1), timedelta(seconds=d.breaker.cool_down_s)),
            disable_after=timedelta(hours=d.breaker.disable_after_hours),
        ),
    )
    return Worker(store, senders, policies, config, endpoint_limits=limits, dispatch=dispatch)


def build_hub(settings: Settings, *, migrate: bool = True, role: str = "all") -> Hub:
    """Create the store (migrating it unless told not to), the services and the authenticator.

    ``role`` picks what this process runs: ``all`` (embedded mode: API, ingest and a delivery worker that
    polls the database), ``api``, ``worker`` (with ``bus.url`` set it takes dispatches from NATS JetStream,
    otherwise it polls the database) or ``relay`` (outbox → NATS JetStream).
    """
    if role not in ROLES:
        raise ConfigError(f"unknown role {role!r}; use one of {', '.join(ROLES)}", key="role")
    engine = make_engine(
        settings.database_url(),
        busy_timeout_ms=settings.database.sqlite_busy_timeout_ms,
        pool_size=settings.database.pool_size,
    )
    if migrate:
        upgrade(engine)
    store = SqlStore(engine, busy_timeout_ms=settings.database.sqlite_busy_timeout_ms)
    router = build_router(settings)
    ingest = IngestService(store, group_max=settings.ingest.group_commit_max, router=router or None)
    bus = None
    sends_to_nats = any(e.kind == "nats" for e in settings.endpoints.values())
    needs_bus = role == "relay" or (role == "worker" and bool(settings.bus.url)) or (
        role in ("all", "worker") and sends_to_nats
    )
    if needs_bus:
        if not settings.bus.url:
            raise ConfigError("this role needs a NATS server: set bus.url", key="bus.url")
        from tradelane.bus.nats import NatsBus

        bus = NatsBus(settings.bus.url, settings.bus.stream)
    worker = None
    relay = None
    if role in ("all", "worker"):
        dispatch = None
        if role == "worker" and settings.bus.url:
            from tradelane.bus.nats import NatsDispatch

            assert bus is not None
            dispatch = NatsDispatch(bus, ack_wait_s=settings.delivery.lease_s)
        worker = build_worker(settings, store, bus, dispatch)
        if role == "all":
            ingest.on_commit = worker.wake
    if role == "relay":
        from tradelane.bus.nats import Relay

        assert bus is not None
        relay = Relay(store, bus, dispatch_lease_s=settings.delivery.lease_s)
    return Hub(
        settings=settings,
        store=store,
        ingest=ingest,
        authenticator=Authenticator(store, settings.resolved_secret_key()),
        role=role,
        worker=worker,
        relay=relay,
        bus=bus,
        audit=SqlAuditLog(store),
    )

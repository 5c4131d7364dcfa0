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
from tradelane.connectors.registry import build_partner_hooks
from tradelane.core import catalog as _catalog  # noqa: F401  (registers the event types)
from tradelane.core.errors import ConfigError
from tradelane.core.registry import EventTypeRegistry, registry
from tradelane.delivery import breaker as brk
from tradelane.delivery.retry import DEFAULT_SCHEDULE, RetryPolicy
from tradelane.delivery.senders import CallableSender, HttpSender, Sender
from tradelane.delivery.worker import LaneConfig, Worker, WorkerConfig
from tradelane.flows.runtime import FlowRuntime, RuntimeConfig
from tradelane.flows.spec import FlowSpec, SlaSpec
from tradelane.ingest.service import IngestService
from tradelane.ports.flows import ExceptionView, MirrorOutcome
from tradelane.routing.ownership import OwnershipMatrix, ReceiveFilter, SystemRef
from tradelane.routing.routes import Router, RouteSpec
from tradelane.security.audit import config_fingerprint
from tradelane.security.vault import SecretSource, secret_source
from tradelane.settings import Settings
from tradelane.store.audit import SqlAuditLog
from tradelane.store.engine import make_engine, upgrade
from tradelane.store.sql import SqlStore
from tradelane.store.xref import SqlXrefStore

__all__ = [
    "ROLES",
    "Hub",
    "OdooExceptionMirror",
    "build_edi",
    "build_exception_mirror",
    "build_flows",
    "build_hub",
    "build_router",
    "flow_specs",
]

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
    #: secrets by name: the environment, then the encrypted vault (``tradelane.security.vault``)
    secrets: SecretSource | None = None
    #: exceptions, conflicts, SLA timers, flow catalogue and batch scheduler; its loops run in ``all``/``api``
    flows: FlowRuntime | None = None
    #: the business flows (``tradelane.bootstrap_flows.BusinessFlows``): outbound, settlement …
    business: Any = None
    #: EDI: partner book, file-drop poll, outbound interchanges and the missing-ack check (``build_edi``)
    edi: Any = None
    #: webhook senders posting their own documents: name → the hooks mapping them (``hooks.<name>.connector``)
    partner_hooks: dict[str, Any] = field(default_factory=dict)
    #: the cross references partner value ↔ canonical id ↔ Odoo id (``/v1/xref``, the mappings' lookups)
    xrefs: Any = None
    #: alert rules (``observability.alerts_file``, ``tradelane.observability.alerts.AlertEngine``); runs in
    #: ``all``/``api``
    alerts: Any = None
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
        if self.flows is not None and self.role in ("all", "api"):
            await self.flows.start()
        if self.edi is not None and self.role in ("all", "api"):
            await self.edi.start()
        if self.alerts is not None and self.role in ("all", "api"):
            await self.alerts.start()
        if self.audit is not None:  # the configuration in force, so a change shows in the audit chain
            await self.audit.append(actor="system", action="hub.started",
                                    detail={"role": self.role, **config_fingerprint(self.settings)})

    async def stop(self) -> None:
        if self.alerts is not None:
            await self.alerts.stop()
        if self.edi is not None:
            await self.edi.stop()
        if self.flows is not None:
            await self.flows.stop()
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
        from tradelane.observability import tracing

        await asyncio.to_thread(tracing.flush)  # spans still buffered would die with the process

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


def _secrets(env: str | None, source: SecretSource | None = None) -> list[str]:
    if not env:
        return []
    # the environment, then the encrypted vault (``tradelane secrets set NAME``)
    return (source.get(env) if source is not None else os.environ.get(env, "")).split()


def build_worker(
    settings: Settings, store: SqlStore, bus: Any = None, dispatch: Any = None, edi: Any = None,
    business: Any = None,
) -> Worker:
    senders: dict[str, Sender] = {}
    limits: dict[str, tuple[int, float | None]] = {}
    source = secret_source(settings, store)
    for name, ep in settings.endpoints.items():
        if ep.kind == "http":
            senders[name] = HttpSender(
                ep.url,
                secrets=_secrets(ep.secrets_env, source),
                timeout_s=ep.timeout_s,
                max_in_flight=ep.max_in_flight,
                allow=ep.allow,
                headers=ep.headers,
                pricing_read=ep.pricing_read,
            )
        elif ep.kind == "odoo":
            senders[name] = CallableSender(_OdooDestination(odoo_connection(), ep.odoo).deliver)
        elif ep.kind == "edi":
            assert ep.edi is not None  # the settings validator requires it
            hub_edi = edi if edi is not None else build_edi(settings, store)
            senders[name] = CallableSender(hub_edi.destination(ep.edi.partner, ep.edi.document, endpoint=name).deliver)
        elif ep.kind == "flow":
            from tradelane.bootstrap_flows import BusinessFlows

            assert ep.flow is not None  # the settings validator requires it
            senders[name] = CallableSender((business or BusinessFlows()).handler(ep.flow))
        else:
            from tradelane.bus.nats import NatsPublisher

            if bus is None:
                raise ConfigError(f"endpoint {name!r} is a nats endpoint but bus.url is not set", key="bus.url")
            senders[name] = CallableSender(NatsPublisher(bus, ep.subject, pricing_read=ep.pricing_read))
        limits[name] = (ep.max_in_flight, ep.rate_limit_per_s)
    if settings.ownership.get("receive"):  # the system-of-record matrix: a destination gets only what it may
        matrix = OwnershipMatrix.from_config(settings.ownership)
        senders = {
            name: ReceiveFilter(sender, matrix, SystemRef(name, settings.endpoints[name].kind))
            for name, sender in senders.items()
        }
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
        breaker=breaker_policy(settings),
    )
    return Worker(store, senders, policies, config, endpoint_limits=limits, dispatch=dispatch)


def breaker_policy(settings: Settings) -> brk.BreakerPolicy:
    """The circuit breaker policy of ``delivery.breaker`` (workers and the relay must agree on it)."""
    b = settings.delivery.breaker
    return brk.BreakerPolicy(
        failure_threshold=b.failure_threshold,
        cool_down=timedelta(seconds=b.cool_down_s),
        cool_down_max=max(timedelta(hours=1), timedelta(seconds=b.cool_down_s)),
        disable_after=timedelta(hours=b.disable_after_hours),
    )


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
    store.resequence = {r.name: r.resequence_s for r in settings.routes if r.ordered and r.resequence_s}
    if settings.ownership.get("entities"):  # the system-of-record matrix, applied to inbound events at ingest
        store.ownership = OwnershipMatrix.from_config(settings.ownership)
    router = build_router(settings)
    ingest = IngestService(store, group_max=settings.ingest.group_commit_max, router=router or None)
    ingest.screen = settings.staleness.enabled
    xrefs = SqlXrefStore(engine)
    partner_hooks = build_partner_hooks(settings.hooks, xrefs)
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
    edi = build_edi(settings, store, ingest)
    from tradelane.bootstrap_flows import BusinessFlows, build_business_flows

    business = BusinessFlows()
    worker = None
    relay = None
    if role in ("all", "worker"):
        dispatch = None
        if role == "worker" and settings.bus.url:
            from tradelane.bus.nats import NatsDispatch

            assert bus is not None
            dispatch = NatsDispatch(bus, ack_wait_s=settings.delivery.lease_s)
        worker = build_worker(settings, store, bus, dispatch, edi=edi, business=business)
        if role == "all":
            ingest.on_commit = worker.wake_after_ingest
            store.ingest_claimer = worker  # claims inside the ingest transaction (see IngestClaimer)
    if role == "relay":
        from tradelane.bus.nats import Relay

        assert bus is not None
        relay = Relay(store, bus, dispatch_lease_s=settings.delivery.lease_s, breaker=breaker_policy(settings))
    hub = Hub(
        settings=settings,
        store=store,
        ingest=ingest,
        authenticator=Authenticator(store, settings.resolved_secret_key()),
        role=role,
        worker=worker,
        relay=relay,
        bus=bus,
        audit=SqlAuditLog(store),
        secrets=secret_source(settings, store),
        flows=build_flows(settings, store),
        partner_hooks=partner_hooks,
        xrefs=xrefs,
        edi=edi,
    )
    from tradelane.observability.alerts import build_alert_engine
    from tradelane.store.alerts import SqlAlertStates

    hub.alerts = build_alert_engine(settings, store, hub.flows, states=SqlAlertStates(store))
    if hub.flows is not None:  # overdue EDI acknowledgments open exceptions through the flow runtime
        edi.exceptions = hub.flows.exceptions
        # the business flows (outbound, settlement …) named by ``flow`` endpoints and batch flows
        hub.business = build_business_flows(settings, store, engine, ingest, hub.flows.exceptions, hub.flows,
                                            into=business)
    return hub


def flow_specs(settings: Settings) -> list[FlowSpec]:
    """The flow catalogue of ``settings`` in the runtime's terms (settings validated every field already)."""
    out = []
    for name, f in settings.flows.items():
        slas = tuple(
            SlaSpec.build(
                flow=name, name=s.name, start=s.start, stop=s.stop, within=s.within, key=s.key,
                severity=s.severity, owner_team=s.owner or f.owner_team, entity_kind=s.entity,
                where=s.where, start_where=s.start_where, stop_where=s.stop_where, stop_key=s.stop_key,
                due_at=s.due_at,
            )
            for s in f.slas
        )
        out.append(
            FlowSpec(
                name=name, description=f.description, mode=f.mode, cron=f.cron, owner_team=f.owner_team,
                dlq=f.dlq, retry_schedule=tuple(f.retry.schedule or DEFAULT_SCHEDULE), slas=slas,
            )
        )
    return out


class OdooExceptionMirror:
    """Mirrors exceptions into Odoo: an open exception becomes a to-do activity on the entity's record, an
    acknowledgement a chatter note, a resolution marks the activity done with the resolution as feedback.

    The record is ``links.odoo = {model, id}`` when the exception carries it; otherwise the record of
    :data:`ENTITY_MODELS` whose ``name`` is the entity id (``SO042``, ``WH/OUT/00042``). Every call is
    idempotent (the connector marks what it writes with the exception id).
    """

    #: entity kind → Odoo model searched by ``name``
    ENTITY_MODELS = {
        "order": "sale.order",
        "shipment": "stock.picking",
        "receipt": "stock.picking",
        "return": "stock.picking",
        "purchase": "purchase.order",
        "carrier_invoice": "account.move",
    }

    def __init__(self, odoo_settings: Any, *, client: Any = None) -> None:
        self._settings = odoo_settings
        self._client = client
        self._own = client is None
        self._lock = asyncio.Lock()

    async def _odoo(self) -> Any:
        async with self._lock:
            if self._client is None:
                from tradelane.connectors.odoo import OdooClient

                self._client = await OdooClient(self._settings).connect()
            return self._client

    async def close(self) -> None:
        if self._own and self._client is not None:
            await self._client.close()
            self._client = None

    async def _record(self, client: Any, exc: ExceptionView) -> Any:
        from tradelane.connectors.odoo import RecordRef

        ref = exc.links.get("odoo")
        if isinstance(ref, dict) and ref.get("model") and isinstance(ref.get("id"), int):
            return RecordRef(str(ref["model"]), int(ref["id"]))
        model = self.ENTITY_MODELS.get(exc.entity_kind)
        if model is None:
            return None
        from tradelane.connectors.odoo import find_named_record

        # by name, or a picking by the canonical id made from its name (an SLA timer's ``shp_wh_out_00007``)
        return await find_named_record(client, model, exc.entity_id)

    async def mirror(self, exception: ExceptionView) -> MirrorOutcome:
        from tradelane.connectors.odoo import (
            ActivityRequest,
            NoteRequest,
            close_activity,
            open_activity,
            post_note,
        )

        client = await self._odoo()
        record = await self._record(client, exception)
        if record is None:
            return MirrorOutcome("skipped", detail=f"no Odoo record for {exception.entity_kind} {exception.entity_id}")
        opened = await open_activity(
            client,
            ActivityRequest(
                record=record,
                summary=f"[{exception.severity}] {exception.summary}"[:250],
                hub_event_id=exception.id,
                note=f"{exception.type} · owner {exception.owner_team}\n{exception.detail or ''}".strip(),
            ),
        )
        ref = f"{record.model}:{record.res_id}:mail.activity:{opened.activity_id}"
        if exception.status == "acknowledged":
            await post_note(
                client, NoteRequest(record, f"Exception {exception.id} acknowledged", f"{exception.id}#ack")
            )
        elif exception.status == "resolved":
            await close_activity(client, record, exception.id, feedback=exception.resolution or "resolved")
        return MirrorOutcome("done", ref=ref)


def odoo_connection() -> Any:
    """The Odoo connection settings from ``TRADELANE_ODOO_*`` (a clear config error naming the variable)."""
    from pydantic import ValidationError

    from tradelane.connectors.odoo import OdooSettings

    try:
        return OdooSettings()
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ConfigError(f"Odoo connection: {err['msg']}", key="TRADELANE_ODOO_" + str(err["loc"][0]).upper()) from exc


class _OdooDestination:
    """An ``odoo`` endpoint: connects on first use, then applies each delivered event (see OdooApplier)."""

    def __init__(self, odoo_settings: Any, apply: Any) -> None:
        self._settings = odoo_settings
        self._apply = apply
        self._applier: Any = None
        self._lock = asyncio.Lock()

    async def deliver(self, delivery: Any) -> None:
        async with self._lock:
            if self._applier is None:
                from tradelane.connectors.odoo import OdooClient
                from tradelane.connectors.odoo.applier import ApplyPolicy, OdooApplier

                client = await OdooClient(self._settings).connect()
                policy = ApplyPolicy(
                    backorder=self._apply.backorder,
                    invoice_on=self._apply.invoice_on,
                    milestone_notes=self._apply.milestone_notes,
                )
                self._applier = OdooApplier(client, policy)
        await self._applier.deliver(delivery)


def build_exception_mirror(settings: Settings) -> OdooExceptionMirror | None:
    """The Odoo mirror when an Odoo connection is configured (``TRADELANE_ODOO_URL``) and mirroring is on."""
    if not settings.flow_runtime.mirror_to_odoo or not os.environ.get("TRADELANE_ODOO_URL"):
        return None
    return OdooExceptionMirror(odoo_connection())


def build_flows(settings: Settings, store: SqlStore, mirror: Any = None) -> FlowRuntime:
    """The flow runtime over ``store``; ``mirror`` overrides the Odoo mirror chosen from the environment.

    Connect the ``sla_breaches_total{flow,sla}`` counter with ``hub.flows.sla.on_breach = fn(flow, sla)``.
    """
    rt = settings.flow_runtime
    chosen = mirror if mirror is not None else build_exception_mirror(settings)
    return FlowRuntime(
        store,
        flow_specs(settings),
        mirror=chosen,
        config=RuntimeConfig(
            loops=rt.enabled, sla_interval_s=rt.sla_interval_s, mirror_interval_s=rt.mirror_interval_s,
            settle_s=rt.settle_s, sla_from_history=rt.sla_from_history,
        ),
        on_close=getattr(chosen, "close", None),
        on_breach=_count_breach,
    )


def build_edi(settings: Settings, store: SqlStore, ingest: Any = None) -> Any:
    """The hub's EDI (:class:`tradelane.edi.hub.EdiHub`): the partner book of ``edi.partners_file`` (or the
    built-in samples), the channel folders of ``edi.filedrop`` and the EDI tables of ``store``'s database.

    :raises ConfigError: a bad partner file, or a folder setting naming an unknown partner
    """
    from tradelane.edi.hub import EdiHub
    from tradelane.edi.partners import builtin_partners, load_partners
    from tradelane.store.edi import SqlEdiStore

    cfg = settings.edi
    book = load_partners(cfg.partners_file) if cfg.partners_file else builtin_partners()
    drop = cfg.filedrop
    channels = {p.id: drop.root / p.id for p in book} if drop.root is not None else {}
    channels.update(drop.folders)
    return EdiHub(
        book,
        SqlEdiStore(store.engine),
        channels=channels,
        polled=drop.partners or list(channels),
        tenant=drop.tenant,
        ingest=ingest,
        poll_seconds=drop.poll_seconds,
        ack_check_seconds=cfg.ack_check_seconds,
    )


def _count_breach(flow: str, sla: str) -> None:
    from tradelane.observability.metrics import SLA_BREACHES

    SLA_BREACHES.labels(flow=flow, sla=sla).inc()

"""Configuration: one YAML file plus environment overrides, validated by pydantic-settings.

Precedence (highest first): environment variables ``TRADELANE_<SECTION>__<KEY>`` → the YAML file named by
``--config`` or ``TRADELANE_CONFIG`` → built-in embedded defaults (SQLite under ``./.tradelane``, no broker).

Secrets are never read from the YAML: ``secret_key`` comes from ``TRADELANE_SECRET_KEY`` or from the file
named by ``TRADELANE_SECRET_KEY_FILE``; in embedded mode, when neither is set, a random key is created once in
the data directory (mode 0600). :func:`load_settings` points at the offending key *and line* of the YAML.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from tradelane.core.errors import ConfigError

__all__ = [
    "ApiSettings",
    "BusSettings",
    "DatabaseSettings",
    "DeliverySettings",
    "EndpointSettings",
    "FlowRuntimeSettings",
    "FlowSettings",
    "HookSettings",
    "IngestSettings",
    "RouteSettings",
    "SecuritySettings",
    "Settings",
    "SlaSettings",
    "StalenessSettings",
    "load_settings",
]

#: where embedded mode keeps its database and generated key, relative to the working directory
DEFAULT_DATA_DIR = Path(".tradelane")
#: keys that hold secrets and are refused in the YAML file
SECRET_KEYS = frozenset({"secret_key", "password", "api_key", "token", "webhook_secret"})


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DatabaseSettings(_Section):
    #: SQLAlchemy URL; ``sqlite:///path`` (embedded) or ``postgresql+psycopg://user@host/db``.
    #: Empty means ``sqlite:///<data_dir>/tradelane.db``.
    url: str = ""
    #: SQLite busy timeout, milliseconds
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0)
    #: connection pool size for PostgreSQL
    pool_size: int = Field(default=10, ge=1, le=200)


class ApiSettings(_Section):
    #: interface the HTTP API listens on
    host: str = "127.0.0.1"
    #: TCP port of the HTTP API
    port: int = Field(default=8080, ge=0, le=65535)
    #: largest accepted request body, bytes
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    #: deepest accepted JSON nesting
    max_json_depth: int = Field(default=32, ge=4, le=256)
    #: most events in one batch request
    max_batch_events: int = Field(default=500, ge=1, le=10_000)
    #: longest JSON array anywhere in an ingested document (order lines, stops, …)
    max_array_items: int = Field(default=10_000, ge=10, le=1_000_000)
    #: default and maximum page sizes for list endpoints
    default_page_size: int = Field(default=50, ge=1)
    max_page_size: int = Field(default=500, ge=1)


class IngestSettings(_Section):
    #: most events committed in one group-commit transaction
    group_commit_max: int = Field(default=512, ge=1, le=10_000)
    #: how long an Idempotency-Key's stored response is kept, hours
    idempotency_ttl_hours: int = Field(default=24, ge=1)


class RetrySettings(_Section):
    #: delays in seconds before retry 1, 2, …; empty = the default Svix schedule (5 s … 10 h)
    schedule: list[float] = Field(default_factory=list)
    #: relative jitter of each delay (0.2 = ±20 %)
    jitter: float = Field(default=0.2, ge=0.0, lt=1.0)


class EdiEndpointSettings(_Section):
    """Where an ``edi`` endpoint writes (the partner's folders come from ``edi.filedrop``)."""

    #: partner id in the EDI partner book (``edi.partners_file``)
    partner: str = Field(min_length=1, max_length=40)
    #: document type written for each event: ``204`` / ``940`` / ``990`` … (X12), ``IFTMIN`` … (EDIFACT)
    document: str = Field(min_length=3, max_length=10)


class OdooApplySettings(_Section):
    """How canonical events are applied to Odoo by an ``odoo`` endpoint (see connectors/odoo/applier.py)."""

    #: a partial shipment or receipt keeps the rest as a backorder (else the rest is cancelled)
    backorder: bool = True
    #: when the customer invoice is created and posted: on proof of delivery, on shipment, or never
    invoice_on: Literal["pod", "shipment", "never"] = "pod"
    #: post shipment milestones in the delivery order's chatter
    milestone_notes: bool = True


class EndpointSettings(_Section):
    """A destination deliveries are sent to."""

    #: ``http`` (a webhook, signed per Standard Webhooks), ``nats`` (a JetStream subject) or ``odoo`` (events
    #: applied to the Odoo of ``TRADELANE_ODOO_URL``/``_DB``/``_USER``/``_PASSWORD``: ship confirmations,
    #: receipts, milestones as chatter notes, POD documents, invoices) or ``edi`` (each event written as one
    #: interchange to an EDI partner's ``outbound/`` folder, its acknowledgment then awaited)
    kind: Literal["http", "nats", "odoo", "edi", "flow"] = "http"
    #: ``odoo`` endpoints: how events are applied (``flow`` endpoints: how the flow applies them to Odoo)
    odoo: OdooApplySettings = OdooApplySettings()
    #: ``flow`` endpoints: the business flow (a name in ``flows``) whose steps the routed events drive
    flow: str | None = Field(default=None, min_length=1, max_length=100)
    #: ``edi`` endpoints: the partner and the document type
    edi: EdiEndpointSettings | None = None
    #: URL of an ``http`` endpoint (checked by the outbound URL guard)
    url: str = ""
    #: subject of a ``nats`` endpoint
    subject: str = ""
    #: environment variable holding the endpoint's signing secret(s), ``whsec_…``, space-separated while
    #: rotating (every active secret signs); unset = unsigned
    secrets_env: str | None = None
    #: request timeout, seconds
    timeout_s: float = Field(default=10.0, gt=0, le=120)
    #: most requests per second to this endpoint from one worker process (none = unlimited)
    rate_limit_per_s: float | None = Field(default=None, gt=0)
    #: most deliveries in flight to this endpoint per worker process (head-of-line protection)
    max_in_flight: int = Field(default=16, ge=1, le=1000)
    #: on-premise partners: hosts or CIDRs allowed although private/loopback (explicit opt-in)
    allow: list[str] = Field(default_factory=list)
    #: extra static request headers
    headers: dict[str, str] = Field(default_factory=dict)
    #: the receiver holds ``pricing:read``: prices and costs are sent (default: removed from the payload)
    pricing_read: bool = False

    @model_validator(mode="after")
    def _target(self) -> EndpointSettings:
        if self.kind == "http" and not self.url:
            raise ValueError("an http endpoint needs a url")
        if self.kind == "nats" and not self.subject:
            raise ValueError("a nats endpoint needs a subject")
        if self.kind == "flow" and not self.flow:
            raise ValueError("a flow endpoint needs flow: <name of a flow in the catalogue>")
        if self.kind == "edi" and self.edi is None:
            raise ValueError("an edi endpoint needs edi: {partner: ..., document: ...}")
        return self


class RouteSettings(_Section):
    """Event type(s) + filter → destination."""

    #: unique route name (recorded on every delivery)
    name: str = Field(min_length=1, max_length=100)
    #: event types, ``fnmatch`` patterns (``tradelane.shipment.*``)
    events: list[str] = Field(min_length=1)
    #: JMESPath expression over the CloudEvent (``data.warehouse == 'WH1'``); falsy → filtered, with reason
    filter: str | None = None
    #: name of an entry in ``endpoints``
    destination: str
    #: ``critical`` or ``bulk``: separate worker pools, so bulk traffic never delays critical traffic
    lane: Literal["critical", "bulk"] = "critical"
    #: deliver strictly in sequence per partition key (e.g. shipment id) to this destination
    ordered: bool = False
    #: resequencing (ordered routes): hold a delivery up to this many seconds for its missing predecessor
    #: (``sequence - 1`` of the same source and key); 0 = deliver in arrival order
    resequence_s: float = Field(default=0.0, ge=0, le=3600)
    retry: RetrySettings = RetrySettings()

    @model_validator(mode="after")
    def _resequence_needs_order(self) -> RouteSettings:
        if self.resequence_s and not self.ordered:
            raise ValueError("resequence_s needs ordered: true (a key is held in order)")
        return self

    @field_validator("filter")
    @classmethod
    def _compiles(cls, v: str | None) -> str | None:
        if v is not None:
            import jmespath
            from jmespath.exceptions import JMESPathError

            try:
                jmespath.compile(v)
            except JMESPathError as exc:
                raise ValueError(f"not a valid JMESPath expression: {exc}") from None
        return v


class BreakerSettings(_Section):
    #: consecutive failures that open an endpoint's breaker
    failure_threshold: int = Field(default=5, ge=1)
    #: first cool-down once open, seconds
    cool_down_s: float = Field(default=30.0, gt=0)
    #: continuous failure for this long disables the endpoint (notified), hours
    disable_after_hours: float = Field(default=120.0, gt=0)


class DeliverySettings(_Section):
    #: how long a claimed delivery stays leased to a worker, seconds (must exceed endpoint timeouts)
    lease_s: float = Field(default=30.0, gt=0)
    #: how often an idle worker looks for due deliveries, seconds (new events also wake it at once)
    poll_interval_s: float = Field(default=0.5, gt=0)
    #: most deliveries claimed in one query
    claim_batch: int = Field(default=64, ge=1, le=1000)
    #: concurrent sends per worker process for the critical and the bulk lane
    critical_concurrency: int = Field(default=64, ge=1, le=2000)
    bulk_concurrency: int = Field(default=16, ge=1, le=2000)
    #: factor applied to every retry delay and Retry-After (tests and chaos runs use e.g. 1/60)
    retry_compress: float = Field(default=1.0, gt=0, le=1.0)
    breaker: BreakerSettings = BreakerSettings()


class HookSettings(_Section):
    """An inbound webhook sender at ``/v1/hooks/{name}``."""

    #: ``standard`` (Standard Webhooks), ``github`` (X-Hub-Signature-256) or ``stripe`` (Stripe-Signature)
    scheme: Literal["standard", "github", "stripe"] = "standard"
    #: environment variable with the secret(s): ``whsec_…`` secrets space-separated while rotating; GitHub and
    #: Stripe secrets (which may contain spaces) one per line
    secrets_env: str
    #: tenant the events belong to
    tenant: str = Field(min_length=1, max_length=100)
    #: accepted clock skew, seconds
    tolerance_s: int = Field(default=300, ge=1, le=3600)
    #: a partner posting its own documents (not CloudEvents): the connector whose hooks map them
    #: (``wms_rest``, ``tms_rest``, ``carrier_webhook``, ``yard``, ``portal_api`` or an installed one)
    connector: str | None = Field(default=None, min_length=1, max_length=100)
    #: that partner's mapping file (a path, or a shipped template name); default: the connector's template.
    #: A mapping without a connector maps every inbound operation the file declares
    mapping: str | None = Field(default=None, min_length=1)
    #: a partner document whose only problem is a missing cross reference (an aggregate that may still
    #: appear) is answered ``503`` + ``Retry-After`` for this many seconds after this hub first refused its
    #: webhook id, then ``422`` like any mapping error; ``0`` = ``422`` at once
    xref_wait_s: int = Field(default=900, ge=0, le=86_400)


class StalenessSettings(_Section):
    """Stale and out-of-order events (``tradelane.routing.staleness``), decided per aggregate at ingest."""

    #: drop exact duplicates (same type and payload under another id), keep late events in the history
    #: flagged ``late:<reason>`` with their deliveries filtered, never let a terminal status regress
    enabled: bool = False


class BusSettings(_Section):
    #: NATS URL for distributed mode (``nats://127.0.0.1:4222``); empty = no broker (workers poll the DB)
    url: str = ""
    #: JetStream stream carrying dispatch messages
    stream: str = "TRADELANE"


class RateLimitSettings(_Section):
    #: sustained requests per second one credential may make (the bucket's refill rate)
    per_s: float = Field(default=5000.0, gt=0)
    #: requests one credential may make at once above the sustained rate (the bucket's size)
    burst: int = Field(default=10_000, ge=1)


class SecuritySettings(_Section):
    #: lifetime of OAuth2 access tokens, seconds
    token_ttl_s: int = Field(default=900, ge=30, le=86_400)
    #: ``iss`` of the access tokens this hub issues (checked on every request)
    token_issuer: str = Field(default="tradelane", min_length=1, max_length=200)
    #: ``aud`` of the access tokens this hub issues (checked on every request)
    token_audience: str = Field(default="tradelane-api", min_length=1, max_length=200)
    #: how long a rotated API key keeps working next to its successor, seconds
    key_rotation_overlap_s: int = Field(default=86_400, ge=0)
    #: per-credential rate limits (token buckets in memory, per process); false turns them off
    rate_limit_enabled: bool = True
    #: the limit of every credential, unless one below applies
    rate_limit: RateLimitSettings = RateLimitSettings()
    #: limits of requests that need a given scope (``events:read``): a separate bucket per credential
    rate_limit_scopes: dict[str, RateLimitSettings] = Field(default_factory=dict)
    #: limits of particular credentials, by key id: one bucket for all their requests
    rate_limit_keys: dict[str, RateLimitSettings] = Field(default_factory=dict)


class ObservabilitySettings(_Section):
    #: log line format: ``json`` (one JSON object per line, with trace and correlation ids) or ``text``
    log_format: Literal["json", "text"] = "json"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    #: serve Prometheus metrics at ``/metrics``
    metrics_enabled: bool = True
    #: OpenTelemetry span export: ``none``, ``console`` (stderr) or ``otlp`` (HTTP, to ``otlp_endpoint``)
    traces_exporter: Literal["none", "console", "otlp"] = "none"
    otlp_endpoint: str = ""
    service_name: str = Field(default="tradelane", min_length=1, max_length=100)
    #: alert rules YAML (rules on metrics and SLA breaches → webhook, e-mail, log; see
    #: ``tradelane.observability.alerts``); unset = no alerts
    alerts_file: Path | None = None


class EdiFileDropSettings(_Section):
    """The partners' file-drop folders: ``inbound/`` (polled), ``outbound/``, ``archive/``, ``error/``."""

    #: base folder: each partner's channel is ``<root>/<partner id>/``; unset = only the partners in ``folders``
    root: Path | None = None
    #: partner id → its own channel folder (overrides ``root``)
    folders: dict[str, Path] = Field(default_factory=dict)
    #: the partners whose ``inbound/`` the hub polls; empty = every partner that has a channel folder
    partners: list[str] = Field(default_factory=list)
    #: seconds between polls of the inbound folders
    poll_seconds: float = Field(default=10.0, gt=0, le=3600)
    #: tenant the events of dropped files are stored under (the tenant of an upload's API key, over HTTP)
    tenant: str = Field(default="hub", min_length=1, max_length=100)


class EdiSettings(_Section):
    #: EDI trading partners YAML (ids, qualifiers, versions, acknowledgments; see src/tradelane/edi/README.md);
    #: unset = the built-in sample partners
    partners_file: Path | None = None
    #: file-drop folders, polled by the hub (roles ``all`` and ``api``)
    filedrop: EdiFileDropSettings = EdiFileDropSettings()
    #: seconds between scans for outbound interchanges whose acknowledgment is overdue (the partner's
    #: ``ack.within_minutes``); each opens an exception
    ack_check_seconds: float = Field(default=60.0, gt=0, le=3600)


class BoardSettings(_Section):
    #: the milestone SLA of the business board: a shipment not delivered and not updated for this many hours
    #: counts as "no milestone beyond SLA"
    silent_after_h: float = Field(default=24.0, gt=0, le=24 * 366)
    #: seconds the computed business board and charts are reused for every operator (``tradelane.web.cache``);
    #: any control-tower action drops them; 0 computes them on every request
    cache_ttl_s: float = Field(default=10.0, ge=0, le=300)


class WebSettings(_Section):
    #: serve the control tower at ``/ui`` and the customer portal at ``/portal``
    enabled: bool = True
    #: thresholds of the business board
    board: BoardSettings = BoardSettings()
    #: whom a portal key speaks for: ``tenant`` (its tenant's own events) or ``customer`` (the key's tenant is
    #: a customer's canonical party id, the Odoo partner: its orders, the shipments of those orders, and order
    #: submission)
    portal_scope: Literal["tenant", "customer"] = "tenant"
    #: session cookie lifetime, seconds
    session_ttl_s: int = Field(default=8 * 3600, ge=60, le=7 * 86_400)
    #: send the session cookie only over HTTPS (turn on behind TLS)
    secure_cookies: bool = False


#: an event type named by an SLA: ``tradelane.order.released.v1`` (exact, no wildcards)
_EVENT_TYPE = r"^[a-z0-9_-]+(\.[a-z0-9_-]+)+$"
#: flow and SLA names
_FLOW_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"


class SlaSettings(_Section):
    """One SLA of a flow: a start event arms a timer per key; a stop event within ``within`` meets it."""

    #: unique within the flow, e.g. ``wms-ack``
    name: str = Field(pattern=_FLOW_NAME)
    #: event type(s) that start the timer
    start: list[str] = Field(min_length=1)
    #: event type(s) that stop it
    stop: list[str] = Field(min_length=1)
    #: how long may pass between start and stop: ``90s``, ``15m``, ``4h``, ``1h30m``, ``2d`` (with ``due_at``:
    #: grace after the due time; one of the two is required)
    within: str | None = None
    #: what identifies one timer: ``subject``, ``partitionkey``, ``correlationid`` or a JMESPath expression
    #: over ``{type, source, subject, partitionkey, correlationid, tenant, data}`` (e.g. ``data.order_id``)
    key: str = "subject"
    #: the key of stop events when they name the entity differently (default: ``key``); a list result stops
    #: one timer per element (``data.invoice.shipment_refs``)
    stop_key: str | None = None
    #: scope: a JMESPath condition over the same document that start and stop events must meet to be timed
    #: (e.g. ``tenant == 'hub' && source == 'urn:tradelane:flow:outbound'``)
    where: str | None = None
    #: scope of start events only (e.g. ``data.event.milestone == 'delivered'``)
    start_where: str | None = None
    #: scope of stop events only
    stop_where: str | None = None
    #: the due time read from the start event, a JMESPath expression yielding an ISO 8601 time (``data.new_eta``);
    #: a later start with a new due time moves the timer
    due_at: str | None = None
    #: severity of the exception a breach opens
    severity: Literal["low", "medium", "high", "critical"] = "high"
    #: team owning breaches (default: the flow's ``owner_team``)
    owner: str | None = Field(default=None, min_length=1, max_length=100)
    #: entity kind of the timer's key (default: from the start event type, ``tradelane.order.…`` → ``order``)
    entity: str | None = Field(default=None, min_length=1, max_length=40)

    @field_validator("start", "stop", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    @field_validator("start", "stop")
    @classmethod
    def _event_types(cls, v: list[str]) -> list[str]:
        import re

        for t in v:
            if not re.match(_EVENT_TYPE, t):
                raise ValueError(f"{t!r} is not an event type such as tradelane.order.released.v1")
        return v

    @field_validator("within")
    @classmethod
    def _duration(cls, v: str | None) -> str | None:
        from tradelane.flows.spec import parse_duration

        if v is not None:
            parse_duration(v)
        return v

    @field_validator("key", "stop_key")
    @classmethod
    def _key(cls, v: str | None) -> str | None:
        from tradelane.flows.spec import compile_key

        if v is not None:
            compile_key(v)
        return v

    @field_validator("where", "start_where", "stop_where")
    @classmethod
    def _scope(cls, v: str | None) -> str | None:
        from tradelane.flows.spec import compile_filter

        if v is not None:
            compile_filter(v)
        return v

    @field_validator("due_at")
    @classmethod
    def _due(cls, v: str | None) -> str | None:
        from tradelane.flows.spec import compile_due

        if v is not None:
            compile_due(v)
        return v

    @model_validator(mode="after")
    def _bounded(self) -> SlaSettings:
        if self.within is None and self.due_at is None:
            raise ValueError("an SLA needs 'within' (a duration) or 'due_at' (a due time read from the start event)")
        return self


class FlowSettings(_Section):
    """A business flow of the catalogue (``tradelane flows list``)."""

    #: what the flow does, for people
    description: str = ""
    #: ``realtime`` (event-driven) or ``batch`` (runs on ``cron``)
    mode: Literal["realtime", "batch"] = "realtime"
    #: five-field crontab line in UTC, batch flows only (``0 2 * * *`` = 02:00 every day)
    cron: str | None = Field(default=None, validate_default=True)
    #: the team that owns the flow and, by default, its exceptions
    owner_team: str = Field(min_length=1, max_length=100)
    #: retry schedule of the flow's deliveries
    retry: RetrySettings = RetrySettings()
    #: dead-letter what exhausts the retries (false: drop it, recorded as dead without replay)
    dlq: bool = True
    slas: list[SlaSettings] = Field(default_factory=list)
    #: flow-specific options, e.g. outbound ``{warehouse_id, carrier_partner, capture_interval_s}``, settlement
    #: ``{tenant, carriers: {<carrier id>: {vendor_ref, tolerance_pct, tolerance_abs}}}``
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("cron")
    @classmethod
    def _cron(cls, v: str | None, info: ValidationInfo) -> str | None:
        mode = info.data.get("mode", "realtime")
        if v is None:
            if mode == "batch":
                raise ValueError("a batch flow needs a cron schedule")
            return v
        if mode != "batch":
            raise ValueError("only batch flows have a cron schedule")
        from tradelane.flows.catalogue import cron_trigger

        try:
            cron_trigger(v)
        except ValueError as exc:
            raise ValueError(f"not a valid five-field crontab line: {exc}") from None
        return v

    @field_validator("slas")
    @classmethod
    def _unique(cls, v: list[SlaSettings]) -> list[SlaSettings]:
        names = [s.name for s in v]
        dup = next((n for n in names if names.count(n) > 1), None)
        if dup is not None:
            raise ValueError(f"duplicate SLA name {dup!r}")
        return v


class FlowRuntimeSettings(_Section):
    """Background loops of the flow runtime."""

    #: run SLA timers, the Odoo mirror of exceptions and batch flows in this process (api and all roles)
    enabled: bool = True
    #: seconds between SLA rounds (projector + due scan) when there is nothing to do
    sla_interval_s: float = Field(default=1.0, gt=0, le=300)
    #: seconds an event must have been stored before SLA timers read it (PostgreSQL commit-order safety)
    settle_s: float = Field(default=2.0, ge=0, le=600)
    #: the first SLA run on a database also times the events stored before it (default: only new events, so
    #: turning SLAs on for an old database does not open an exception per historical order)
    sla_from_history: bool = False
    #: seconds between rounds of mirroring exceptions to Odoo
    mirror_interval_s: float = Field(default=5.0, gt=0, le=3600)
    #: mirror exceptions to Odoo as activities when an Odoo connection is configured (TRADELANE_ODOO_URL)
    mirror_to_odoo: bool = True


class Settings(BaseSettings):
    """All of Tradelane's settings. Section by section; see the README's configuration table."""

    model_config = SettingsConfigDict(
        env_prefix="TRADELANE_", env_nested_delimiter="__", extra="forbid", case_sensitive=False
    )

    #: ``embedded`` (one process, SQLite, no broker) or ``distributed`` (PostgreSQL + NATS JetStream)
    mode: Literal["embedded", "distributed"] = "embedded"
    #: directory for the embedded database and generated key
    data_dir: Path = DEFAULT_DATA_DIR
    #: name shown in the UI and in ``source`` of events the hub emits
    instance_name: str = "tradelane"
    database: DatabaseSettings = DatabaseSettings()
    api: ApiSettings = ApiSettings()
    ingest: IngestSettings = IngestSettings()
    delivery: DeliverySettings = DeliverySettings()
    bus: BusSettings = BusSettings()
    #: destinations by name
    endpoints: dict[str, EndpointSettings] = Field(default_factory=dict)
    #: routing table: which events go where
    routes: list[RouteSettings] = Field(default_factory=list)
    #: inbound webhook senders by name
    hooks: dict[str, HookSettings] = Field(default_factory=dict)
    #: the system-of-record matrix: owners per entity and field, what each destination may receive (see
    #: ``tradelane.routing.ownership``); checked when loaded
    ownership: dict[str, Any] = Field(default_factory=dict)
    staleness: StalenessSettings = StalenessSettings()
    security: SecuritySettings = SecuritySettings()
    observability: ObservabilitySettings = ObservabilitySettings()
    web: WebSettings = WebSettings()
    edi: EdiSettings = EdiSettings()
    #: the flow catalogue: business flows by name
    flows: dict[str, FlowSettings] = Field(default_factory=dict)
    flow_runtime: FlowRuntimeSettings = FlowRuntimeSettings()
    #: server secret for keyed hashes of API keys; from env or a secret file only
    secret_key: SecretStr | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # env beats the YAML file (passed as init kwargs)
        return (env_settings, init_settings, file_secret_settings)

    @model_validator(mode="after")
    def _routes_resolve(self) -> Settings:
        seen: set[str] = set()
        for i, route in enumerate(self.routes):
            if route.name in seen:
                raise ConfigError(f"duplicate route name {route.name!r}", key=f"routes.{i}.name")
            seen.add(route.name)
            if route.destination not in self.endpoints:
                raise ConfigError(
                    f"route {route.name!r} names unknown endpoint {route.destination!r}",
                    key=f"routes.{i}.destination",
                )
        return self

    @model_validator(mode="after")
    def _partners_resolve(self) -> Settings:
        from tradelane.mapping.loader import load_mapping
        from tradelane.routing.ownership import OwnershipMatrix

        OwnershipMatrix.from_config(self.ownership)  # raises ConfigError naming ownership.<key>
        for name, hook in self.hooks.items():
            if hook.connector is not None:
                from tradelane.connectors.registry import load_spec

                try:
                    spec = load_spec(hook.connector)
                except ConfigError as exc:
                    raise ConfigError(exc.message, key=f"hooks.{name}.connector") from exc
                if getattr(spec.hooks, "TEMPLATE", None) is None:
                    raise ConfigError(f"connector {hook.connector!r} takes no mapped callbacks",
                                      key=f"hooks.{name}.connector")
            if hook.mapping is not None:
                try:
                    load_mapping(hook.mapping)
                except ConfigError as exc:
                    raise ConfigError(exc.message, key=f"hooks.{name}.mapping") from exc
        return self

    @model_validator(mode="after")
    def _flow_names(self) -> Settings:
        import re

        for name in self.flows:
            if not re.match(_FLOW_NAME, name):
                raise ConfigError("a flow name is letters, digits, '.', '_' or '-'", key=f"flows.{name}")
        for name, ep in self.endpoints.items():
            if ep.kind == "flow" and ep.flow not in self.flows:
                raise ConfigError(f"flow endpoint {name!r} names flow {ep.flow!r}, which is not in flows",
                                  key=f"endpoints.{name}.flow")
        return self

    def database_url(self) -> str:
        if self.database.url:
            return self.database.url
        return f"sqlite:///{self.data_dir / 'tradelane.db'}"

    def resolved_secret_key(self) -> bytes:
        """The server secret: env, then ``TRADELANE_SECRET_KEY_FILE``, then a generated embedded key."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        path_s = os.environ.get("TRADELANE_SECRET_KEY_FILE")
        if path_s:
            try:
                return Path(path_s).read_text().strip().encode()
            except OSError as exc:
                raise ConfigError(f"cannot read secret key file: {exc}", key="TRADELANE_SECRET_KEY_FILE") from exc
        if self.mode != "embedded":
            raise ConfigError("distributed mode needs TRADELANE_SECRET_KEY or TRADELANE_SECRET_KEY_FILE")
        path = self.data_dir / "secret.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
        return path.read_text().strip().encode()


def _line_index(text: str) -> dict[tuple[str, ...], int]:
    """Map each key path of a YAML document to its 1-based line number."""
    out: dict[tuple[str, ...], int] = {}

    def walk(node: yaml.Node, path: tuple[str, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                key = str(k.value)
                out[(*path, key)] = k.start_mark.line + 1
                walk(v, (*path, key))
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                out[(*path, str(i))] = v.start_mark.line + 1
                walk(v, (*path, str(i)))

    root = yaml.compose(text)
    if root is not None:
        walk(root, ())
    return out


def _find_secrets(doc: Any, path: tuple[str, ...] = ()) -> tuple[str, ...] | None:
    if isinstance(doc, dict):
        for k, v in doc.items():
            if str(k).lower() in SECRET_KEYS:
                return (*path, str(k))
            found = _find_secrets(v, (*path, str(k)))
            if found:
                return found
    return None


def load_settings(path: str | Path | None = None, **overrides: Any) -> Settings:
    """Load settings from ``path`` (or ``TRADELANE_CONFIG``) plus the environment.

    Raises :class:`ConfigError` naming the offending key and its line in the YAML file.
    """
    path = path or os.environ.get("TRADELANE_CONFIG") or None
    doc: dict[str, Any] = {}
    lines: dict[tuple[str, ...], int] = {}
    if path is not None:
        p = Path(path)
        try:
            text = p.read_text()
        except OSError as exc:
            raise ConfigError(f"cannot read config file {p}: {exc.strerror}") from exc
        try:
            loaded = yaml.safe_load(text)
            lines = _line_index(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise ConfigError(
                f"{p}: not valid YAML: {getattr(exc, 'problem', exc)}",
                line=(mark.line + 1) if mark else None,
            ) from exc
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"{p}: the top level must be a mapping of sections", line=1)
        doc = loaded
        secret_path = _find_secrets(doc)
        if secret_path:
            raise ConfigError(
                f"{p}: secrets may not be written in the config file; use TRADELANE_SECRET_KEY "
                "or a secret file",
                key=".".join(secret_path),
                line=lines.get(secret_path),
            )
    doc.update(overrides)
    try:
        return Settings(**doc)
    except ConfigError as exc:
        if exc.key and exc.line is None:
            loc = tuple(exc.key.split("."))
            raise ConfigError(exc.message, key=exc.key, line=lines.get(loc)) from exc
        raise
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(str(p) for p in err["loc"])
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown setting"
        raise ConfigError(f"{msg}", key=".".join(loc), line=lines.get(loc)) from exc

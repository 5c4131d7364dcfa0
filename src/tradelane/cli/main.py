"""The ``tradelane`` command (Typer + Rich)."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from tradelane.core.errors import ConfigError
from tradelane.settings import Settings, load_settings

__all__ = ["app"]

T = TypeVar("T")

app = typer.Typer(
    name="tradelane",
    help="Tradelane: the logistics integration hub for Odoo.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
events_app = typer.Typer(help="Inspect stored events.", no_args_is_help=True)
keys_app = typer.Typer(help="Partner and operator API keys.", no_args_is_help=True)
schema_app = typer.Typer(help="Wire contracts.", no_args_is_help=True)
config_app = typer.Typer(help="Configuration.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(events_app, name="events")
app.add_typer(keys_app, name="keys")
app.add_typer(schema_app, name="schema")
app.add_typer(config_app, name="config")
app.add_typer(audit_app, name="audit")


def _register_subcommands() -> None:
    from tradelane.cli.conflicts import conflicts_app
    from tradelane.cli.connectors import connectors_app
    from tradelane.cli.delivery import dlq_app, endpoints_app
    from tradelane.cli.edi import edi_app
    from tradelane.cli.exceptions import exceptions_app
    from tradelane.cli.flows import flows_app
    from tradelane.cli.mapping import mapping_app
    from tradelane.cli.partner import partner_app

    app.add_typer(dlq_app, name="dlq")
    app.add_typer(endpoints_app, name="endpoints")
    app.add_typer(connectors_app, name="connectors")
    app.add_typer(mapping_app, name="mapping")
    app.add_typer(edi_app, name="edi")
    app.add_typer(exceptions_app, name="exceptions")
    app.add_typer(conflicts_app, name="conflicts")
    app.add_typer(flows_app, name="flows")
    app.add_typer(partner_app, name="partner")

    import tradelane.cli.security  # noqa: F401  (security commands: secrets, events export, audit checkpoint)
    from tradelane.cli.audit_trail import audit_commands

    audit_commands(app)  # state-changing commands land in the audit chain (after every group is added)

console = Console()
err = Console(stderr=True)

ConfigOpt = Annotated[
    Path | None, typer.Option("--config", "-c", help="YAML config file (default: $TRADELANE_CONFIG)")
]


def _settings(config: Path | None, **overrides: Any) -> Settings:
    try:
        return load_settings(config, **overrides)
    except ConfigError as exc:
        err.print(f"[red]config error:[/red] {exc}")
        raise typer.Exit(2) from exc


def _with_hub(config: Path | None, fn: Callable[[Any], Awaitable[T]]) -> T:
    from tradelane.bootstrap import build_hub

    hub = build_hub(_settings(config), role="api")

    async def go() -> T:
        try:
            return await fn(hub)
        finally:
            await hub.store.close()

    return asyncio.run(go())


@app.command()
def run(
    config: ConfigOpt = None,
    host: Annotated[str | None, typer.Option(help="override api.host")] = None,
    port: Annotated[int | None, typer.Option(help="override api.port")] = None,
    role: Annotated[
        str,
        typer.Option(help="all (embedded: API + worker in one process), api, worker or relay (distributed)"),
    ] = "all",
    metrics_port: Annotated[
        int | None,
        typer.Option(help="worker/relay: serve Prometheus metrics at http://<api.host>:<port>/metrics"),
    ] = None,
) -> None:
    """Run the hub. Embedded: one process (--role all). Distributed: --role api, N × --role worker, one
    --role relay (PostgreSQL + NATS JetStream), on one host or many."""
    from tradelane.bootstrap import ROLES, build_hub

    if metrics_port is not None and role not in ("worker", "relay"):
        err.print("[red]--metrics-port is for --role worker or relay[/red]: the API serves /metrics itself")
        raise typer.Exit(2)
    if role not in ROLES:
        err.print(f"[red]unknown role {role!r}[/red]: use one of {', '.join(ROLES)}")
        raise typer.Exit(2)
    settings = _settings(config)
    from tradelane import observability

    observability.setup(settings)  # JSON logs, tracer provider (process-wide, so not in build_hub)
    try:
        hub = build_hub(settings, role=role)
    except ConfigError as exc:
        err.print(f"[red]config error:[/red] {exc}")
        raise typer.Exit(2) from exc
    if role in ("worker", "relay"):
        if metrics_port is not None:  # a headless process has no /metrics route: its own exposition server
            from prometheus_client import start_http_server

            from tradelane.observability import metrics

            start_http_server(metrics_port, addr=host or settings.api.host, registry=metrics.REGISTRY)
        from tradelane.process import tune_gc

        tune_gc()
        _run_headless(hub, role)
        return
    import uvicorn

    from tradelane.api.app import create_app

    h = host or settings.api.host
    p = port if port is not None else settings.api.port
    console.print(f"Tradelane {role} on http://{h}:{p}  (docs: http://{h}:{p}/docs)")
    try:
        app_ = create_app(hub)
    except ConfigError as exc:
        err.print(f"[red]config error:[/red] {exc}")
        raise typer.Exit(2) from exc
    from tradelane.process import tune_gc

    tune_gc()  # full GC collections had paused the loop for up to ~200 ms under load (the p99)
    uvicorn.run(app_, host=h, port=p, log_level="warning", access_log=False, log_config=None)


def _run_headless(hub: Any, role: str) -> None:
    """Run a worker or relay until SIGINT/SIGTERM, then drain and stop."""
    import signal

    async def go() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await hub.start()
        console.print(f"Tradelane {role} running (pid {__import__('os').getpid()}); Ctrl-C to stop")
        try:
            await stop.wait()
        finally:
            await hub.stop()

    asyncio.run(go())


@db_app.command("upgrade")
def db_upgrade(config: ConfigOpt = None, revision: str = "head") -> None:
    """Apply database migrations (SQLite or PostgreSQL)."""
    from tradelane.store.engine import make_engine, upgrade

    settings = _settings(config)
    engine = make_engine(settings.database_url())
    upgrade(engine, revision)
    engine.dispose()
    console.print(f"database at revision {revision}: {engine.url.render_as_string(hide_password=True)}")


@events_app.command("list")
def events_list(
    config: ConfigOpt = None,
    type: Annotated[str | None, typer.Option("--type")] = None,
    correlation: Annotated[str | None, typer.Option("--correlation")] = None,
    partition: Annotated[str | None, typer.Option("--partition")] = None,
    tenant: Annotated[str | None, typer.Option("--tenant")] = None,
    limit: int = 50,
    cursor: str | None = None,
) -> None:
    """List events, oldest first."""
    from tradelane.ports.store import EventFilter

    flt = EventFilter(tenant=tenant, correlation_id=correlation, partition_key=partition, type=type)
    page = _with_hub(config, lambda hub: hub.store.list_events(flt, cursor, limit))
    table = Table("hub id", "received", "tenant", "type", "partition", "source id")
    for s in page.items:
        table.add_row(
            s.hub_id, s.received_at.strftime("%Y-%m-%d %H:%M:%S"), s.tenant, s.event.type,
            s.event.partitionkey or "", s.event.id,
        )
    console.print(table)
    if page.next_cursor:
        console.print(f"next page: --cursor {page.next_cursor}")


@events_app.command("show")
def events_show(hub_id: str, config: ConfigOpt = None) -> None:
    """Print one event as JSON."""
    stored = _with_hub(config, lambda hub: hub.store.get_event(hub_id, None))
    if stored is None:
        err.print(f"[red]no event {hub_id}[/red]")
        raise typer.Exit(1)
    console.print_json(json.dumps(stored.as_dict()))


@keys_app.command("create")
def keys_create(
    name: str,
    config: ConfigOpt = None,
    tenant: Annotated[str | None, typer.Option(help="partner id the key belongs to")] = None,
    scope: Annotated[list[str] | None, typer.Option("--scope", help="repeatable")] = None,
    admin: Annotated[bool, typer.Option(help="operator key with the admin role, no tenant (= --role admin)")] = False,
    role: Annotated[
        str | None, typer.Option(help="operator key, no tenant: viewer (read-only), operator (replay, resolve) or admin")
    ] = None,
    ttl_days: Annotated[int | None, typer.Option(help="expire after this many days")] = None,
) -> None:
    """Create an API key; it is printed once and never stored."""
    from tradelane.security.keyring import DEFAULT_PARTNER_SCOPES, create_api_key
    from tradelane.security.roles import ROLES

    if admin:
        role = role or "admin"
    if role is not None and role not in ROLES:
        err.print(f"[red]unknown role {role!r}[/red]: use one of {', '.join(ROLES)}")
        raise typer.Exit(2)
    if (role is not None) == (tenant is not None):
        err.print("[red]give either --tenant PARTNER or --role viewer|operator|admin[/red]")
        raise typer.Exit(2)
    scopes = (*([role] if role else []), *(scope or ())) or DEFAULT_PARTNER_SCOPES

    async def go(hub: Any) -> tuple[str, Any]:
        return await create_api_key(
            hub.store,
            hub.settings.resolved_secret_key(),
            name=name,
            tenant=tenant,
            scopes=scopes,
            ttl=timedelta(days=ttl_days) if ttl_days else None,
            audit=hub.audit,
            actor="cli",
        )

    try:
        key, rec = _with_hub(config, go)
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    err.print(f"key id {rec.key_id} for {tenant or 'operators'}, scopes {' '.join(rec.scopes)}. "
              "Store it now; it is not shown again:")
    print(key)


@keys_app.command("revoke")
def keys_revoke(key_id: str, config: ConfigOpt = None) -> None:
    """Revoke a key at once."""
    from tradelane.security.keyring import revoke_api_key

    if not _with_hub(config, lambda hub: revoke_api_key(hub.store, key_id, audit=hub.audit, actor="cli")):
        err.print(f"[red]no active key {key_id}[/red]")
        raise typer.Exit(1)
    console.print(f"revoked {key_id}")


@keys_app.command("rotate")
def keys_rotate(
    key_id: str,
    config: ConfigOpt = None,
    overlap_hours: Annotated[
        float | None, typer.Option(help="how long the old key keeps working (default security.key_rotation_overlap_s)")
    ] = None,
) -> None:
    """Issue a successor key; the old one works until the overlap ends. The new key is printed once."""
    from tradelane.security.keyring import rotate_api_key

    async def go(hub: Any) -> tuple[str, Any]:
        overlap = (
            timedelta(hours=overlap_hours)
            if overlap_hours is not None
            else timedelta(seconds=hub.settings.security.key_rotation_overlap_s)
        )
        return await rotate_api_key(
            hub.store, hub.settings.resolved_secret_key(), key_id, overlap=overlap, audit=hub.audit, actor="cli"
        )

    try:
        key, rec = _with_hub(config, go)
    except (ValueError, LookupError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    err.print(f"new key id {rec.key_id} replaces {key_id}. Store it now; it is not shown again:")
    print(key)


@audit_app.command("verify")
def audit_verify(
    config: ConfigOpt = None,
    checkpoint: Annotated[str | None, typer.Option(help="SEQ:HASH exported earlier; detects a cut-off tail")] = None,
) -> None:
    """Verify the audit log's hash chain; exit 1 and name the first bad row when it is broken."""
    from tradelane.security.audit import Checkpoint
    from tradelane.store.audit import verify_audit

    cp = None
    if checkpoint:
        seq, _, digest = checkpoint.partition(":")
        if not seq.isdigit() or len(digest) != 64:
            err.print("[red]--checkpoint must be SEQ:HASH (a 64-hex sha256)[/red]")
            raise typer.Exit(2)
        cp = Checkpoint(int(seq), digest)
    verdict = _with_hub(config, lambda hub: verify_audit(hub.store, cp))
    if verdict.broken is not None:
        err.print(f"[red]audit chain broken at row {verdict.broken.seq}: {verdict.broken.reason}[/red]")
        raise typer.Exit(1)
    head = f"; checkpoint {verdict.head.seq}:{verdict.head.hash}" if verdict.head else ""
    console.print(f"audit chain intact: {verdict.rows} rows{head}")


@keys_app.command("list")
def keys_list(config: ConfigOpt = None, tenant: str | None = None) -> None:
    """List keys (never the keys themselves)."""
    recs = _with_hub(config, lambda hub: hub.store.list_api_keys(tenant))
    table = Table("key id", "name", "tenant", "scopes", "created", "expires", "revoked")
    for r in recs:
        table.add_row(
            r.key_id, r.name, r.tenant or "(operator)", " ".join(r.scopes),
            r.created_at.strftime("%Y-%m-%d %H:%M"),
            r.expires_at.strftime("%Y-%m-%d") if r.expires_at else "",
            r.revoked_at.strftime("%Y-%m-%d %H:%M") if r.revoked_at else "",
        )
    console.print(table)


@schema_app.command("export")
def schema_export(directory: Path) -> None:
    """Write one JSON Schema per event type (and the envelope) into DIRECTORY."""
    from tradelane.core.schema import export_schemas

    paths = export_schemas(directory)
    console.print(f"wrote {len(paths)} schemas to {directory}")


@config_app.command("check")
def config_check(file: Annotated[Path | None, typer.Argument(help="YAML file (default: $TRADELANE_CONFIG)")] = None) -> None:
    """Validate the configuration; on error, name the key and its line."""
    settings = _settings(file)
    if settings.edi.partners_file is not None:
        from tradelane.edi.partners import load_partners

        try:
            load_partners(settings.edi.partners_file)
        except ConfigError as exc:
            err.print(f"[red]config error:[/red] edi.partners_file: {exc}")
            raise typer.Exit(2) from exc
    console.print(f"configuration OK: mode={settings.mode}, database={settings.database_url()}")


@app.command()
def demo(
    config: ConfigOpt = None,
    exit_after: Annotated[bool, typer.Option("--exit/--serve", envvar="DEMO_EXIT", help="end after the summary")] = False,
    port: int = 8080,
) -> None:
    """Run the hub on embedded defaults, ingest realistic sample events and print a summary."""
    from tradelane.demo import run_demo

    sys.exit(run_demo(_settings(config), port=port, exit_after=exit_after))


@app.command("odoo-emulator")
def odoo_emulator(
    host: str = "127.0.0.1",
    port: int = 8069,
) -> None:
    """Serve the protocol-faithful Odoo 17 emulator (JSON-RPC, XML-RPC; db 'tradelane', admin/admin)."""
    from tradelane.testing.odoo import main as serve

    console.print(f"Odoo 17 emulator on http://{host}:{port}  (db tradelane, login admin, password admin)")
    serve(host=host, port=port)


_register_subcommands()


def main() -> None:  # pragma: no cover - console entry point
    app()
if __name__ == "__main__":  # pragma: no cover
    main()

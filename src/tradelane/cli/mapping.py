"""``tradelane mapping``: try a partner mapping on a sample, and manage cross references."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from tradelane.core.errors import ConfigError, MappingError
from tradelane.mapping.engine import format_problems, to_canonical, to_partner
from tradelane.mapping.loader import load_mapping, parse_xref_seed
from tradelane.ports.xref import XrefEntry, XrefField, XrefStore
from tradelane.testing.xref import InMemoryXrefStore

__all__ = ["mapping_app", "xref_app"]

T = TypeVar("T")

mapping_app = typer.Typer(help="Partner mappings: test them on samples; manage cross references.",
                          no_args_is_help=True)
xref_app = typer.Typer(help="Cross references: partner value ↔ canonical id ↔ Odoo id.", no_args_is_help=True)
mapping_app.add_typer(xref_app, name="xref")

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="YAML config file (default: $TRADELANE_CONFIG)")]
TenantOpt = Annotated[str, typer.Option("--tenant", help="tenant the cross references belong to")]
MappingsDirOpt = Annotated[Path | None, typer.Option(
    "--mappings-dir", envvar="TRADELANE_MAPPINGS_DIR", help="folder of partner mappings (<partner>.yaml or <partner>/mapping.yaml)"
)]


def _fail(message: str, code: int = 2) -> typer.Exit:
    Console(stderr=True).print(f"[red]{message}[/red]", highlight=False)
    return typer.Exit(code)


def _with_sql_xrefs(config: Path | None, fn: Callable[[XrefStore], Coroutine[Any, Any, T]]) -> T:
    """Run ``fn`` with the configured database's cross references (migrated first)."""
    from tradelane.settings import load_settings
    from tradelane.store.engine import make_engine, upgrade
    from tradelane.store.xref import SqlXrefStore

    try:
        settings = load_settings(config)
    except ConfigError as exc:
        raise _fail(f"config error: {exc}") from exc
    engine = make_engine(settings.database_url())
    try:
        upgrade(engine)
        return asyncio.run(fn(SqlXrefStore(engine)))
    finally:
        engine.dispose()


@mapping_app.command("test")
def mapping_test(
    partner: Annotated[str, typer.Argument(help="partner id, mapping file, or template name (wms-rest …)")],
    sample: Annotated[Path, typer.Argument(help="a partner document, or a canonical CloudEvent for outbound")],
    operation: Annotated[str | None, typer.Option("--operation", "-o", help="operation to use (default: detected)")] = None,
    xref_file: Annotated[Path | None, typer.Option(
        "--xref-file", help="cross references from this YAML/JSON list instead of the database"
    )] = None,
    tenant: TenantOpt = "hub",
    mappings_dir: MappingsDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Map SAMPLE with PARTNER's mapping; print the canonical result, or every problem (field, rule, value).

    A sample that is a CloudEvent (``specversion`` and a ``tradelane.*`` type) is mapped outbound, to the
    partner's document; anything else is a partner document mapped inbound to canonical events. Exit code 1
    when the mapping reports problems, 2 when the mapping or sample cannot be read.
    """
    try:
        mapping = load_mapping(partner, mappings_dir)
    except ConfigError as exc:
        raise _fail(str(exc)) from exc
    try:
        document = json.loads(sample.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _fail(f"cannot read {sample}: {exc}") from exc
    outbound = (
        isinstance(document, dict)
        and "specversion" in document
        and str(document.get("type", "")).startswith("tradelane.")
    )

    async def run(xrefs: XrefStore) -> Any:
        if outbound:
            out = await to_partner(mapping, document.get("data") or {}, event_type=document["type"],
                                   xrefs=xrefs, tenant=tenant, operation=operation)
            return {"mapping": str(out.mapping), "digest": out.mapping.digest, "operation": out.operation,
                    "direction": "outbound", "document": out.document}
        res = await to_canonical(mapping, document, xrefs=xrefs, tenant=tenant, operation=operation)
        return {"mapping": str(res.mapping), "digest": res.mapping.digest, "operation": res.operation,
                "direction": "inbound", "events": [e.to_wire() for e in res.events]}

    try:
        if xref_file is not None:
            try:
                seed = parse_xref_seed(xref_file.read_text(encoding="utf-8"), tenant=tenant, partner=mapping.partner)
            except (OSError, ConfigError) as exc:
                raise _fail(f"cannot read {xref_file}: {exc}") from exc
            result = asyncio.run(run(InMemoryXrefStore(seed)))
        else:
            result = _with_sql_xrefs(config, run)
    except MappingError as exc:
        err = Console(stderr=True, highlight=False, soft_wrap=True)
        err.print(f"[red]{exc}[/red]")
        for line in format_problems(exc):
            err.print(f"  {line}", markup=False)
        raise typer.Exit(1) from exc
    typer.echo(json.dumps(result, indent=2, ensure_ascii=False))


@xref_app.command("set")
def xref_set(
    partner: str,
    kind: Annotated[str, typer.Argument(help="shipment, order, carrier, location, product …")],
    partner_value: str,
    canonical_id: str,
    odoo_id: Annotated[int | None, typer.Option("--odoo-id", help="the Odoo record id")] = None,
    tenant: TenantOpt = "hub",
    config: ConfigOpt = None,
) -> None:
    """Create or replace the cross reference of PARTNER's PARTNER_VALUE of KIND."""
    entry = XrefEntry(tenant, partner, kind, partner_value, canonical_id, odoo_id)
    stored = _with_sql_xrefs(config, lambda xrefs: xrefs.put(entry))
    odoo = "" if stored.odoo_id is None else f" (odoo {stored.odoo_id})"
    typer.echo(f"{partner} {kind} {partner_value} → {canonical_id}{odoo}")


@xref_app.command("get")
def xref_get(
    partner: str,
    kind: str,
    value: str,
    by: Annotated[str, typer.Option("--by", help="what VALUE is: partner, canonical or odoo")] = "partner",
    tenant: TenantOpt = "hub",
    config: ConfigOpt = None,
) -> None:
    """Print one cross reference as JSON (exit code 1 when there is none)."""
    fields = {"partner": XrefField.PARTNER, "canonical": XrefField.CANONICAL, "odoo": XrefField.ODOO}
    if by not in fields:
        raise _fail("--by is partner, canonical or odoo")
    found = _with_sql_xrefs(config, lambda xrefs: xrefs.find_many(tenant, partner, kind, fields[by], [value]))
    entry = found.get(value)
    if entry is None:
        raise _fail(f"no {kind} cross reference with {by} value {value!r} for {partner} (tenant {tenant})", 1)
    typer.echo(json.dumps(_as_json(entry), ensure_ascii=False))


def _as_json(entry: XrefEntry) -> dict[str, Any]:
    return {
        "tenant": entry.tenant,
        "partner": entry.partner,
        "kind": entry.kind,
        "partner_value": entry.partner_value,
        "canonical_id": entry.canonical_id,
        "odoo_id": entry.odoo_id,
        "updated_at": None if entry.updated_at is None else entry.updated_at.isoformat(),
    }


@xref_app.command("list")
def xref_list(
    partner: Annotated[str | None, typer.Option("--partner")] = None,
    kind: Annotated[str | None, typer.Option("--kind")] = None,
    limit: int = 100,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False,
    tenant: TenantOpt = "hub",
    config: ConfigOpt = None,
) -> None:
    """List cross references, by partner, kind and partner value."""
    rows = _with_sql_xrefs(config, lambda xrefs: xrefs.list(tenant, partner, kind, limit))
    if as_json:
        for entry in rows:
            typer.echo(json.dumps(_as_json(entry), ensure_ascii=False))
        return
    table = Table("partner", "kind", "partner value", "canonical id", "odoo id", "updated")
    for e in rows:
        table.add_row(e.partner, e.kind, e.partner_value, e.canonical_id,
                      "" if e.odoo_id is None else str(e.odoo_id),
                      "" if e.updated_at is None else e.updated_at.strftime("%Y-%m-%d %H:%M:%S"))
    Console().print(table)


@xref_app.command("delete")
def xref_delete(
    partner: str,
    kind: str,
    partner_value: str,
    tenant: TenantOpt = "hub",
    config: ConfigOpt = None,
) -> None:
    """Remove one cross reference (exit code 1 when there was none)."""
    if not _with_sql_xrefs(config, lambda xrefs: xrefs.delete(tenant, partner, kind, partner_value)):
        raise _fail(f"no {kind} cross reference {partner_value!r} for {partner} (tenant {tenant})", 1)
    typer.echo(f"deleted {partner} {kind} {partner_value}")

"""``tradelane conflicts …``: list, accept and reject system-of-record conflicts from a shell."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

# main registers this module's app at the end of its import, so these names already exist
from tradelane.cli.main import ConfigOpt, _with_hub
from tradelane.core.errors import ConflictError, NotFound

__all__ = ["conflicts_app"]

conflicts_app = typer.Typer(help="System-of-record conflicts: list, accept, reject.", no_args_is_help=True)

console = Console()
err = Console(stderr=True)


def _short(value: Any) -> str:
    return json.dumps(value, default=str)[:40]


@conflicts_app.command("list")
def conflicts_list(
    config: ConfigOpt = None,
    status: Annotated[str | None, typer.Option(help="open, accepted or rejected")] = "open",
    entity: Annotated[str | None, typer.Option(help="KIND/ID, e.g. order/SO042")] = None,
    source: Annotated[str | None, typer.Option()] = None,
    tenant: Annotated[str | None, typer.Option()] = None,
    limit: int = 50,
) -> None:
    """List conflicts (open ones unless --status says otherwise)."""
    from tradelane.ports.flows import ConflictFilter

    if status is not None and status not in ("open", "accepted", "rejected"):
        err.print(f"[red]--status: one of open, accepted, rejected; got {status!r}[/red]")
        raise typer.Exit(2)
    kind = ident = None
    if entity is not None:
        kind, sep, ident = entity.partition("/")
        if not sep or not kind or not ident:
            err.print(f"[red]--entity: expected KIND/ID (e.g. order/SO042), got {entity!r}[/red]")
            raise typer.Exit(2)
    flt = ConflictFilter(tenant=tenant, status=status, entity_kind=kind, entity_id=ident, source=source)
    rows, nxt = _with_hub(config, lambda hub: hub.flows.conflicts.list(flt, limit))
    table = Table("conflict", "status", "entity", "field", "source", "owners", "current", "proposed")
    for c in rows:
        table.add_row(c.id, c.status, f"{c.entity_kind}/{c.entity_id}", c.field, c.source, ",".join(c.owners),
                      _short(c.current), _short(c.proposed))
    console.print(table)
    if nxt:
        console.print(f"more after {nxt}")


def _decide(config: Any, conflict_id: str, accept: bool, actor: str, note: str | None) -> Any:
    async def go(hub: Any) -> Any:
        svc = hub.flows.conflicts
        return await (svc.accept if accept else svc.reject)(conflict_id, None, actor, note)

    try:
        return _with_hub(config, go)
    except (NotFound, ConflictError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc


@conflicts_app.command("accept")
def conflicts_accept(
    conflict_id: str,
    config: ConfigOpt = None,
    note: Annotated[str | None, typer.Option()] = None,
    actor: Annotated[str, typer.Option(help="recorded as decided_by")] = "cli",
) -> None:
    """Accept: the proposed value is to be applied; prints it as JSON."""
    d = _decide(config, conflict_id, True, actor, note)
    console.print(f"{d.conflict.id} accepted; apply {d.field} =")
    console.print_json(json.dumps(d.value, default=str))


@conflicts_app.command("reject")
def conflicts_reject(
    conflict_id: str,
    config: ConfigOpt = None,
    note: Annotated[str | None, typer.Option()] = None,
    actor: Annotated[str, typer.Option(help="recorded as decided_by")] = "cli",
) -> None:
    """Reject: the owner's value stays."""
    d = _decide(config, conflict_id, False, actor, note)
    console.print(f"{d.conflict.id} rejected")

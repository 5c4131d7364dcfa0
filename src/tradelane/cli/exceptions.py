"""``tradelane exceptions …``: list, show, acknowledge and resolve operational exceptions from a shell."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

# main registers this module's app at the end of its import, so these names already exist
from tradelane.cli.main import ConfigOpt, _with_hub
from tradelane.core.errors import ConflictError, NotFound, ValidationFailed

__all__ = ["exceptions_app"]

exceptions_app = typer.Typer(help="Operational exceptions: list, show, ack, resolve.", no_args_is_help=True)

console = Console()
err = Console(stderr=True)


def _age(seconds: float) -> str:
    s = int(seconds)
    if s >= 86400:
        return f"{s // 86400}d{(s % 86400) // 3600}h"
    if s >= 3600:
        return f"{s // 3600}h{(s % 3600) // 60}m"
    return f"{s // 60}m{s % 60}s"


def _entity(entity: str | None) -> tuple[str | None, str | None]:
    if entity is None:
        return None, None
    kind, sep, ident = entity.partition("/")
    if not sep or not kind or not ident:
        err.print(f"[red]--entity: expected KIND/ID (e.g. shipment/SHP123), got {entity!r}[/red]")
        raise typer.Exit(2)
    return kind, ident


@exceptions_app.command("list")
def exceptions_list(
    config: ConfigOpt = None,
    status: Annotated[str | None, typer.Option(help="open, acknowledged or resolved")] = None,
    type: Annotated[str | None, typer.Option("--type")] = None,
    owner: Annotated[str | None, typer.Option(help="owner team")] = None,
    entity: Annotated[str | None, typer.Option(help="KIND/ID, e.g. shipment/SHP123")] = None,
    tenant: Annotated[str | None, typer.Option()] = None,
    flow: Annotated[str | None, typer.Option()] = None,
    limit: int = 50,
) -> None:
    """List exceptions with their aging."""
    from tradelane.ports.flows import ExceptionFilter

    if status is not None and status not in ("open", "acknowledged", "resolved"):
        err.print(f"[red]--status: one of open, acknowledged, resolved; got {status!r}[/red]")
        raise typer.Exit(2)
    kind, ident = _entity(entity)
    flt = ExceptionFilter(tenant=tenant, status=status, type=type, owner_team=owner, entity_kind=kind,
                          entity_id=ident, flow=flow)
    rows, nxt = _with_hub(config, lambda hub: hub.flows.exceptions.list(flt, limit))
    now = datetime.now(UTC)
    table = Table("exception", "status", "severity", "type", "entity", "owner", "age", "summary")
    for x in rows:
        table.add_row(x.id, x.status, x.severity, x.type, f"{x.entity_kind}/{x.entity_id}", x.owner_team,
                      _age(x.age_s(now)), x.summary[:60])
    console.print(table)
    if nxt:
        console.print(f"more after {nxt}")


@exceptions_app.command("show")
def exceptions_show(exception_id: str, config: ConfigOpt = None) -> None:
    """Print one exception with its history as JSON."""
    view = _with_hub(config, lambda hub: hub.flows.exceptions.get(exception_id, None))
    if view is None:
        err.print(f"[red]no exception {exception_id}[/red]")
        raise typer.Exit(1)
    console.print_json(json.dumps(view.as_dict(datetime.now(UTC)), default=str))


def _transition(config: Any, exception_id: str, action: str, actor: str, note: str | None) -> Any:
    async def go(hub: Any) -> Any:
        svc = hub.flows.exceptions
        fn = svc.acknowledge if action == "ack" else svc.resolve
        return await fn(exception_id, None, actor, note)

    try:
        return _with_hub(config, go)
    except NotFound as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    except ConflictError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    except ValidationFailed as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc


@exceptions_app.command("ack")
def exceptions_ack(
    exception_id: str,
    config: ConfigOpt = None,
    note: Annotated[str | None, typer.Option(help="recorded in the history")] = None,
    actor: Annotated[str, typer.Option(help="recorded in the history")] = "cli",
) -> None:
    """Acknowledge an open exception (someone is on it)."""
    view = _transition(config, exception_id, "ack", actor, note)
    console.print(f"{view.id} {view.status}")


@exceptions_app.command("resolve")
def exceptions_resolve(
    exception_id: str,
    note: Annotated[str, typer.Option(help="how it was resolved (required)")],
    config: ConfigOpt = None,
    actor: Annotated[str, typer.Option(help="recorded in the history")] = "cli",
) -> None:
    """Resolve an open or acknowledged exception."""
    if not note.strip():
        err.print("[red]--note: say how it was resolved[/red]")
        raise typer.Exit(2)
    view = _transition(config, exception_id, "resolve", actor, note)
    console.print(f"{view.id} {view.status}")

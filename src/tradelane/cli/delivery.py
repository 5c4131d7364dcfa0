"""``tradelane dlq …`` and ``tradelane endpoints …``: the dead-letter queue and destinations from a shell."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

# main registers this module's apps at the end of its import, so these names already exist
from tradelane.cli.main import ConfigOpt, _settings, _with_hub

__all__ = ["dlq_app", "endpoints_app"]

dlq_app = typer.Typer(help="Dead-lettered deliveries: list, show, replay.", no_args_is_help=True)
endpoints_app = typer.Typer(help="Destinations: breaker state, disable, enable.", no_args_is_help=True)

console = Console()
err = Console(stderr=True)

#: deliveries moved back to pending per transaction during a replay
REPLAY_CHUNK = 500


def _when(text: str | None, name: str) -> datetime | None:
    if text is None:
        return None
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        err.print(f"[red]{name}: not an ISO 8601 time:[/red] {text!r} (e.g. 2026-11-22T08:00:00Z)")
        raise typer.Exit(2) from None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _filter(route: str | None, destination: str | None, error_class: str | None, since: str | None,
            until: str | None, status: str | None = "dead") -> Any:
    from tradelane.ports.delivery import DeliveryFilter

    return DeliveryFilter(
        status=status,
        route=route,
        destination=destination,
        error_class=error_class,
        since=_when(since, "--since"),
        until=_when(until, "--until"),
    )


RouteOpt = Annotated[str | None, typer.Option("--route")]
DestOpt = Annotated[str | None, typer.Option("--destination")]
ClassOpt = Annotated[str | None, typer.Option("--error-class", help="http_4xx, http_5xx, timeout, …")]
SinceOpt = Annotated[str | None, typer.Option("--since", help="dead-lettered at or after (ISO 8601)")]
UntilOpt = Annotated[str | None, typer.Option("--until", help="dead-lettered before (ISO 8601)")]


@dlq_app.command("list")
def dlq_list(
    config: ConfigOpt = None,
    route: RouteOpt = None,
    destination: DestOpt = None,
    error_class: ClassOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    status: Annotated[str, typer.Option(help="dead (the DLQ), pending, done or filtered")] = "dead",
    limit: int = 50,
) -> None:
    """List dead-lettered deliveries (or another status)."""
    flt = _filter(route, destination, error_class, since, until, status)
    rows, nxt = _with_hub(config, lambda hub: hub.store.list_deliveries(flt, limit))
    table = Table("delivery", "route", "destination", "event type", "attempts", "class", "last error")
    for d in rows:
        table.add_row(d.id, d.route, d.destination, d.event_type, str(d.attempts), d.error_class or "",
                      (d.last_error or d.filter_reason or "")[:60])
    console.print(table)
    if nxt:
        console.print(f"more: {nxt}")


@dlq_app.command("show")
def dlq_show(delivery_id: str, config: ConfigOpt = None) -> None:
    """Print one delivery with its attempts as JSON."""
    view = _with_hub(config, lambda hub: hub.store.get_delivery(delivery_id))
    if view is None:
        err.print(f"[red]no delivery {delivery_id}[/red]")
        raise typer.Exit(1)
    console.print_json(json.dumps(view.as_dict(), default=str))


@dlq_app.command("replay")
def dlq_replay(
    config: ConfigOpt = None,
    route: RouteOpt = None,
    destination: DestOpt = None,
    error_class: ClassOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    delivery: Annotated[str | None, typer.Option("--id", help="replay this one delivery")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="only count what would be replayed")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask for confirmation")] = False,
    actor: Annotated[str, typer.Option(help="recorded on each replay")] = "cli",
) -> None:
    """Replay dead-lettered deliveries matching the filter ("all failed since T": --since T).

    Counts first; asks before replaying unless --yes. Replays keep each delivery's id (its webhook-id), so a
    receiver that did apply one before dedupes it.
    """
    flt = _filter(route, destination, error_class, since, until)

    async def go(hub: Any) -> None:
        nonlocal flt
        if delivery is not None:
            view = await hub.store.get_delivery(delivery)
            if view is None:
                err.print(f"[red]no delivery {delivery}[/red]")
                raise typer.Exit(1)
            if view.status != "dead":
                err.print(f"[red]delivery {delivery} is {view.status}, not dead[/red]")
                raise typer.Exit(1)
            from dataclasses import replace

            flt = replace(flt, hub_id=view.hub_id, route=view.route)
        total = await hub.store.count_deliveries(flt)
        console.print(f"{total} dead-lettered deliveries match")
        if dry_run or total == 0:
            return
        if not yes and not typer.confirm(f"Replay {total} deliveries?"):
            raise typer.Exit(1)
        done = 0
        with Progress(TextColumn("replaying"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console) as progress:
            task = progress.add_task("replay", total=total)
            while done < total:
                ids = await hub.store.replay_deliveries(flt, actor, datetime.now(UTC), REPLAY_CHUNK)
                if not ids:
                    break
                done += len(ids)
                progress.update(task, completed=done)
        console.print(f"replayed {done} deliveries; workers pick them up at once")

    _with_hub(config, go)


@endpoints_app.command("list")
def endpoints_list(config: ConfigOpt = None) -> None:
    """Configured destinations with breaker state and delivery counts."""

    async def go(hub: Any) -> tuple[Any, Any]:
        return await hub.store.endpoint_states(), await hub.store.delivery_stats()

    states, stats = _with_hub(config, go)
    settings = _settings(config)
    table = Table("endpoint", "kind", "target", "breaker", "disabled", "pending", "done", "dead")
    for name, ep in settings.endpoints.items():
        st = states.get(name)
        counts = stats["by_destination"].get(name, {})
        table.add_row(name, ep.kind, ep.url or ep.subject, st.breaker if st else "closed",
                      (st.disabled_reason or "yes") if st and st.disabled_at else "",
                      str(counts.get("pending", 0)), str(counts.get("done", 0)), str(counts.get("dead", 0)))
    console.print(table)


def _known_endpoint(config: Any, name: str) -> None:
    """Refuse a name that is not a configured endpoint (exit 2, naming the configured ones): a typo must not
    write a state row for an endpoint nobody sends to and report success."""
    configured = sorted(_settings(config).endpoints)
    if name not in configured:
        known = ", ".join(configured) if configured else "none are configured"
        err.print(f"[red]unknown endpoint {name!r}[/red]; configured endpoints: {known}")
        raise typer.Exit(2)


@endpoints_app.command("disable")
def endpoints_disable(name: str, reason: Annotated[str, typer.Option()] = "disabled by operator",
                      config: ConfigOpt = None) -> None:
    """Disable a destination: its deliveries are dead-lettered (replay them after enabling)."""
    _known_endpoint(config, name)
    _with_hub(config, lambda hub: hub.store.set_endpoint_disabled(name, reason, datetime.now(UTC)))
    console.print(f"endpoint {name} disabled")


@endpoints_app.command("enable")
def endpoints_enable(name: str, config: ConfigOpt = None) -> None:
    """Enable a destination again and close its breaker."""
    _known_endpoint(config, name)
    _with_hub(config, lambda hub: hub.store.set_endpoint_disabled(name, None, datetime.now(UTC)))
    console.print(f"endpoint {name} enabled")

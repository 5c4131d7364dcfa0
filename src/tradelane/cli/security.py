"""Security commands.

* ``tradelane events export`` — NDJSON of stored events; prices and costs are removed unless
  ``--with-pricing`` is given (the export is audited either way, with the flag).
* ``tradelane audit checkpoint`` — print (or append to a file kept where the database's writers cannot
  reach) the ``SEQ:HASH`` of the verified chain head, for ``tradelane audit verify --checkpoint``.
* ``tradelane audit list`` — the newest audit rows.
* ``tradelane secrets set|list|delete|rotate-key|generate-key`` — the encrypted vault
  (:mod:`tradelane.security.vault`): a value is read from standard input (or ``--from-env VAR``), never
  from the command line, so it does not land in shell history or ``ps``.

State-changing commands are audited by :mod:`tradelane.cli.audit_trail`.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from tradelane.cli.audit_trail import actor, audit_commands
from tradelane.cli.main import ConfigOpt, _with_hub, app, audit_app, console, err, events_app

secrets_app = typer.Typer(help="Secrets encrypted at rest (webhook signing secrets, partner credentials).",
                          no_args_is_help=True)
app.add_typer(secrets_app, name="secrets")

__all__ = ["secrets_app"]


@events_app.command("export")
def events_export(
    config: ConfigOpt = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="NDJSON file (default: standard output)")] = None,
    tenant: Annotated[str | None, typer.Option(help="only this tenant's events")] = None,
    type: Annotated[str | None, typer.Option("--type")] = None,
    since: Annotated[datetime | None, typer.Option(help="received at or after (ISO 8601 with offset)")] = None,
    until: Annotated[datetime | None, typer.Option(help="received before")] = None,
    with_pricing: Annotated[
        bool, typer.Option("--with-pricing", help="keep prices and costs (the reader holds pricing:read)")
    ] = False,
) -> None:
    """Export stored events as NDJSON, oldest first; prices and costs are removed unless --with-pricing."""
    import orjson

    from tradelane.ports.store import EventFilter
    from tradelane.security.properties import strip_pricing_json

    for label, value in (("--since", since), ("--until", until)):
        if value is not None and value.tzinfo is None:
            err.print(f"[red]{label} needs a UTC offset, e.g. 2026-01-31T00:00:00+00:00[/red]")
            raise typer.Exit(2)
    flt = EventFilter(tenant=tenant, type=type, since=since, until=until)

    async def go(hub: Any) -> int:
        sink = out.open("wb") if out is not None else sys.stdout.buffer
        count = 0
        try:
            cursor: str | None = None
            while True:
                page = await hub.store.list_events(flt, cursor, 500)
                for stored in page.items:
                    line = orjson.dumps(stored.as_dict())
                    sink.write((line if with_pricing else strip_pricing_json(line)) + b"\n")
                    count += 1
                cursor = page.next_cursor
                if not cursor:
                    break
        finally:
            if out is not None:
                sink.close()
            else:
                sink.flush()
        await hub.audit.append(
            actor=actor(), action="events.exported", tenant=tenant,
            detail={"events": count, "pricing": with_pricing, "type": type, "file": str(out) if out else None,
                    "since": since.isoformat() if since else None, "until": until.isoformat() if until else None},
        )
        return count

    count = _with_hub(config, go)
    err.print(f"exported {count} events{'' if with_pricing else ' (prices and costs removed)'}")


@audit_app.command("checkpoint")
def audit_checkpoint(
    config: ConfigOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="append 'SEQ:HASH TIME' to this file (keep it off the DB host)")
    ] = None,
) -> None:
    """Verify the chain and export its head as SEQ:HASH (for `tradelane audit verify --checkpoint`)."""
    from tradelane.store.audit import verify_audit

    verdict = _with_hub(config, lambda hub: verify_audit(hub.store))
    if verdict.broken is not None:
        err.print(f"[red]audit chain broken at row {verdict.broken.seq}: {verdict.broken.reason}; "
                  "no checkpoint exported[/red]")
        raise typer.Exit(1)
    if verdict.head is None:
        err.print("[red]the audit log is empty: nothing to checkpoint[/red]")
        raise typer.Exit(1)
    line = f"{verdict.head.seq}:{verdict.head.hash}"
    if out is not None:
        with out.open("a", encoding="utf-8") as fh:
            fh.write(f"{line} {datetime.now().astimezone().isoformat(timespec='seconds')}\n")
        err.print(f"checkpoint appended to {out}")
    print(line)


@audit_app.command("list")
def audit_list(
    config: ConfigOpt = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The newest audit rows, oldest of them first."""
    from rich.table import Table

    async def go(hub: Any) -> list[Any]:
        head = await hub.audit.head()
        if head is None:
            return []
        rows: list[Any] = await hub.audit.read(max(0, head.seq - limit), limit)
        return rows

    rows = _with_hub(config, go)
    if as_json:
        for r in rows:
            print(json.dumps({"seq": r.seq, "at": r.at.isoformat(), "actor": r.actor, "tenant": r.tenant,
                              "action": r.action, "target": r.target, "detail": r.detail, "hash": r.hash}))
        return
    table = Table("seq", "at", "actor", "tenant", "action", "target")
    for r in rows:
        table.add_row(str(r.seq), r.at.strftime("%Y-%m-%d %H:%M:%S"), r.actor, r.tenant or "", r.action,
                      r.target or "")
    console.print(table)


def _vault(hub: Any) -> Any:
    from tradelane.security.vault import hub_vault

    return hub_vault(hub.settings, hub.store)


def _config_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    from tradelane.core.errors import ConfigError
    from tradelane.security.secretbox import SecretBoxError

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ConfigError as exc:
            err.print(f"[red]config error:[/red] {exc}")
            raise typer.Exit(2) from exc
        except (SecretBoxError, ValueError) as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from exc

    return run


@secrets_app.command("set")
@_config_errors
def secrets_set(
    name: Annotated[str, typer.Argument(help="the name the configuration uses (an endpoint's or hook's secrets_env)")],
    config: ConfigOpt = None,
    from_env: Annotated[str | None, typer.Option(help="read the value from this environment variable")] = None,
) -> None:
    """Seal a secret into the vault; the value comes from standard input (one trailing newline is dropped)."""
    import os

    if from_env is not None:
        value = os.environ.get(from_env, "")
        if not value:
            err.print(f"[red]${from_env} is empty or unset[/red]")
            raise typer.Exit(1)
    else:
        value = sys.stdin.read().removesuffix("\n")
    replaced = _with_hub(config, lambda hub: _vault(hub).set(name, value))
    console.print(f"secret {name} {'replaced' if replaced else 'stored'} (sealed)")


@secrets_app.command("list")
@_config_errors
def secrets_list(config: ConfigOpt = None) -> None:
    """Stored secrets: name, the key that sealed each, when (never a value)."""
    from rich.table import Table

    async def go(hub: Any) -> tuple[Any, list[Any]]:
        vault = _vault(hub)
        return vault.box, await vault.list_secrets()

    box, rows = _with_hub(config, go)
    table = Table("name", "sealed with", "updated")
    for r in rows:
        note = "" if r.key_id == box.current else "  (old key: run secrets rotate-key)"
        table.add_row(r.name, r.key_id + note, r.updated_at.strftime("%Y-%m-%d %H:%M:%S"))
    console.print(table)
    console.print(f"key ring: {' '.join(box.key_ids)} (sealing with {box.current})")


@secrets_app.command("delete")
@_config_errors
def secrets_delete(name: str, config: ConfigOpt = None) -> None:
    """Remove a secret from the vault."""
    if not _with_hub(config, lambda hub: _vault(hub).delete(name)):
        err.print(f"[red]no secret {name}[/red]")
        raise typer.Exit(1)
    console.print(f"secret {name} deleted")


@secrets_app.command("rotate-key")
@_config_errors
def secrets_rotate_key(config: ConfigOpt = None) -> None:
    """Re-seal every secret under the newest key of the ring (put the new key first, run this, drop the old)."""
    count = _with_hub(config, lambda hub: _vault(hub).rotate())
    console.print(f"re-sealed {count} secret(s) with the newest key")


@secrets_app.command("generate-key")
def secrets_generate_key() -> None:
    """Print a new encryption key (base64 of 32 random bytes) to put first in the key ring."""
    from tradelane.security.secretbox import generate_key

    print(generate_key())


# idempotent; main calls it too (whichever module is imported first, every command ends up wrapped)
audit_commands(app)

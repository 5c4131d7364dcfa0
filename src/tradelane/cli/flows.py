"""``tradelane flows list``: the flow catalogue (mode, schedule and next run, SLAs, owner)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

# main registers this module's app at the end of its import, so these names already exist
from tradelane.cli.main import ConfigOpt, _settings

__all__ = ["flows_app"]

flows_app = typer.Typer(help="The flow catalogue.", no_args_is_help=True)

console = Console()


@flows_app.command("list")
def flows_list(
    config: ConfigOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
) -> None:
    """Print the catalogue: name, mode, schedule / next run, SLAs, owner team."""
    from tradelane.bootstrap import flow_specs
    from tradelane.flows.catalogue import describe

    rows = describe(flow_specs(_settings(config)), datetime.now(UTC))
    if as_json:
        print(json.dumps(rows, indent=2, default=str))
        return
    table = Table("flow", "mode", "schedule", "next run", "SLAs", "owner", "dlq", "description")
    for r in rows:
        slas = ", ".join(f"{s['name']} ≤ {s['within']}" for s in r["slas"])
        table.add_row(r["name"], r["mode"], r["cron"] or "event-driven", r["next_run"] or "", slas or "-",
                      r["owner_team"], "yes" if r["dlq"] else "no", r["description"][:50])
    console.print(table)
    if not rows:
        console.print("no flows configured (add a flows: section to the config)")

"""``tradelane connectors``: the installed connectors and their computed capability matrix."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tradelane.connectors.registry import ConnectorInfo, capability_matrix, describe_mapping, discover
from tradelane.core.errors import ConfigError
from tradelane.mapping.loader import MAPPING_FILE, load_mapping, template_names

__all__ = ["connectors_app"]

connectors_app = typer.Typer(help="Connectors and what they can do.", no_args_is_help=True)


@connectors_app.callback()
def _group() -> None:
    """Connectors and what they can do."""


def _mapping_partners(directory: Path) -> list[ConnectorInfo]:
    files = sorted({*directory.glob("*.yaml"), *directory.glob(f"*/{MAPPING_FILE}")})
    out = []
    for path in files:
        try:
            out.append(describe_mapping(load_mapping(str(path))))
        except ConfigError as exc:
            out.append(ConnectorInfo(id=path.stem if path.name != MAPPING_FILE else path.parent.name,
                                     kind="?", origin="mapping", error=str(exc)))
    return out


@connectors_app.command("list")
def connectors_list(
    mappings_dir: Annotated[Path | None, typer.Option(
        "--mappings-dir", envvar="TRADELANE_MAPPINGS_DIR", help="also list partners configured by mapping files here"
    )] = None,
    templates: Annotated[bool, typer.Option("--templates", help="also list the shipped mapping templates")] = False,
) -> None:
    """Print every connector and its capability matrix (computed from the operations it implements)."""
    console = Console()
    infos = discover()
    if mappings_dir is not None:
        infos.extend(_mapping_partners(mappings_dir))
    if templates:
        infos.extend(describe_mapping(load_mapping(name)) for name in template_names())
    matrix = capability_matrix(infos)
    summary = Table("connector", "kind", "origin", "operations", "status", title="Connectors")
    for info in matrix.connectors:
        summary.add_row(info.id, info.kind, info.origin, str(len(info.operations)),
                        f"[red]failed: {info.error}[/red]" if info.error else "ok")
    console.print(summary)
    grid = Table("capability", *(info.id for info in matrix.connectors), title="Capability matrix")
    for capability, flags in matrix.rows():
        grid.add_row(str(capability), *("✓" if flag else "·" for flag in flags))
    console.print(grid)

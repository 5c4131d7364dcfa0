"""``tradelane edi``: test a partner's EDI file or render a document without running the hub.

* ``tradelane edi parse FILE --partner P`` prints the canonical events as JSON (``--ack`` prints the
  acknowledgment that would be sent instead, ``--report`` the human-readable report). Problems go to
  stderr located by line and segment; the exit code is 0 when everything was accepted, 1 when something
  was refused, 2 for usage errors (unknown partner, unreadable file).
* ``tradelane edi render EVENT.json --partner P --type 204`` prints the interchange for one event (or a
  JSON list of events, one set each).
* ``tradelane edi partners`` lists the partners and what can be rendered for them.
* ``tradelane edi sent --config hub.yaml`` lists the interchanges the hub sent and whether each was
  acknowledged, is awaited or overdue (it reads the hub's database).

Partners come from ``--partner-config FILE.yaml`` or, without it, the samples shipped with Tradelane.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from tradelane.core.envelope import CloudEvent
from tradelane.core.errors import ConfigError, MappingError
from tradelane.edi.partners import PartnerBook, PartnerSettings, builtin_partners, load_partners
from tradelane.edi.service import UploadStatus, handle_upload, render_events, renderable_types

__all__ = ["edi_app"]

#: exit codes: refused input, and usage errors
EXIT_REFUSED, EXIT_USAGE = 1, 2

edi_app = typer.Typer(
    name="edi",
    help="EDI (X12, EDIFACT): parse partner files into canonical events, render documents from events.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)

PartnerOpt = Annotated[str, typer.Option("--partner", "-p", help="partner id from the partner settings")]
PartnerConfigOpt = Annotated[
    Path | None,
    typer.Option("--partner-config", help="partner settings YAML (default: the built-in sample partners)"),
]


def _fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _book(config: Path | None) -> PartnerBook:
    try:
        return load_partners(config) if config is not None else builtin_partners()
    except ConfigError as exc:
        raise _fail(f"partner settings: {exc}") from exc


def _partner(partner: str, config: Path | None) -> PartnerSettings:
    try:
        return _book(config)[partner]
    except ConfigError as exc:
        raise _fail(str(exc)) from exc


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _fail(f"cannot read {path}: {exc.strerror}") from exc


@edi_app.command("parse")
def parse(
    file: Annotated[Path, typer.Argument(help="the X12 or EDIFACT file")],
    partner: PartnerOpt,
    partner_config: PartnerConfigOpt = None,
    ack: Annotated[bool, typer.Option("--ack", help="print the acknowledgment it would send")] = False,
    report: Annotated[bool, typer.Option("--report", help="print the human-readable report")] = False,
) -> None:
    """Parse a partner's file and print the canonical events (JSON), the acknowledgment or a report."""
    settings = _partner(partner, partner_config)
    result = handle_upload(settings, _read(file), file_name=file.name, allow_outbound=True)
    if report:
        typer.echo(result.report(), nl=False)
    elif ack:
        if result.ack is None:
            typer.echo("no acknowledgment is due for this file", err=True)
        else:
            typer.echo(result.ack.decode(settings.encoding, "replace"))
    else:
        typer.echo(json.dumps([e.to_wire() for e in result.events], indent=2, ensure_ascii=False))
    for problem in result.problems:
        typer.echo(f"{file.name}: {problem.describe()}", err=True)
    if result.status is not UploadStatus.ACCEPTED:
        typer.echo(
            f"{file.name}: {result.status.value}: "
            f"{sum(s.accepted for s in result.sets)} of {len(result.sets)} sets accepted",
            err=True,
        )
        raise typer.Exit(EXIT_REFUSED)


def _events(path: Path) -> list[CloudEvent]:
    try:
        loaded: Any = json.loads(_read(path))
    except ValueError as exc:
        raise _fail(f"{path} is not JSON: {exc}") from exc
    items = loaded if isinstance(loaded, list) else [loaded]
    events: list[CloudEvent] = []
    for index, item in enumerate(items):
        try:
            events.append(CloudEvent.model_validate(item))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            prefix = f"[{index}]." if isinstance(loaded, list) else ""
            raise _fail(f"{path}: event {prefix}{where}: {first['msg']}") from exc
    return events


@edi_app.command("render")
def render(
    event_file: Annotated[Path, typer.Argument(help="a CloudEvent (JSON object) or a JSON list of them")],
    partner: PartnerOpt,
    doc_type: Annotated[str, typer.Option("--type", "-t", help="document to write: 204, 940, 990, IFTSTA …")],
    partner_config: PartnerConfigOpt = None,
    control_number: Annotated[
        int, typer.Option("--control-number", min=1, max=999_999_999, help="interchange control number")
    ] = 1,
) -> None:
    """Render canonical events as an interchange for a partner and print it."""
    settings = _partner(partner, partner_config)
    events = _events(event_file)
    try:
        text = render_events(events, settings, doc_type.upper(), control_number=control_number)
    except MappingError as exc:
        for problem in exc.problems:
            typer.echo(f"  {problem.path}: {problem.message}", err=True)
        raise _fail(str(exc), EXIT_REFUSED) from exc
    typer.echo(text, nl=not text.endswith("\n"))


@edi_app.command("partners")
def partners(partner_config: PartnerConfigOpt = None) -> None:
    """List the partners: id, standard, role, interchange id and the documents that can be rendered."""
    for p in _book(partner_config):
        types = ", ".join(renderable_types(p))
        typer.echo(
            f"{p.id:<14} {p.standard:<8} {p.role:<10} {p.interchange.qualifier}:{p.interchange.id:<16} {types}"
        )


def _sent_row(record: Any) -> dict[str, Any]:
    def iso(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    if record.acked_at is not None:
        state = f"{record.ack_kind} {'accepted' if record.ack_accepted else 'rejected'}"
    elif record.exception_id is not None:
        state = f"overdue ({record.exception_id})"
    elif record.sent_at is None:
        state = "reserved"
    else:
        state = "awaiting ack" if record.ack_due_at is not None else "no ack expected"
    return {
        "partner": record.partner,
        "control_number": record.control_number,
        "doc_type": record.doc_type,
        "file": record.file_name,
        "refs": list(record.refs),
        "sent_at": iso(record.sent_at),
        "ack_due_at": iso(record.ack_due_at),
        "acked_at": iso(record.acked_at),
        "state": state,
        "exception_id": record.exception_id,
        "delivery_id": record.delivery_id,
    }


@edi_app.command("sent")
def sent(
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="the hub's YAML config file (default: $TRADELANE_CONFIG)"),
    ] = None,
    partner: Annotated[str | None, typer.Option("--partner", "-p", help="only this partner")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="most interchanges shown, newest first")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table")] = False,
) -> None:
    """Interchanges the hub sent (edi endpoints) and their acknowledgment state: awaiting, acknowledged,
    overdue (with the exception opened for it)."""
    from tradelane.cli.main import _with_hub

    records = _with_hub(config, lambda hub: hub.edi.store.list_outbound(partner, limit))
    rows = [_sent_row(r) for r in records]
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row, ensure_ascii=False))
        return
    if not rows:
        typer.echo("no interchanges sent")
        return
    for row in rows:
        refs = ",".join(row["refs"]) or "-"
        typer.echo(
            f"{row['partner']:<14} {row['control_number']:<10} {row['doc_type']:<7} {row['sent_at'] or '-':<33} "
            f"{row['state']:<24} {refs}"
        )

"""The file-drop channel: a partner's folders, processed on demand, with nothing ever half-written.

Layout under the channel root (one root per partner)::

    inbound/    the partner drops files here (SFTP, shared folder, VAN mailbox sync)
    outbound/   acknowledgments and documents for the partner; it picks them up from here
    archive/    inbound files processed completely
    error/      inbound files with a problem, each with ``<name>.report.txt`` beside it
    ledger.jsonl            interchanges received (duplicate detection by control number)
    control-number.json     our next interchange control number towards this partner
    sent.jsonl              interchanges we sent, and acks.jsonl the acknowledgments that came back;
                            :meth:`FileDropChannel.missing_acks` compares them against the partner's SLA

:meth:`FileDropChannel.process_inbox` handles every file waiting in ``inbound/`` once, in name order.
Order of effects per file — events to the sink, ack to ``outbound/``, file moved, ledger entry — makes a
crash at any point safe to repeat: the event ids are derived from the interchange, so a repeat produces the
same events, and the ledger is written last so a crashed file is not mistaken for a duplicate. Every file
is written to a temporary name in the same folder, flushed, fsync'ed and renamed into place.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tradelane.core.envelope import CloudEvent, utc_now
from tradelane.core.errors import ConfigError
from tradelane.edi.acks import AckReceived, SentInterchange, missing_ack_event, overdue
from tradelane.edi.partners import PartnerBook, PartnerSettings
from tradelane.edi.service import (
    InterchangeLedger,
    UploadResult,
    UploadStatus,
    failed_upload,
    handle_upload,
    remember,
    render_events,
)

__all__ = [
    "ControlNumberCounter",
    "FileDropChannel",
    "FileOutcome",
    "JsonlInterchangeLedger",
    "atomic_write",
]

#: the four folders of a channel
INBOUND, OUTBOUND, ARCHIVE, ERROR = "inbound", "outbound", "archive", "error"
#: ledger, counter and acknowledgment journal file names in the channel root
LEDGER_FILE, COUNTER_FILE, SENT_FILE, ACKS_FILE = (
    "ledger.jsonl",
    "control-number.json",
    "sent.jsonl",
    "acks.jsonl",
)
#: suffix of the report written next to a file in ``error/``
REPORT_SUFFIX = ".report.txt"
#: X12 interchange control numbers have nine digits; the counter wraps before that
MAX_CONTROL_NUMBER = 999_999_999
#: prefix of temporary files (skipped when scanning ``inbound/``)
TEMP_PREFIX = ".tmp-"

EventSink = Callable[[Sequence[CloudEvent]], None]


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one, never a part.

    The bytes go to a temporary file in the same folder, are flushed and fsync'ed, then renamed over
    ``path``; the folder is fsync'ed so the rename survives a power loss.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform lets a directory be opened
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _move(src: Path, folder: Path) -> Path:
    """Rename ``src`` into ``folder``; an existing file of that name is kept and the new one suffixed."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / src.name
    n = 1
    while target.exists():
        target = folder / f"{src.stem}.{n}{src.suffix}"
        n += 1
    os.replace(src, target)
    _fsync_dir(folder)
    return target


class JsonlInterchangeLedger:
    """:class:`~tradelane.edi.service.InterchangeLedger` kept as one JSON object per line in a file.

    Each ``record`` appends one line and fsyncs; a torn last line (power loss mid-append) is ignored on
    reading. Suits one channel process per partner folder.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._keys: set[tuple[str, str]] | None = None

    def _load(self) -> set[tuple[str, str]]:
        if self._keys is None:
            keys: set[tuple[str, str]] = set()
            if self.path.exists():
                for line in self.path.read_text(encoding="utf-8").splitlines():
                    try:
                        row = json.loads(line)
                        keys.add((str(row["partner"]), str(row["control_number"])))
                    except (ValueError, KeyError, TypeError):
                        continue
            self._keys = keys
        return self._keys

    def seen(self, partner: str, control_number: str) -> bool:
        """Whether the interchange was recorded before."""
        return (partner, control_number) in self._load()

    def record(self, partner: str, control_number: str, *, status: str, digest: str, events: int) -> None:
        """Append one entry (and fsync)."""
        row = {
            "partner": partner,
            "control_number": control_number,
            "status": status,
            "sha256": digest,
            "events": events,
        }
        _append(self.path, [row])
        self._load().add((partner, control_number))


class ControlNumberCounter:
    """Our next interchange control number towards one partner, kept in a small JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def next(self) -> int:
        """Take the next number (1 … 999 999 999, then 1 again) and persist the one after it."""
        current = 1
        if self.path.exists():
            try:
                current = int(json.loads(self.path.read_text(encoding="utf-8"))["next"])
            except (ValueError, KeyError, TypeError) as exc:
                # guessing would reuse numbers the partner has seen and get our documents refused
                raise ConfigError(f"control number file {self.path} is unreadable; repair it") from exc
        following = current + 1 if current < MAX_CONTROL_NUMBER else 1
        atomic_write(self.path, json.dumps({"next": following}).encode())
        return current


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one inbound file."""

    #: the file's name as dropped
    name: str
    #: where it is now (archive or error)
    moved_to: Path
    #: the acknowledgment written to ``outbound/``, if any
    ack_path: Path | None
    #: the report written next to it in ``error/``, if any
    report_path: Path | None
    #: the full result
    result: UploadResult


class FileDropChannel:
    """One partner's file-drop folders.

    :param root: the channel folder (created with its sub-folders when missing)
    :param partner: the partner whose files arrive here
    :param sink: receives the events of each file before it is moved (e.g. the ingest service); must be
        idempotent on event id, since a crash makes a file be processed again
    :param ledger: duplicate detection; default: ``ledger.jsonl`` in ``root``
    """

    def __init__(
        self,
        root: Path,
        partner: PartnerSettings,
        *,
        sink: EventSink | None = None,
        ledger: InterchangeLedger | None = None,
    ) -> None:
        self.root = root
        self.partner = partner
        self.sink = sink
        self.ledger: InterchangeLedger = ledger or JsonlInterchangeLedger(root / LEDGER_FILE)
        self.counter = ControlNumberCounter(root / COUNTER_FILE)
        for folder in (INBOUND, OUTBOUND, ARCHIVE, ERROR):
            (root / folder).mkdir(parents=True, exist_ok=True)

    def folder(self, name: str) -> Path:
        """Path of ``inbound``, ``outbound``, ``archive`` or ``error``."""
        return self.root / name

    def waiting(self) -> list[Path]:
        """Files in ``inbound/`` ready to process (hidden and temporary files skipped), in name order."""
        return sorted(
            p for p in self.folder(INBOUND).iterdir() if p.is_file() and not p.name.startswith((".", "~"))
        )

    def process_inbox(self) -> list[FileOutcome]:
        """Process every waiting file once; returns what happened to each."""
        return [self.process_file(path) for path in self.waiting()]

    def process_file(self, path: Path) -> FileOutcome:
        """Process one file from ``inbound/``: events to the sink, ack out, file to archive or error."""
        data = path.read_bytes()
        try:
            result = handle_upload(
                self.partner,
                data,
                ledger=self.ledger,
                ack_control_number=self._ack_number(),
                file_name=path.name,
                record=False,
            )
        except Exception as exc:  # a fault in our code must not turn the file into a poison pill
            result = failed_upload(self.partner, data, path.name, exc)
        if result.events and self.sink is not None:
            self.sink(result.events)
        ack_path = None
        if result.ack is not None:
            extension = ".x12" if result.standard == "X12" else ".edi"
            ack_path = self.folder(OUTBOUND) / f"{result.ack_kind.lower()}-{path.stem}{extension}"
            atomic_write(ack_path, result.ack)
        report_path = None
        if result.status is UploadStatus.ACCEPTED:
            moved = _move(path, self.folder(ARCHIVE))
        else:
            moved = _move(path, self.folder(ERROR))
            report_path = moved.with_name(moved.name + REPORT_SUFFIX)
            atomic_write(report_path, result.report().encode("utf-8"))
        if result.acks:
            _append(self.root / ACKS_FILE, [asdict(a) for a in result.acks])
        remember(self.ledger, result)
        return FileOutcome(path.name, moved, ack_path, report_path, result)

    def _ack_number(self) -> str | None:
        if self.partner.ack.send == "none":
            return None
        number = self.counter.next()
        return str(number).zfill(9) if self.partner.standard == "x12" else str(number)

    def send(
        self,
        events: Iterable[CloudEvent],
        doc_type: str,
        *,
        name: str | None = None,
        now: datetime | None = None,
    ) -> Path:
        """Render ``events`` as one ``doc_type`` interchange, drop it in ``outbound/`` and journal it in
        ``sent.jsonl`` for acknowledgment monitoring.

        :param now: when it is sent (default: the current time)
        :returns: the file written
        :raises EdiRenderError: see :func:`~tradelane.edi.service.render_events`
        """
        batch = list(events)
        number = self.counter.next()
        text = render_events(batch, self.partner, doc_type, control_number=number)
        extension = ".x12" if self.partner.standard == "x12" else ".edi"
        target = self.folder(OUTBOUND) / (name or f"{doc_type.lower()}-{number:09d}{extension}")
        atomic_write(target, text.encode(self.partner.encoding))
        control = str(number).zfill(9) if self.partner.standard == "x12" else str(number)
        sent = SentInterchange(
            self.partner.id,
            control,
            doc_type,
            now or utc_now(),
            tuple(e.partitionkey or e.subject or e.id for e in batch),
        )
        _append(self.root / SENT_FILE, [{**asdict(sent), "sent_at": sent.sent_at.isoformat()}])
        return target

    def missing_acks(self, now: datetime) -> list[CloudEvent]:
        """``exception.opened`` events for sent interchanges not acknowledged within the partner's SLA."""
        sent = [
            SentInterchange(
                r["partner"],
                r["control_number"],
                r["doc_type"],
                datetime.fromisoformat(r["sent_at"]),
                tuple(r["references"]),
            )
            for r in _read_jsonl(self.root / SENT_FILE)
        ]
        acks = [AckReceived(**r) for r in _read_jsonl(self.root / ACKS_FILE)]
        late = overdue(sent, acks, PartnerBook([self.partner]), now)
        return [missing_ack_event(item, self.partner, now) for item in late]


def _append(path: Path, rows: list[dict[str, object]]) -> None:
    """Append JSON lines and fsync. A torn last line (power loss mid-append) is closed first so the new
    rows stay readable; the torn one is skipped on reading."""
    path.parent.mkdir(parents=True, exist_ok=True)
    torn = False
    if path.exists() and path.stat().st_size:
        with path.open("rb") as fh:
            fh.seek(-1, os.SEEK_END)
            torn = fh.read(1) != b"\n"
    with path.open("a", encoding="utf-8") as fh:
        if torn:
            fh.write("\n")
        fh.writelines(json.dumps(row, sort_keys=True) + "\n" for row in rows)
        fh.flush()
        os.fsync(fh.fileno())


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    rows: list[dict[str, Any]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict):
            rows.append(row)
    return rows

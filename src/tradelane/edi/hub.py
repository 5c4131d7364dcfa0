"""EDI inside a running hub: inbound interchanges into the ingest path, the file-drop poll, outbound
documents from routed events, and the missing-acknowledgment check.

* :meth:`EdiHub.receive` is the one inbound path, used by the HTTP upload route and the folder poll alike:
  :func:`~tradelane.edi.service.handle_upload` decides the verdict and the acknowledgment, then the events of
  an accepted (or partly accepted) interchange are submitted to the ingest service with an idempotency claim
  keyed by the partner and the interchange control number (ISA13 / UNB05) and the file's SHA-256. "These
  events are stored" and "this control number was received" commit in one transaction: the same file again
  is a replay (nothing stored twice), another file under a used control number is the EDI duplicate (TA1 025
  / CONTRL 26, nothing emitted), a refused interchange claims nothing (the partner may resend it fixed).
  Acknowledgments the file carries (TA1, 997, 999, CONTRL) mark our outbound interchanges acknowledged.
* :meth:`EdiHub.poll_once` (every ``edi.filedrop.poll_seconds``) processes each polled partner's
  ``inbound/`` folder in name order: acknowledgment to ``outbound/``, file to ``archive/`` (accepted) or
  ``error/`` with ``<name>.report.txt``. A file stays in ``inbound/`` until its events are committed, so a
  crash or a database outage only means it is read again (a replay). A lock file in each channel folder
  keeps two hubs on one host from working the same folder at once.
* :class:`EdiDestination` is the sender of an ``edi`` endpoint: each routed event (a tender → 204, a
  release → 940 …) becomes one interchange in the partner's ``outbound/`` folder, recorded in the
  :class:`~tradelane.edi.tracking.EdiStore` under the delivery id so a retry rewrites the same file.
* :meth:`EdiHub.check_acks` (every ``edi.ack_check_seconds``) opens an exception through the flow runtime's
  exception service for every sent interchange whose acknowledgment is overdue; a late acknowledgment
  resolves it.

Time comes from ``clock`` (injectable: tests advance it instead of sleeping).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal, Protocol

from tradelane.core.envelope import CloudEvent, utc_now
from tradelane.core.errors import ConfigError, ConflictError, NotFound
from tradelane.edi.acks import SentInterchange, missing_ack_exception
from tradelane.edi.channels import ARCHIVE, ERROR, INBOUND, OUTBOUND, REPORT_SUFFIX, _move, atomic_write
from tradelane.edi.partners import PartnerBook, PartnerSettings
from tradelane.edi.report import Problem
from tradelane.edi.service import (
    UploadResult,
    UploadStatus,
    failed_upload,
    handle_upload,
    render_events,
    renderable_types,
)
from tradelane.edi.tracking import AckMatch, EdiStore, OutboundRecord, Reservation, match_key
from tradelane.ports.flows import ExceptionView, NewException
from tradelane.ports.store import IdempotencyClaim, SubmissionResult

__all__ = ["MAX_FILE_BYTES", "DropOutcome", "EdiDestination", "EdiHub", "Received"]

log = logging.getLogger("tradelane.edi")

#: the largest interchange read from a folder or accepted over HTTP (bytes)
MAX_FILE_BYTES = 20 * 1024 * 1024
#: lock file in each channel folder while a hub works its inbox
LOCK_FILE = ".tradelane.lock"
#: overdue interchanges handled per check round
ACK_CHECK_BATCH = 100
#: who resolves an exception when the late acknowledgment arrives
ACTOR = "edi"
#: the longest an idempotency scope may be (``idempotency_keys.scope``)
SCOPE_MAX = 100

Clock = Callable[[], datetime]
Outcome = Literal["stored", "replayed", "duplicate", "rejected", "conflict"]


class Ingest(Protocol):
    """The part of :class:`tradelane.ingest.service.IngestService` the EDI intake uses."""

    async def submit(
        self,
        tenant: str,
        events: list[CloudEvent],
        *,
        channel: str = "api",
        batch: bool = False,
        idempotency: IdempotencyClaim | None = None,
    ) -> SubmissionResult: ...


class Exceptions(Protocol):
    """The part of :class:`tradelane.flows.exceptions.ExceptionService` the ack check uses."""

    async def open(self, new: NewException) -> tuple[ExceptionView, bool]: ...

    async def resolve(
        self, exception_id: str, tenant: str | None, actor: str, note: str | None = None
    ) -> ExceptionView: ...


@dataclass(frozen=True)
class Received:
    """One inbound interchange after the ingest transaction."""

    #: the verdict (``DUPLICATE`` when the control number was received before with another file)
    result: UploadResult
    #: ``stored`` (events committed now), ``replayed`` (this very file was stored before), ``duplicate``,
    #: ``rejected`` (nothing claimed) or ``conflict`` (an event id already stored with another payload)
    outcome: Outcome
    #: the hub ids of the events, in document order
    hub_ids: tuple[str, ...] = ()
    #: ingest's explanation of a ``conflict``
    conflict: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class DropOutcome:
    """What the poll did with one file."""

    partner: str
    name: str
    moved_to: Path
    ack_path: Path | None
    report_path: Path | None
    received: Received


class _Seen:
    """A ledger that knows one control number: re-parsing with it yields the duplicate acknowledgment."""

    def __init__(self, partner: str, control_number: str) -> None:
        self._key = (partner, control_number)

    def seen(self, partner: str, control_number: str) -> bool:
        return (partner, control_number) == self._key

    def record(self, partner: str, control_number: str, *, status: str, digest: str, events: int) -> None:
        return None


@contextlib.contextmanager
def _folder_lock(root: Path) -> Iterator[bool]:
    """Hold an exclusive, non-blocking lock on ``root``; yields ``False`` when another process holds it."""
    fd = os.open(root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _extension(partner: PartnerSettings) -> str:
    return ".x12" if partner.standard == "x12" else ".edi"


def _width(partner: PartnerSettings) -> int:
    """ISA13 has nine digits; UNB05 is written unpadded."""
    return 9 if partner.standard == "x12" else 0


def _refs(event: CloudEvent) -> tuple[str, ...]:
    data = event.data if isinstance(event.data, dict) else {}
    for key in ("shipment_id", "order_id", "receipt_id", "invoice_id"):
        if isinstance(data.get(key), str):
            return (data[key],)
    return (event.partitionkey or event.subject or event.id,)


def _free_name(folder: Path, name: str) -> Path:
    target = folder / name
    stem, suffix = os.path.splitext(name)
    n = 1
    while target.exists():
        target = folder / f"{stem}.{n}{suffix}"
        n += 1
    return target


class EdiHub:
    """The hub's EDI: partners, channel folders, the inbound path, outbound destinations and the ack check.

    :param partners: the partner book (``edi.partners_file``)
    :param store: sent interchanges and control numbers
    :param channels: partner id → channel folder (``inbound/``, ``outbound/``, ``archive/``, ``error/``)
    :param polled: the partners whose ``inbound/`` is polled
    :param tenant: tenant of the events of dropped files
    :param ingest: where events are committed (``None`` in processes that only send, e.g. a worker)
    :param exceptions: where overdue acknowledgments are raised (set by bootstrap once the flow runtime exists)
    :param clock: time source for sent/acknowledged/due times and the ack check
    """

    def __init__(
        self,
        partners: PartnerBook,
        store: EdiStore,
        *,
        channels: Mapping[str, Path] | None = None,
        polled: Sequence[str] = (),
        tenant: str = "hub",
        ingest: Ingest | None = None,
        exceptions: Exceptions | None = None,
        poll_seconds: float = 10.0,
        ack_check_seconds: float = 60.0,
        clock: Clock = utc_now,
    ) -> None:
        self.partners = partners
        self.store = store
        self.channels = dict(channels or {})
        self.polled = tuple(polled)
        self.tenant = tenant
        self.ingest = ingest
        self.exceptions = exceptions
        self.poll_seconds = poll_seconds
        self.ack_check_seconds = ack_check_seconds
        self.clock = clock
        self._tasks: list[asyncio.Task[None]] = []
        for partner_id in (*self.channels, *self.polled):
            if partner_id not in partners:
                raise ConfigError(f"unknown EDI partner {partner_id!r}", key=f"edi.filedrop.{partner_id}")
        for partner_id in self.polled:
            if partner_id not in self.channels:
                raise ConfigError(
                    f"EDI partner {partner_id!r} is polled but has no folder (set edi.filedrop.root or folders)",
                    key="edi.filedrop.partners",
                )

    # -- folders --------------------------------------------------------------------------------------------
    def folder(self, partner_id: str, name: str = "") -> Path:
        """The partner's channel folder, or one of its sub-folders (created when missing)."""
        try:
            root = self.channels[partner_id]
        except KeyError:
            raise ConfigError(
                f"EDI partner {partner_id!r} has no file-drop folder (set edi.filedrop.root or folders)",
                key="edi.filedrop.root",
            ) from None
        for sub in (INBOUND, OUTBOUND, ARCHIVE, ERROR):
            (root / sub).mkdir(parents=True, exist_ok=True)
        return root / name if name else root

    # -- inbound --------------------------------------------------------------------------------------------
    async def receive(
        self,
        partner: PartnerSettings,
        data: bytes,
        *,
        tenant: str,
        file_name: str = "upload",
        ack_control_number: str | None = None,
    ) -> Received:
        """Verdict, ingest transaction and acknowledgment bookkeeping for one inbound interchange."""
        if self.ingest is None:
            raise RuntimeError("this EDI hub has no ingest service")
        try:
            result = handle_upload(partner, data, file_name=file_name, ack_control_number=ack_control_number)
        except Exception as exc:  # a fault in our mapping code must not turn the file into a poison pill
            log.exception("processing EDI file %s from %s failed", file_name, partner.id)
            result = failed_upload(partner, data, file_name, exc)
        if result.status is UploadStatus.REJECTED:
            return Received(result, "rejected")
        known = await self.store.received_digest(tenant, partner.id, result.control_number)
        if known is not None and known != result.digest:  # stored long ago, the claim since purged
            return Received(
                self._duplicate(partner, data, result, file_name, ack_control_number), "duplicate"
            )
        claim = IdempotencyClaim(
            scope=f"edi:{tenant}:{partner.id}"[:SCOPE_MAX],
            key=result.control_number,
            request_hash=result.digest,
        )
        submitted = await self.ingest.submit(
            tenant, list(result.events), channel="edi", batch=True, idempotency=claim
        )
        if submitted.outcome == "key_mismatch":
            return Received(
                self._duplicate(partner, data, result, file_name, ack_control_number), "duplicate"
            )
        if submitted.outcome == "conflict":
            body = submitted.body if isinstance(submitted.body, dict) else {}
            return Received(result, "conflict", conflict=body)
        body = submitted.body if isinstance(submitted.body, dict) else {}
        hub_ids = tuple(str(e["hubid"]) for e in body.get("events", ()))
        await self.store.record_received(
            tenant,
            partner.id,
            result.control_number,
            digest=result.digest,
            status=result.status.value,
            events=len(result.events),
            now=self.clock(),
        )
        await self.record_acks(result)
        return Received(result, "replayed" if submitted.outcome == "replayed" else "stored", hub_ids)

    @staticmethod
    def _duplicate(
        partner: PartnerSettings,
        data: bytes,
        result: UploadResult,
        file_name: str,
        ack_control_number: str | None,
    ) -> UploadResult:
        """Re-read ``data`` knowing its control number was received: the duplicate verdict and TA1 / CONTRL."""
        return handle_upload(
            partner,
            data,
            ledger=_Seen(partner.id, result.control_number),
            record=False,
            file_name=file_name,
            ack_control_number=ack_control_number,
        )

    async def record_acks(self, result: UploadResult) -> list[OutboundRecord]:
        """Mark the interchanges ``result``'s acknowledgments name as acknowledged; a late one resolves the
        exception opened for it. Idempotent (a replayed file changes nothing)."""
        matches = [
            AckMatch(match_key(a.interchange_control or a.group_control), a.kind, a.accepted)
            for a in result.acks
            if a.interchange_control or a.group_control
        ]
        if not matches:
            return []
        now = self.clock()
        acked = await self.store.acknowledge(result.partner, matches, now)
        for record in acked:
            if record.exception_id and self.exceptions is not None:
                note = f"{record.ack_kind} received {now.isoformat()} (after the agreed time)"
                with contextlib.suppress(ConflictError, NotFound):  # already resolved by a person
                    await self.exceptions.resolve(record.exception_id, record.tenant, ACTOR, note)
        return acked

    async def _ack_number(self, partner: PartnerSettings) -> str | None:
        if partner.ack.send == "none":
            return None
        number = await self.store.next_control_number(partner.id, self.clock())
        return str(number).zfill(_width(partner))

    async def process_file(self, partner: PartnerSettings, path: Path) -> DropOutcome:
        """One file from ``inbound/``: receive it, write the ack, move it (with a report when not accepted).

        An ingest failure (database away) propagates and leaves the file where it is, for the next poll.
        """
        size = (await asyncio.to_thread(path.stat)).st_size
        if size > MAX_FILE_BYTES:  # never read a runaway file into memory: refuse it with a report
            problem = Problem(
                message=f"the file has {size} bytes; interchanges of at most {MAX_FILE_BYTES} bytes are read",
                code="too_large",
                level="interchange",
            )
            refused = UploadResult(
                partner=partner.id,
                standard="",
                control_number="",
                status=UploadStatus.REJECTED,
                events=(),
                ack=None,
                ack_kind="",
                problems=(problem,),
                file_name=path.name,
            )
            received = Received(refused, "rejected")
        else:
            data = await asyncio.to_thread(path.read_bytes)
            received = await self.receive(
                partner,
                data,
                tenant=self.tenant,
                file_name=path.name,
                ack_control_number=await self._ack_number(partner),
            )
        result = received.result
        moved, ack_path, report_path = await asyncio.to_thread(self._finish, partner, path, received)
        log.info("EDI %s from %s: %s (%s)", path.name, partner.id, result.status.value, received.outcome)
        return DropOutcome(partner.id, path.name, moved, ack_path, report_path, received)

    def _finish(
        self, partner: PartnerSettings, path: Path, received: Received
    ) -> tuple[Path, Path | None, Path | None]:
        """Ack to ``outbound/``, then the file to ``archive/`` or ``error/`` (+ report); each write atomic."""
        result = received.result
        ack_path = None
        if result.ack is not None:
            ack_name = f"{result.ack_kind.lower()}-{path.stem}{_extension(partner)}"
            ack_path = _free_name(self.folder(partner.id, OUTBOUND), ack_name)
            atomic_write(ack_path, result.ack)
        if received.outcome in ("stored", "replayed") and result.status is UploadStatus.ACCEPTED:
            return _move(path, self.folder(partner.id, ARCHIVE)), ack_path, None
        moved = _move(path, self.folder(partner.id, ERROR))
        report_path = moved.with_name(moved.name + REPORT_SUFFIX)
        report = result.report()
        if received.conflict is not None:
            report += (
                "\nNot stored: event ids of this interchange are already stored with another payload: "
                f"{', '.join(received.conflict.get('conflicts', ()))}\n"
            )
        atomic_write(report_path, report.encode("utf-8"))
        return moved, ack_path, report_path

    async def poll_once(self) -> list[DropOutcome]:
        """Process every file waiting in each polled partner's ``inbound/`` once, in name order."""
        out: list[DropOutcome] = []
        for partner_id in self.polled:
            partner = self.partners[partner_id]
            root = self.folder(partner_id)
            with _folder_lock(root) as mine:
                if not mine:
                    continue
                inbox = root / INBOUND
                waiting = sorted(
                    p for p in inbox.iterdir() if p.is_file() and not p.name.startswith((".", "~"))
                )
                for path in waiting:
                    out.append(await self.process_file(partner, path))
        return out

    # -- outbound -------------------------------------------------------------------------------------------
    def destination(self, partner_id: str, doc_type: str, *, endpoint: str = "") -> EdiDestination:
        """The sender of an ``edi`` endpoint; checks the partner, the document type and the folder now.

        :raises ConfigError: naming ``endpoints.<endpoint>.edi``
        """
        key = f"endpoints.{endpoint}.edi" if endpoint else "edi"
        if partner_id not in self.partners:
            known = ", ".join(p.id for p in self.partners)
            raise ConfigError(f"unknown EDI partner {partner_id!r} (known: {known})", key=f"{key}.partner")
        partner = self.partners[partner_id]
        if doc_type not in renderable_types(partner):
            known = ", ".join(renderable_types(partner))
            raise ConfigError(
                f"cannot write {doc_type!r} to {partner.standard.upper()} partner {partner_id} (known: {known})",
                key=f"{key}.document",
            )
        if partner_id not in self.channels:
            raise ConfigError(
                f"EDI partner {partner_id!r} has no file-drop folder to write to (set edi.filedrop.root or folders)",
                key="edi.filedrop.root",
            )
        return EdiDestination(self, partner, doc_type)

    async def send(
        self,
        events: Sequence[CloudEvent],
        partner: PartnerSettings,
        doc_type: str,
        *,
        tenant: str,
        delivery_id: str | None = None,
    ) -> OutboundRecord:
        """Write ``events`` as one interchange to the partner's ``outbound/`` and start its ack clock.

        :raises EdiRenderError: / :class:`~tradelane.core.errors.MappingError` before a control number is
            taken, when the events cannot be written
        """
        render_events(events, partner, doc_type, control_number=1)  # refuse bad events before numbering
        record = await self.store.reserve_outbound(
            Reservation(
                tenant=tenant,
                partner=partner.id,
                doc_type=doc_type,
                extension=_extension(partner),
                width=_width(partner),
                delivery_id=delivery_id,
                refs=tuple(r for e in events for r in _refs(e)),
            ),
            self.clock(),
        )
        text = render_events(events, partner, doc_type, control_number=record.number)
        target = self.folder(partner.id, OUTBOUND) / record.file_name
        await asyncio.to_thread(atomic_write, target, text.encode(partner.encoding))
        sent_at = self.clock()
        due = sent_at + timedelta(minutes=partner.ack.within_minutes) if partner.ack.expect else None
        await self.store.mark_sent(record.id, sent_at, due)
        return record

    # -- missing acknowledgments ----------------------------------------------------------------------------
    async def check_acks(self) -> list[str]:
        """Open an exception for each sent interchange whose acknowledgment is overdue; returns their ids."""
        if self.exceptions is None:
            return []
        opened: list[str] = []
        for record in await self.store.due_unacknowledged(self.clock(), ACK_CHECK_BATCH):
            if record.partner not in self.partners or record.sent_at is None:
                continue
            partner = self.partners[record.partner]
            sent = SentInterchange(
                partner.id, record.control_number, record.doc_type, record.sent_at, record.refs
            )
            links: dict[str, Any] = {
                "edi": {
                    "partner": partner.id,
                    "control_number": record.control_number,
                    "doc_type": record.doc_type,
                    "file": record.file_name,
                },
            }
            if record.delivery_id:
                links["delivery_ids"] = [record.delivery_id]
            view, _ = await self.exceptions.open(missing_ack_exception(sent, partner, record.tenant, links))
            if not await self.store.set_exception(record.id, view.id):
                # the acknowledgment arrived while the exception was being opened, and did not see it
                with contextlib.suppress(ConflictError, NotFound):
                    await self.exceptions.resolve(view.id, record.tenant, ACTOR, "acknowledged meanwhile")
                continue
            opened.append(view.id)
        return opened

    # -- loops ----------------------------------------------------------------------------------------------
    async def _loop(self, name: str, step: Callable[[], Any], interval: float) -> None:
        while True:
            try:
                await step()
            except Exception:  # the database or a folder may be briefly away; the next round retries
                log.exception("EDI %s round failed", name)
            await asyncio.sleep(interval)

    async def start(self) -> None:
        """Run the folder poll (when partners are polled) and the ack check in the background."""
        if self._tasks:
            return
        if self.polled and self.ingest is not None:
            self._tasks.append(
                asyncio.create_task(
                    self._loop("file-drop", self.poll_once, self.poll_seconds), name="tradelane-edi-poll"
                )
            )
        if self.exceptions is not None:
            self._tasks.append(
                asyncio.create_task(
                    self._loop("ack-check", self.check_acks, self.ack_check_seconds),
                    name="tradelane-edi-acks",
                )
            )

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()


class EdiDestination:
    """An ``edi`` endpoint: each delivered event becomes one interchange in the partner's ``outbound/``.

    Used through :class:`tradelane.delivery.senders.CallableSender`: a document that cannot be written
    (mapping or render error) is permanent and goes to the dead-letter queue; a folder or database error is
    transient and retried, writing the same file under the same control number.
    """

    def __init__(self, hub: EdiHub, partner: PartnerSettings, doc_type: str) -> None:
        self.hub = hub
        self.partner = partner
        self.doc_type = doc_type

    async def deliver(self, delivery: Any) -> None:
        event = CloudEvent.model_validate(delivery.event)
        await self.hub.send(
            [event], self.partner, self.doc_type, tenant=delivery.tenant, delivery_id=delivery.id
        )

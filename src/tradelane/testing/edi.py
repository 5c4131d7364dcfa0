"""Shipped fakes for the EDI service: an in-memory interchange ledger.

Use it wherever :class:`tradelane.edi.service.InterchangeLedger` is expected in unit tests (or a demo)
that should not touch the file system::

    ledger = InMemoryInterchangeLedger()
    handle_upload(partner, data, ledger=ledger)
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["InMemoryInterchangeLedger", "LedgerEntry"]


@dataclass(frozen=True)
class LedgerEntry:
    """One recorded interchange."""

    #: partner id
    partner: str
    #: ISA13 / UNB05
    control_number: str
    #: ``accepted`` or ``partial``
    status: str
    #: SHA-256 of the file
    digest: str
    #: events emitted
    events: int


@dataclass
class InMemoryInterchangeLedger:
    """Interchanges received, kept in a list (insertion order) for assertions."""

    #: every recorded interchange, oldest first
    entries: list[LedgerEntry] = field(default_factory=list)

    def seen(self, partner: str, control_number: str) -> bool:
        """Whether ``partner`` sent ``control_number`` before."""
        return any(e.partner == partner and e.control_number == control_number for e in self.entries)

    def record(self, partner: str, control_number: str, *, status: str, digest: str, events: int) -> None:
        """Remember an interchange."""
        self.entries.append(LedgerEntry(partner, control_number, status, digest, events))

"""ANSI X12 codec for transport and warehouse partners: syntax, envelopes, validation and acknowledgments.

Parse with :func:`parse_x12` (a verdict per set plus the TA1/997/999 to send), write with
:func:`render_interchange`. Transaction set specs for 204, 990, 214, 210, 940, 945, 856, 997 and 999 are
data in :mod:`.transactions` and :mod:`.dictionary`. Mapping to the canonical model lives elsewhere.
"""

from tradelane.connectors.edi_common import (
    EdiIssue,
    EdiParseError,
    EdiRenderError,
    InterchangeKey,
    InterchangeResult,
    InterchangeStatus,
    SetOutcome,
    is_duplicate,
    remember,
)
from tradelane.connectors.x12.ack import AckKind
from tradelane.connectors.x12.codec import AckOptions, X12Result, fuzz_x12, parse_x12
from tradelane.connectors.x12.model import (
    FunctionalGroup,
    Interchange,
    TransactionSet,
    default_delimiters,
    render_interchange,
)
from tradelane.connectors.x12.syntax import Delimiters, Repeated, Segment
from tradelane.connectors.x12.transactions import TRANSACTIONS

__all__ = [
    "TRANSACTIONS",
    "AckKind",
    "AckOptions",
    "Delimiters",
    "EdiIssue",
    "EdiParseError",
    "EdiRenderError",
    "FunctionalGroup",
    "Interchange",
    "InterchangeKey",
    "InterchangeResult",
    "InterchangeStatus",
    "Repeated",
    "Segment",
    "SetOutcome",
    "TransactionSet",
    "X12Result",
    "default_delimiters",
    "fuzz_x12",
    "is_duplicate",
    "parse_x12",
    "remember",
    "render_interchange",
]

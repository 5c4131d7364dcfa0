"""UN/EDIFACT codec on pydifact: UNA/UNB/UNG/UNH envelopes, message structures and CONTRL acknowledgments.

Parse with :func:`parse_edifact` (a verdict per message plus the CONTRL to send), write with
:func:`render_edifact`. Message structures for IFTMIN, IFTSTA, DESADV and CONTRL are data in
:mod:`.messages` and :mod:`.directory`. Mapping to the canonical model lives elsewhere.
"""

from tradelane.connectors.edifact.codec import ContrlOptions, EdifactResult, fuzz_edifact, parse_edifact
from tradelane.connectors.edifact.messages import MESSAGES
from tradelane.connectors.edifact.model import EdifactInterchange, Message, MessageGroup, render_edifact
from tradelane.connectors.edifact.syntax import DEFAULT_CHARS, Segment, ServiceChars

__all__ = [
    "DEFAULT_CHARS",
    "MESSAGES",
    "ContrlOptions",
    "EdifactInterchange",
    "EdifactResult",
    "Message",
    "MessageGroup",
    "Segment",
    "ServiceChars",
    "fuzz_edifact",
    "parse_edifact",
    "render_edifact",
]

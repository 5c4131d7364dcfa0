"""EDI for transport and warehouse partners: X12 and EDIFACT documents ↔ canonical CloudEvents.

The codecs live in :mod:`tradelane.connectors.x12` and :mod:`tradelane.connectors.edifact`; this package
is what turns their output into the hub's vocabulary and back:

* :mod:`.partners` — per-partner settings (ids and qualifiers, version, separators, ack policy, code
  tables), loaded from YAML; :func:`builtin_partners` are the shipped samples;
* :mod:`.x12_mapping` (:mod:`.x12_carrier`, :mod:`.x12_warehouse`) and :mod:`.edifact_mapping` — the
  mappings, one pair of pure functions per transaction set, code tables in :mod:`.codes`;
* :mod:`.events` — CloudEvent envelopes with ids derived from the interchange (idempotent re-parsing);
* :mod:`.service` — :func:`handle_upload` (one inbound interchange → events, ack, located problems) and
  :func:`render_events` (events → one outbound interchange);
* :mod:`.channels` — the file-drop folders and the JSON-lines interchange ledger;
* :mod:`.acks` — acknowledgment monitoring: acks received vs. interchanges sent, overdue → exception;
* :mod:`.hub` — EDI in a running hub: the inbound path shared by HTTP upload and the folder poll, the
  ``edi`` endpoint that writes routed events as interchanges, the scheduled missing-ack check;
  :mod:`.tracking` its store port (sent interchanges, control numbers), the SQL adapter is :mod:`tradelane.store.edi`;
* :mod:`.report` — problems located by line and segment, and the human-readable report.
"""

from tradelane.edi.acks import (
    AckReceived,
    SentInterchange,
    acks_of,
    missing_ack_event,
    missing_ack_exception,
    overdue,
)
from tradelane.edi.channels import (
    ControlNumberCounter,
    FileDropChannel,
    FileOutcome,
    JsonlInterchangeLedger,
    atomic_write,
)
from tradelane.edi.events import SetMappingError, event_id
from tradelane.edi.hub import DropOutcome, EdiDestination, EdiHub, Received
from tradelane.edi.partners import (
    AckPolicy,
    EdifactOptions,
    EdiIdentity,
    PartnerBook,
    PartnerSettings,
    X12Delimiters,
    X12Options,
    builtin_partners,
    load_partners,
    parse_partners,
)
from tradelane.edi.report import Problem
from tradelane.edi.service import (
    InterchangeLedger,
    SetSummary,
    UploadResult,
    UploadStatus,
    detect_standard,
    handle_upload,
    remember,
    render_events,
    renderable_types,
)
from tradelane.edi.tracking import AckMatch, EdiStore, OutboundRecord, Reservation

__all__ = [
    "AckMatch",
    "AckPolicy",
    "AckReceived",
    "ControlNumberCounter",
    "DropOutcome",
    "EdiDestination",
    "EdiHub",
    "EdiStore",
    "EdiIdentity",
    "EdifactOptions",
    "FileDropChannel",
    "FileOutcome",
    "InterchangeLedger",
    "JsonlInterchangeLedger",
    "OutboundRecord",
    "PartnerBook",
    "PartnerSettings",
    "Problem",
    "Received",
    "Reservation",
    "SentInterchange",
    "SetMappingError",
    "SetSummary",
    "UploadResult",
    "UploadStatus",
    "X12Delimiters",
    "X12Options",
    "acks_of",
    "atomic_write",
    "builtin_partners",
    "detect_standard",
    "event_id",
    "handle_upload",
    "load_partners",
    "missing_ack_event",
    "missing_ack_exception",
    "overdue",
    "parse_partners",
    "remember",
    "render_events",
    "renderable_types",
]

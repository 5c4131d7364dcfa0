"""Property tests of the writers: any text and any instant survive rendering, our own validation and
reading back — delimiters in free text are escaped (EDIFACT) or blanked (X12), never a broken file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradelane.core.envelope import CloudEvent
from tradelane.edi import UploadStatus, builtin_partners, handle_upload, render_events

#: bounded for the unit suite
PROPERTIES = settings(
    max_examples=120, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
_PARTNERS = builtin_partners()
_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("*~>^:+'?"),
    min_size=1,
    max_size=90,
).filter(lambda t: t.strip() != "")
_INSTANTS = st.datetimes(
    min_value=datetime(2000, 1, 2), max_value=datetime(2090, 12, 30), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))


def _milestone(occurred: datetime, reason: str, milestone: str) -> CloudEvent:
    data = {
        "shipment_id": "SHP-1",
        "tracking_number": "PRO-1",
        "carrier_id": "party_x",
        "event": {"milestone": milestone, "occurred_at": occurred.isoformat(), "reason": reason},
    }
    return CloudEvent(id="p", source="/t", type="tradelane.shipment.milestone.v1", time=occurred, data=data)


@PROPERTIES
@given(_INSTANTS, _TEXT, st.sampled_from(["picked_up", "departed", "in_transit", "delivered", "exception"]))
def test_214_survives_any_reason_and_instant(occurred: datetime, reason: str, milestone: str) -> None:
    partner = _PARTNERS["abf"]
    text = render_events([_milestone(occurred, reason, milestone)], partner, "214", control_number=7)
    result = handle_upload(partner, text.encode(partner.encoding), allow_outbound=True)
    assert result.status is UploadStatus.ACCEPTED, [p.describe() for p in result.problems]
    (event,) = result.events
    assert event.data["event"]["milestone"] == milestone
    assert datetime.fromisoformat(event.data["event"]["occurred_at"]) == occurred
    assert all(ch not in event.data["event"].get("reason", "") for ch in "*~>")


@PROPERTIES
@given(_INSTANTS, _TEXT, st.sampled_from(["picked_up", "arrived_at_terminal", "delivered", "delayed"]))
def test_iftsta_keeps_any_reason_exactly(occurred: datetime, reason: str, milestone: str) -> None:
    partner = _PARTNERS["dhl-freight"]
    text = render_events([_milestone(occurred, reason, milestone)], partner, "IFTSTA", control_number=7)
    result = handle_upload(partner, text.encode(partner.encoding), allow_outbound=True)
    assert result.status is UploadStatus.ACCEPTED, [p.describe() for p in result.problems]
    (event,) = result.events
    # UNOC is Latin-1: released separators come back as they were, characters outside it are dropped
    latin = "".join(ch for ch in reason if ch.isprintable() and ord(ch) < 256)
    assert event.data["event"].get("reason") == (" ".join(latin.split())[:256] or None)
    assert datetime.fromisoformat(event.data["event"]["occurred_at"]) - occurred < timedelta(seconds=1)

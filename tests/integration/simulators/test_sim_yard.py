"""The yard connector against the yard simulator over real loopback HTTP: appointments booked and moved,
the yard's own reference kept as a cross reference, and a visit (gate-in, door, unloading, gate-out) mapped
to valid canonical events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest

from tradelane.connectors.yard import YardConnector, YardSettings
from tradelane.core.envelope import CloudEvent
from tradelane.core.errors import MappingError
from tradelane.core.registry import registry
from tradelane.delivery.signing import generate_secret
from tradelane.mapping.loader import template_dir
from tradelane.ports.xref import XrefField
from tradelane.testing.simulators import CallbackReceiver, receiving, template_xrefs
from tradelane.testing.simulators.yard import YardSimulator

APPOINTMENT = "appt_rtm_20261120_01"


def appointment_event(event_id: str = "evt-1", **changes: Any) -> CloudEvent:
    doc = json.loads(template_dir("yard").joinpath("samples", "appointment_requested.json").read_text())
    doc["id"] = event_id
    doc["data"]["appointment_id"] = doc["data"]["appointment"]["appointment_id"] = APPOINTMENT
    doc["data"]["appointment"].update(changes)
    return CloudEvent.model_validate(doc)


def data(event: CloudEvent) -> dict[str, Any]:
    wire: dict[str, Any] = event.to_wire()["data"]
    return wire


class Rig:
    def __init__(self, **sim_options: Any) -> None:
        self.secret = generate_secret()
        self.events: list[CloudEvent] = []
        self.problems: list[Exception] = []
        self.xrefs = template_xrefs("yard")
        self.sim = YardSimulator(secret=self.secret, api_key="yard-key", seed=9, **sim_options)

    async def __aenter__(self) -> Rig:
        await self.sim.start()
        settings = YardSettings(base_url=self.sim.url, api_key="yard-key", webhook_secrets=self.secret)
        self.connector = YardConnector(settings, self.xrefs)
        self.receiver = await CallbackReceiver(receiving(self.connector.receive, self.events, self.problems)).start()
        self.sim.callback_url = self.receiver.url
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.sim.stop()
        await self.receiver.stop()
        await self.connector.aclose()


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    async with Rig(auto_visit=True) as r:
        yield r


async def test_booking_is_confirmed_and_the_visit_is_reported(rig: Rig) -> None:
    parsed = await rig.connector.request_appointment(appointment_event())
    assert [m.severity for m in parsed.messages] == ["info"]
    (req,) = rig.sim.received
    assert req.method == "POST" and req.body["ref"] == APPOINTMENT and req.body["site"] == "RTM"
    assert req.body["door"] == "D07" and req.body["slotStart"] == "2026-11-16T14:00" and req.body["loads"] == [118]
    (yard_ref,) = rig.sim.appointments
    found = await rig.xrefs.find_many("hub", "dockflow-yard", "appointment", XrefField.PARTNER, [yard_ref])
    assert found[yard_ref].canonical_id == APPOINTMENT  # the yard's reference, kept
    await rig.sim.settle()
    assert not rig.problems
    assert [e.type for e in rig.events] == [
        "tradelane.appointment.confirmed.v1", "tradelane.gate.checked_in.v1", "tradelane.dock.assigned.v1",
        "tradelane.shipment.milestone.v1", "tradelane.gate.checked_out.v1"]
    for event in rig.events:
        typed = registry.typed_envelope(event.type)
        assert typed is not None
        typed.model_validate(event.to_wire())
    confirmed = data(rig.events[0])
    assert confirmed["appointment_id"] == APPOINTMENT and confirmed["appointment"]["dock_id"] == "loc_dc_rtm_door_07"
    assert confirmed["appointment"]["window"]["start"] == "2026-11-16T13:00:00Z"  # local Amsterdam → UTC
    gate_in, door = data(rig.events[1]), data(rig.events[2])
    assert gate_in["gate"]["appointment_id"] == APPOINTMENT and door["assignment"]["direction"] == "outbound"
    loaded = data(rig.events[3])
    assert loaded["shipment_id"] == "shp_so0042_1" and loaded["event"]["milestone"] == "picked_up"
    assert data(rig.events[4])["gate"]["seal_numbers"]  # sealed when it leaves loaded


async def test_an_inbound_trailer_ends_in_unloading_complete() -> None:
    async with Rig(auto_visit=True) as r:
        await r.connector.request_appointment(appointment_event(direction="inbound"))
        await r.sim.settle()
        milestone = next(e for e in r.events if e.type == "tradelane.shipment.milestone.v1")
        assert data(milestone)["event"]["milestone"] == "delivered"
        assert data(milestone)["event"]["source_status_code"] == "UNLOADING_COMPLETE"


async def test_a_reschedule_moves_the_booked_slot() -> None:
    async with Rig() as r:
        await r.connector.request_appointment(appointment_event())
        await r.sim.settle()
        moved = appointment_event("evt-2", status="rescheduled",
                                  window={"start": "2026-11-17T08:00:00+01:00", "end": "2026-11-17T09:00:00+01:00"})
        await r.connector.request_appointment(moved)
        await r.sim.settle()
        (yard_ref,) = r.sim.appointments
        put = r.sim.received[-1]
        assert put.method == "PUT" and put.path == f"/api/appointments/{yard_ref}"
        first, second = (data(e) for e in r.events)
        assert first["appointment"]["window"]["start"] == "2026-11-16T13:00:00Z"
        assert second["appointment"]["window"]["start"] == "2026-11-17T07:00:00Z"


async def test_a_taken_door_is_confirmed_for_the_next_free_slot() -> None:
    async with Rig() as r:
        await r.connector.request_appointment(appointment_event())
        other = appointment_event("evt-3")
        doc = other.to_wire()
        doc["data"]["appointment_id"] = doc["data"]["appointment"]["appointment_id"] = "appt_rtm_20261120_02"
        await r.connector.request_appointment(CloudEvent.model_validate(doc))
        await r.sim.settle()
        windows = sorted(data(e)["appointment"]["window"]["start"] for e in r.events)
        assert windows == ["2026-11-16T13:00:00Z", "2026-11-16T14:00:00Z"]


async def test_a_gate_event_with_a_bad_time_names_the_field(rig: Rig) -> None:
    doc = json.loads(template_dir("yard").joinpath("samples", "gate_in.json").read_text())
    doc["at"] = "yesterday"
    with pytest.raises(MappingError) as info:
        await rig.connector.hooks.parse_gate_event({}, json.dumps(doc).encode())
    assert {p.path for p in info.value.problems} == {"time", "data.gate.occurred_at"}


async def test_with_visit_minutes_each_trailer_keeps_its_own_timeline_and_the_long_ones_overstay() -> None:
    """Visits played at once do not share one clock: three trailers, the second waits three hours for its door."""
    import aiohttp

    from tradelane.testing.simulators.yard import LONG_WAIT, VISIT_MINUTES

    sim = await YardSimulator(seed=9, auto_visit=True, visit_minutes=VISIT_MINUTES, long_visits=frozenset({2})).start()
    try:
        async with aiohttp.ClientSession() as http:
            for n in range(3):
                body = {"ref": f"WH/IN/{n:05d}", "site": "RTM", "door": ("D05", "D06", "D07")[n], "dir": "INB",
                        "slotStart": "2026-12-01T08:00", "slotEnd": "2026-12-01T09:00", "scac": "RHNS", "loads": []}
                async with http.post(f"{sim.url}/api/appointments", json=body) as r:
                    assert r.status == 201
        await sim.settle()
    finally:
        await sim.stop()
    docs = [cb.document for cb in sim.callbacks]
    visits: dict[str, list[datetime]] = {}
    for d in docs:
        if d["event"] in ("GATE_IN", "GATE_OUT"):
            visits.setdefault(d["trailer"]["no"], []).append(datetime.fromisoformat(d["at"]))
    assert len(visits) == 3 and sim.visits == 3 and sim.trailers == set(visits)  # one trailer number each
    played = [d["trailer"]["no"] for d in docs if d["event"] == "GATE_IN"]  # in the order the visits were played
    low = sum(lo for lo, _ in VISIT_MINUTES)
    high = sum(hi for _, hi in VISIT_MINUTES)
    for i, no in enumerate(played, start=1):
        gate_in, gate_out = visits[no]
        dwell = (gate_out - gate_in).total_seconds() / 60
        extra = LONG_WAIT.total_seconds() / 60 if i == 2 else 0
        assert low + extra <= dwell <= high + extra, (i, dwell)
    for no in visits:  # gate-in, door, unloading complete, gate-out: in order on each trailer's own timeline
        times = [datetime.fromisoformat(d["at"]) for d in docs if (d.get("trailer") or {}).get("no") == no]
        assert len(times) == 4 and times == sorted(times)


def test_visit_minutes_must_be_three_ordered_pairs() -> None:
    with pytest.raises(ValueError, match="visit_minutes"):
        YardSimulator(visit_minutes=((10, 5), (1, 2), (1, 2)))
    with pytest.raises(ValueError, match="visit_minutes"):
        YardSimulator(visit_minutes=((1, 2),))


async def test_a_confirmation_that_beats_the_bookings_cross_reference_is_retryable_not_refused(rig: Rig) -> None:
    """The yard's reference is written when its 201 comes back; a quick yard confirms before that. The mapping
    says so (``on_missing: wait``): only missing cross references, so the hub answers 503 and the yard re-sends,
    instead of a final 422 that would lose the confirmation (seen in the demo under load)."""
    from tradelane.mapping.engine import only_missing_xrefs

    doc = json.loads(template_dir("yard").joinpath("samples", "appointment_confirmed.json").read_text())
    doc["appointment"]["ref"] = "A-999999"  # booked, but not linked yet
    with pytest.raises(MappingError) as info:
        await rig.connector.hooks.parse_appointment_confirmed({}, json.dumps(doc).encode())
    missing = only_missing_xrefs(info.value.problems)
    assert {(p.path, p.kind, p.value) for p in missing} == {
        ("data.appointment_id", "appointment", "A-999999"),
        ("data.appointment.appointment_id", "appointment", "A-999999")}

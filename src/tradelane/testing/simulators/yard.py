"""A yard and dock scheduling system on loopback: books and moves appointments, and reports each visit —
gate-in, door assignment, (un)loading complete, gate-out — by signed callback.

API (``X-Api-Key`` checked when an ``api_key`` is set):

``POST /api/appointments``
    ``{ref, site, door?, dir, slotStart, slotEnd, scac, loads}`` (local site time, ``%Y-%m-%dT%H:%M``). The
    yard books it under its own reference: ``201`` ``{ref: "A-…", clientRef, status: REQUESTED}``; ``422``
    ``{errors}`` for missing fields or another site. The confirmation follows by callback — for the slot asked
    for, or the next free one when the door is taken then (real yards do move you).
``PUT /api/appointments/{ref}``
    a new slot for a booked appointment (``200``), confirmed again by callback; ``404`` for an unknown ref.
``GET /api/appointments/{ref}``
    the appointment as booked.

:meth:`YardSimulator.visit` plays a trailer's visit; with ``auto_visit`` it follows every first confirmation.
Inbound appointments (``dir: INB``) end in ``UNLOADING_COMPLETE``, outbound ones in ``LOADING_COMPLETE``.

Event times come from ``clock`` — one reading per event by default. With ``visit_minutes`` each visit keeps a
timeline of its own instead: gate-in at a reading of the clock, then the door, the end of (un)loading and the
gate-out that many minutes apart (seeded, between the low and high bound of each step), so trailers played at
once do not share one clock; the visits numbered in ``long_visits`` (1 = the first visit played) wait
``long_wait`` for their door, the ones that overstay the free time. Trailer numbers are unique per simulator.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from tradelane.testing.simulators.base import (
    Simulator,
    cli_arguments,
    common_options,
    problem,
    read_json,
    serve_forever,
)

__all__ = ["SLOT_FORMAT", "YardSimulator", "main"]

#: how the yard writes slot times (local site time, no offset)
SLOT_FORMAT = "%Y-%m-%dT%H:%M"
#: the doors of the simulated site
DOORS = ("D05", "D06", "D07", "D08")
#: minutes (low, high) of a visit's steps with a timeline of its own: gate-in → at the door, (un)loading,
#: paperwork → gate-out; 50 to 100 minutes on site, within a usual two hours of free time
VISIT_MINUTES: tuple[tuple[float, float], ...] = ((10, 25), (30, 55), (10, 20))
#: how long a trailer of ``long_visits`` waits for its door
LONG_WAIT = timedelta(hours=3)


@dataclass
class _Appointment:
    ref: str
    client_ref: str
    door: str
    direction: str
    start: datetime
    end: datetime
    scac: str | None
    loads: list[Any] = field(default_factory=list)
    confirmations: int = 0


class YardSimulator(Simulator):
    """A yard/dock scheduling system."""

    kind = "yard"

    def __init__(
        self,
        *,
        site: str = "RTM",
        auto_visit: bool = False,
        visit_minutes: Sequence[tuple[float, float]] | None = None,
        long_visits: frozenset[int] = frozenset(),
        long_wait: timedelta = LONG_WAIT,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.site = site
        self.auto_visit = auto_visit
        #: (low, high) minutes of each of a visit's three steps (see the module docstring); ``None``: every event
        #: at a reading of ``clock``
        self.visit_minutes = tuple(visit_minutes) if visit_minutes is not None else None
        if self.visit_minutes is not None and (
            len(self.visit_minutes) != 3 or any(not 0 <= lo <= hi for lo, hi in self.visit_minutes)
        ):
            raise ValueError(f"visit_minutes: three (low, high) pairs with 0 <= low <= high, not {visit_minutes!r}")
        self.long_visits = long_visits
        self.long_wait = long_wait
        self.appointments: dict[str, _Appointment] = {}
        #: trailer numbers seen, and how many visits were played
        self.trailers: set[str] = set()
        self.visits = 0

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/api/appointments", self._book)
        app.router.add_put("/api/appointments/{ref}", self._move)
        app.router.add_get("/api/appointments/{ref}", self._show)

    # -- API ------------------------------------------------------------------------------------------
    async def _book(self, request: web.Request) -> web.Response:
        refused = self.unauthorized(request) or self.injected_fault()
        if refused is not None:
            return refused
        doc, bad = await read_json(request)
        if bad is not None:
            return bad
        errors, start, end = self._check(doc)
        if errors or start is None or end is None:
            return web.json_response({"status": "REFUSED", "errors": errors}, status=422)
        known = next((a for a in self.appointments.values() if a.client_ref == doc["ref"]), None)
        if known is not None:
            return web.json_response({"ref": known.ref, "clientRef": known.client_ref, "status": "DUPLICATE"},
                                     status=200)
        appt = _Appointment(f"A-{self.seed}{self.next_number():05d}", str(doc["ref"]), doc.get("door") or DOORS[0],
                            str(doc.get("dir") or "INB"), start, end, doc.get("scac"), list(doc.get("loads") or []))
        self._free_slot(appt)
        self.appointments[appt.ref] = appt
        self.schedule(self._confirm(appt))
        return web.json_response({"ref": appt.ref, "clientRef": appt.client_ref, "status": "REQUESTED"}, status=201)

    async def _move(self, request: web.Request) -> web.Response:
        refused = self.unauthorized(request) or self.injected_fault()
        if refused is not None:
            return refused
        appt = self.appointments.get(request.match_info["ref"])
        if appt is None:
            return problem(404, f"no appointment {request.match_info['ref']}")
        doc, bad = await read_json(request)
        if bad is not None:
            return bad
        errors, start, end = self._check(doc)
        if errors or start is None or end is None:
            return web.json_response({"status": "REFUSED", "errors": errors}, status=422)
        appt.start, appt.end = start, end
        appt.door = doc.get("door") or appt.door
        self._free_slot(appt)
        self.schedule(self._confirm(appt))
        return web.json_response({"ref": appt.ref, "clientRef": appt.client_ref, "status": "RESCHEDULED"})

    async def _show(self, request: web.Request) -> web.Response:
        refused = self.unauthorized(request)
        if refused is not None:
            return refused
        appt = self.appointments.get(request.match_info["ref"])
        if appt is None:
            return problem(404, "no such appointment")
        return web.json_response(self._appointment_doc(appt))

    def _check(self, doc: Any) -> tuple[list[dict[str, str]], datetime | None, datetime | None]:
        if not isinstance(doc, dict):
            return [{"code": "INVALID", "field": "", "message": "an appointment object is expected"}], None, None
        errors = [{"code": "REQUIRED", "field": name, "message": "required"}
                  for name in ("ref", "site", "slotStart", "slotEnd") if not doc.get(name)]
        if doc.get("site") and doc["site"] != self.site:
            errors.append({"code": "UNKNOWN_SITE", "field": "site", "message": f"this is site {self.site}"})
        times = []
        for name in ("slotStart", "slotEnd"):
            try:
                times.append(datetime.strptime(str(doc.get(name)), SLOT_FORMAT))
            except ValueError:
                if doc.get(name):
                    errors.append({"code": "INVALID", "field": name, "message": f"expected {SLOT_FORMAT}"})
        if errors or len(times) != 2:
            return errors, None, None
        return errors, times[0], times[1]

    def _free_slot(self, appt: _Appointment) -> None:
        """Move ``appt`` later until its door is free (another booking at the door overlaps otherwise)."""
        length = appt.end - appt.start
        while any(o is not appt and o.door == appt.door and o.start < appt.end and appt.start < o.end
                  for o in self.appointments.values()):
            appt.start += length
            appt.end += length

    def _appointment_doc(self, appt: _Appointment) -> dict[str, Any]:
        return {"ref": appt.ref, "door": appt.door, "dir": appt.direction,
                "slotStart": appt.start.strftime(SLOT_FORMAT), "slotEnd": appt.end.strftime(SLOT_FORMAT),
                "scac": appt.scac, "confirmation": f"CNF-{appt.ref[2:]}-{appt.confirmations}"}

    def _event(self, kind: str, at: datetime | None = None, **fields: Any) -> dict[str, Any]:
        return {"event": kind, "eventId": f"yd-ev-{self.seed}-{self.next_number():06d}", "site": self.site,
                "at": (at or self.now()).isoformat(), **fields}

    def _timeline(self, number: int) -> list[datetime | None]:
        """When gate-in, door, (un)loading complete and gate-out of visit ``number`` happen (``None``: at a
        reading of the clock)."""
        if self.visit_minutes is None:
            return [None] * 4
        at = self.now()
        times: list[datetime | None] = [at]
        for step, (lo, hi) in enumerate(self.visit_minutes):
            at += timedelta(minutes=round(lo + (hi - lo) * self.rng.random()))
            if step == 0 and number in self.long_visits:
                at += self.long_wait  # no door free, no unloading crew: the trailer waits in the yard
            times.append(at)
        return times

    def _trailer_no(self, scac: str | None) -> str:
        while True:
            no = f"{(scac or 'TRL')[:3]}-T-{self.rng.randrange(1000, 9999)}"
            if no not in self.trailers:
                self.trailers.add(no)
                return no

    # -- the yard at work -----------------------------------------------------------------------------
    async def _confirm(self, appt: _Appointment) -> None:
        await self.pause()
        appt.confirmations += 1
        await self.send_callback(self._event("APPT_CONFIRMED", appointment=self._appointment_doc(appt)))
        if self.auto_visit and appt.confirmations == 1:
            await self.visit(appt.ref)

    async def visit(self, ref: str, *, trailer_no: str | None = None, equipment: str = "DV") -> None:
        """Play a trailer's visit for appointment ``ref``: gate-in, door, (un)loading, gate-out."""
        appt = self.appointments[ref]
        self.visits += 1
        trailer_no = trailer_no or self._trailer_no(appt.scac)
        self.trailers.add(trailer_no)
        trailer = {"no": trailer_no, "equipment": equipment, "scac": appt.scac}
        inbound = appt.direction == "INB"
        seals = [f"NL-{self.rng.randrange(10**6, 10**7)}"]
        gate_in, door, done, gate_out = self._timeline(self.visits)
        await self.pause()
        await self.send_callback(self._event(
            "GATE_IN", gate_in, gate="G1", trailer={**trailer, "plate": f"DU-RH {self.rng.randrange(1000, 9999)}"},
            seals=seals if inbound else [], loaded="Y" if inbound else "N", driver="J. de Vries",
            appointmentRef=appt.ref, slot=f"Y-{self.rng.randrange(1, 40):02d}"))
        await self.pause()
        await self.send_callback(self._event("DOOR_ASSIGNED", door, door=appt.door, dir=appt.direction,
                                             trailer={"no": trailer["no"]}, appointmentRef=appt.ref))
        await self.pause()
        await self.send_callback(self._event(
            "UNLOADING_COMPLETE" if inbound else "LOADING_COMPLETE", done, door=appt.door,
            trailer={"no": trailer["no"]}, appointmentRef=appt.ref, loads=appt.loads, remark="no damage found"))
        await self.pause()
        await self.send_callback(self._event("GATE_OUT", gate_out, gate="G2", trailer=trailer,
                                             seals=[] if inbound else seals, loaded=not inbound))


def main() -> None:  # pragma: no cover - the demo runs it as a process
    """``python -m tradelane.testing.simulators.yard --port 8604 --callback-url URL --secret-env YARD_SECRET``"""
    ap = cli_arguments("Tradelane yard/dock simulator (appointments in; confirmations and visits out)")
    ap.add_argument("--auto-visit", action="store_true")
    args = ap.parse_args()
    serve_forever(YardSimulator(auto_visit=args.auto_visit, **common_options(args)))


if __name__ == "__main__":  # pragma: no cover
    main()

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
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
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

    def __init__(self, *, site: str = "RTM", auto_visit: bool = False, **options: Any) -> None:
        super().__init__(**options)
        self.site = site
        self.auto_visit = auto_visit
        self.appointments: dict[str, _Appointment] = {}

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

    def _event(self, kind: str, **fields: Any) -> dict[str, Any]:
        return {"event": kind, "eventId": f"yd-ev-{self.seed}-{self.next_number():06d}", "site": self.site,
                "at": self.now().isoformat(), **fields}

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
        trailer = {"no": trailer_no or f"{(appt.scac or 'TRL')[:3]}-T-{self.rng.randrange(1000, 9999)}",
                   "equipment": equipment, "scac": appt.scac}
        inbound = appt.direction == "INB"
        seals = [f"NL-{self.rng.randrange(10**6, 10**7)}"]
        await self.pause()
        await self.send_callback(self._event(
            "GATE_IN", gate="G1", trailer={**trailer, "plate": f"DU-RH {self.rng.randrange(1000, 9999)}"},
            seals=seals if inbound else [], loaded="Y" if inbound else "N", driver="J. de Vries",
            appointmentRef=appt.ref, slot=f"Y-{self.rng.randrange(1, 40):02d}"))
        await self.pause()
        await self.send_callback(self._event("DOOR_ASSIGNED", door=appt.door, dir=appt.direction,
                                             trailer={"no": trailer["no"]}, appointmentRef=appt.ref))
        await self.pause()
        await self.send_callback(self._event(
            "UNLOADING_COMPLETE" if inbound else "LOADING_COMPLETE", door=appt.door, trailer={"no": trailer["no"]},
            appointmentRef=appt.ref, loads=appt.loads, remark="no damage found"))
        await self.pause()
        await self.send_callback(self._event("GATE_OUT", gate="G2", trailer=trailer,
                                             seals=[] if inbound else seals, loaded=not inbound))


def main() -> None:  # pragma: no cover - the demo runs it as a process
    """``python -m tradelane.testing.simulators.yard --port 8604 --callback-url URL --secret-env YARD_SECRET``"""
    ap = cli_arguments("Tradelane yard/dock simulator (appointments in; confirmations and visits out)")
    ap.add_argument("--auto-visit", action="store_true")
    args = ap.parse_args()
    serve_forever(YardSimulator(auto_visit=args.auto_visit, **common_options(args)))


if __name__ == "__main__":  # pragma: no cover
    main()

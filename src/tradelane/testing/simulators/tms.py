"""A transport management system on loopback: takes tenders, decides, and reports the transport by callback.

API (``X-Api-Key`` checked when an ``api_key`` is set):

``POST /api/tenders``
    a tender (``tenderId``, ``shipperRef``, ``pickup``, ``delivery`` …). ``202`` ``{tenderId, status: RECEIVED}``;
    ``409`` for a tender id already known; ``422`` ``{errors}`` when fields are missing. Then, in the background,
    signed callbacks: the decision — ``ACCEPTED`` with the carrier the TMS assigned (SCAC, booking and PRO
    number, pickup slot, rate) or ``REJECTED`` with a reason code — and, for an accepted tender, milestones
    (``MILESTONE``: AP, PU, DEP, ENR, AR, DLV with sequence numbers), an ``ETA`` change when the seeded
    traffic says so, and the ``CHARGES`` (linehaul, fuel surcharge, liftgate).
``GET /api/tenders/{tenderId}``
    the tender as the TMS holds it, with its status.

Faults: ``fail_ratio`` (seeded 500s), ``reject_ratio`` (seeded rejections), ``duplicate_callbacks``.
Times in ETA callbacks are local (``%d.%m.%Y %H:%M``, Europe/Berlin), as many TMSs write them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from tradelane.testing.simulators.base import (
    Simulator,
    cli_arguments,
    common_options,
    problem,
    read_json,
    serve_forever,
)

__all__ = ["MILESTONE_CODES", "TmsSimulator", "main"]

#: the milestones an accepted tender goes through, with the stop they happen at
MILESTONE_CODES = ("AP", "PU", "DEP", "ENR", "AR", "DLV")
#: the TMS's local time zone (ETA callbacks carry local times without an offset)
LOCAL_TZ = ZoneInfo("Europe/Berlin")
#: fuel surcharge as a share of the linehaul
FUEL_SURCHARGE = 0.13
#: hours a leg of the simulated transport takes
LEG_HOURS = (0.5, 0.25, 0.25, 6.0, 11.0, 0.5)


@dataclass
class _Tender:
    doc: dict[str, Any]
    status: str = "RECEIVED"
    scac: str | None = None
    pro_number: str | None = None


class TmsSimulator(Simulator):
    """A TMS: tenders in; decisions, milestones, ETA changes and charges out by callback."""

    kind = "tms"

    def __init__(
        self,
        *,
        carriers: tuple[str, ...] = ("RHNS",),
        reject_ratio: float = 0.0,
        eta_change_ratio: float = 1.0,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.carriers = carriers
        self.reject_ratio = reject_ratio
        self.eta_change_ratio = eta_change_ratio
        self.tenders: dict[str, _Tender] = {}

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/api/tenders", self._tender)
        app.router.add_get("/api/tenders/{tender_id}", self._show)

    async def _tender(self, request: web.Request) -> web.Response:
        refused = self.unauthorized(request) or self.injected_fault()
        if refused is not None:
            return refused
        doc, bad = await read_json(request)
        if bad is not None:
            return bad
        errors = [
            {"code": "REQUIRED", "field": name, "message": "required"}
            for name in ("tenderId", "shipperRef", "pickup", "delivery")
            if not isinstance(doc, dict) or not doc.get(name)
        ]
        if errors:
            return web.json_response({"status": "REFUSED", "errors": errors}, status=422)
        if doc["tenderId"] in self.tenders:
            return web.json_response({"tenderId": doc["tenderId"], "status": "DUPLICATE"}, status=409)
        tender = _Tender(doc)
        self.tenders[doc["tenderId"]] = tender
        self.schedule(self._work(tender))
        return web.json_response({"tenderId": doc["tenderId"], "status": "RECEIVED"}, status=202)

    async def _show(self, request: web.Request) -> web.Response:
        refused = self.unauthorized(request)
        if refused is not None:
            return refused
        tender = self.tenders.get(request.match_info["tender_id"])
        if tender is None:
            return problem(404, "no such tender")
        return web.json_response({**tender.doc, "status": tender.status, "carrierScac": tender.scac,
                                  "proNumber": tender.pro_number})

    # -- the TMS at work -------------------------------------------------------------------------------
    def _callback(self, tender: _Tender, **fields: Any) -> dict[str, Any]:
        return {"callbackId": f"cb-{self.seed}-{self.next_number():06d}", "tenderId": tender.doc["tenderId"],
                "shipperRef": tender.doc["shipperRef"], **fields}

    async def _work(self, tender: _Tender) -> None:
        await self.pause()
        decided = self.now()
        if self.reject_ratio and self.rng.random() < self.reject_ratio:
            tender.status = "REJECTED"
            await self.send_callback(self._callback(
                tender, status="REJECTED", decidedAt=decided.isoformat(),
                carrier={"scac": tender.doc.get("carrierScac") or self.carriers[0]}, reasonCode="CAP"))
            return
        tender.status = "ACCEPTED"
        tender.scac = tender.doc.get("carrierScac") or self.rng.choice(self.carriers)
        tender.pro_number = f"{tender.scac[:3]}{self.rng.randrange(10**9, 10**10)}"
        pickup = tender.doc.get("pickup") or {}
        start = _parse(pickup.get("from")) or decided + timedelta(hours=4)
        rate = float(tender.doc.get("offeredRate") or 180 + self.rng.randrange(80))
        currency = tender.doc.get("currency") or "EUR"
        await self.send_callback(self._callback(
            tender, status="ACCEPTED", decidedAt=decided.isoformat(),
            carrier={"scac": tender.scac, "name": f"{tender.scac} Road Freight"},
            bookingNumber=f"RB-{self.seed}-{self.next_number():05d}", proNumber=tender.pro_number,
            pickup={"from": start.isoformat(), "to": (start + timedelta(hours=3)).isoformat()},
            rate={"amount": rate, "currency": currency}))
        await self._transport(tender, start, rate, currency)

    async def _transport(self, tender: _Tender, start: datetime, rate: float, currency: str) -> None:
        pickup = tender.doc.get("pickup") or {}
        delivery = tender.doc.get("delivery") or {}
        at = start
        planned_eta = start + timedelta(hours=sum(LEG_HOURS))
        for seq, (code, hours) in enumerate(zip(MILESTONE_CODES, LEG_HOURS, strict=True), start=1):
            at = at + timedelta(hours=hours)
            if code == "ENR" and self.eta_change_ratio and self.rng.random() < self.eta_change_ratio:
                delay = timedelta(minutes=15 * (1 + self.rng.randrange(8)))
                await self.pause()
                await self.send_callback(self._callback(
                    tender, type="ETA", previousEta=_local(planned_eta), eta=_local(planned_eta + delay),
                    changedAt=_local(at), reasonText="congestion on the A3 near Oberhausen"))
                at += delay
            stop = pickup if code in ("AP", "PU", "DEP") else delivery
            await self.pause()
            await self.send_callback(self._callback(
                tender, type="MILESTONE", seq=seq, proNumber=tender.pro_number, carrierScac=tender.scac,
                code=code, occurredAt=at.isoformat(),
                stop={"street": stop.get("street") or stop.get("site") or "unknown", "city": stop.get("city") or
                      stop.get("site") or "unknown", "zip": stop.get("zip"), "country": stop.get("country") or "DE"}))
        tender.status = "DELIVERED"
        fuel = round(rate * FUEL_SURCHARGE, 2)
        await self.pause()
        await self.send_callback(self._callback(
            tender, type="CHARGES", proNumber=tender.pro_number, reportedAt=(at + timedelta(hours=2)).isoformat(),
            currency=currency, charges=[
                {"seq": 1, "code": "LH", "amount": rate, "text": "Linehaul"},
                {"seq": 2, "code": "FSC", "amount": fuel, "text": f"Fuel surcharge {FUEL_SURCHARGE:.0%}"},
                {"seq": 3, "code": "LFT", "amount": 35.0, "text": "Liftgate at delivery"},
            ]))


def _parse(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=LOCAL_TZ)


def _local(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%d.%m.%Y %H:%M")


def main() -> None:  # pragma: no cover - the demo runs it as a process
    """``python -m tradelane.testing.simulators.tms --port 8602 --callback-url URL --secret-env TMS_SECRET``"""
    ap = cli_arguments("Tradelane TMS simulator (tenders in; decisions, milestones, ETA, charges out)")
    ap.add_argument("--reject-ratio", type=float, default=0.0)
    args = ap.parse_args()
    serve_forever(TmsSimulator(reject_ratio=args.reject_ratio, **common_options(args)))


if __name__ == "__main__":  # pragma: no cover
    main()

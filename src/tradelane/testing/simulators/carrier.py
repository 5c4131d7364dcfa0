"""A carrier's tracking platform on loopback: it follows shipments and pushes signed webhooks — scans
(milestones), exceptions with reason codes, and the proof of delivery with a signature image (base64 SVG
plus its SHA-256) — to a configured webhook URL.

API (``X-Api-Key`` checked when an ``api_key`` is set):

``POST /api/v1/shipments``
    ``{trackingNumber, origin?, destination?}``: start following a shipment (``201``); its journey is then
    pushed as webhooks in the background. ``409`` when already followed.
``GET /api/v1/tracking/{trackingNumber}``
    the scans pushed so far.

:meth:`CarrierSimulator.journey` runs one journey directly. Scans come one or two per webhook, like real
carriers batch them; ``exception_ratio`` (seeded) adds a weather delay with a new ETA, ``attempt_ratio`` a
failed first delivery attempt. ``duplicate_callbacks`` pushes every webhook twice.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
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

__all__ = ["DEFAULT_DESTINATION", "DEFAULT_HUB", "DEFAULT_ORIGIN", "CarrierSimulator", "main", "signature_svg"]

DEFAULT_ORIGIN: Mapping[str, str] = {"street": "Waalhaven Zuidzijde 21", "city": "Rotterdam", "zip": "3089 JH",
                                     "country": "NL"}
DEFAULT_HUB: Mapping[str, str] = {"street": "Heinrich-Hertz-Straße 2", "city": "Duisburg", "zip": "47228",
                                  "country": "DE"}
DEFAULT_DESTINATION: Mapping[str, str] = {"street": "Hohe Straße 118", "city": "Köln", "zip": "50667",
                                          "country": "DE"}
#: where the destination is, for the POD's GPS fix
DESTINATION_GPS = (50.9375, 6.9573)


def signature_svg(seed: int, name: str) -> bytes:
    """A small, deterministic signature scribble as an SVG image."""
    points = []
    x = 6
    for i, ch in enumerate(name.encode()):
        x += 4 + (ch + seed) % 6
        y = 12 + ((ch * 7 + seed * 3 + i * 11) % 22)
        points.append(f"{x},{y}")
    path = "M " + " L ".join(points)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{x + 10}" height="40">'
            f'<path d="{path}" stroke="black" fill="none"/></svg>').encode()


class CarrierSimulator(Simulator):
    """A carrier pushing tracking webhooks."""

    kind = "carrier"

    def __init__(
        self,
        *,
        exception_ratio: float = 1.0,
        attempt_ratio: float = 0.0,
        start: datetime | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.exception_ratio = exception_ratio
        self.attempt_ratio = attempt_ratio
        self.start_at = start
        self.scans: dict[str, list[dict[str, Any]]] = {}

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/api/v1/shipments", self._follow)
        app.router.add_get("/api/v1/tracking/{tracking_number}", self._tracking)

    async def _follow(self, request: web.Request) -> web.Response:
        refused = self.unauthorized(request) or self.injected_fault()
        if refused is not None:
            return refused
        doc, bad = await read_json(request)
        if bad is not None:
            return bad
        number = doc.get("trackingNumber") if isinstance(doc, dict) else None
        if not isinstance(number, str) or not number:
            return web.json_response({"errors": [{"code": "REQUIRED", "field": "trackingNumber"}]}, status=422)
        if number in self.scans:
            return web.json_response({"trackingNumber": number, "status": "ALREADY_FOLLOWED"}, status=409)
        self.scans[number] = []
        self.schedule(self.journey(number, origin=doc.get("origin"), destination=doc.get("destination")))
        return web.json_response({"trackingNumber": number, "status": "FOLLOWING"}, status=201)

    async def _tracking(self, request: web.Request) -> web.Response:
        refused = self.unauthorized(request)
        if refused is not None:
            return refused
        number = request.match_info["tracking_number"]
        if number not in self.scans:
            return problem(404, f"unknown tracking number {number}")
        return web.json_response({"trackingNumber": number, "scans": self.scans[number]})

    async def journey(
        self,
        tracking_number: str,
        *,
        origin: Mapping[str, str] | None = None,
        destination: Mapping[str, str] | None = None,
        signee: str = "M. Schneider",
    ) -> None:
        """Push one shipment's journey, pickup to proof of delivery."""
        self.scans.setdefault(tracking_number, [])
        at = self.start_at or self.now()
        origin, hub, dest = dict(origin or DEFAULT_ORIGIN), dict(DEFAULT_HUB), dict(destination or DEFAULT_DESTINATION)
        eta = at + timedelta(hours=19)
        steps: list[list[tuple[str, Mapping[str, str], float, dict[str, Any]]]] = [
            [("PICKED_UP", origin, 0.0, {}), ("DEPARTED", origin, 0.4, {})],
            [("ARRIVED_AT_FACILITY", hub, 3.2, {})],
        ]
        if self.exception_ratio and self.rng.random() < self.exception_ratio:
            eta += timedelta(minutes=15 * (2 + self.rng.randrange(6)))
            steps.append([("DELAYED", hub, 4.0, {"reasonCode": "WX", "eta": eta.isoformat()})])
        steps += [[("DEPARTED_FACILITY", hub, 12.5, {})], [("OUT_FOR_DELIVERY", dest, 16.0, {})]]
        if self.attempt_ratio and self.rng.random() < self.attempt_ratio:
            steps.append([("ATTEMPTED_DELIVERY", dest, 17.0, {"reasonCode": "NH"})])
            eta += timedelta(days=1)
        seq = 0
        for batch in steps:
            scans = []
            for status, place, hours, extra in batch:
                seq += 1
                scans.append({"scanId": f"sc-{self.seed}-{self.next_number():06d}", "seq": seq, "status": status,
                              "scannedAt": (at + timedelta(hours=hours)).isoformat(), "location": dict(place),
                              **extra})
            self.scans[tracking_number].extend(scans)
            await self.pause()
            await self.send_callback({"topic": "tracking.updated", "deliveryId": self._delivery_id(),
                                      "trackingNumber": tracking_number, "scans": scans})
        await self.pause()
        await self.send_callback(self._pod(tracking_number, max(eta, at + timedelta(hours=18)), signee))

    def _delivery_id(self) -> str:
        return f"whk_{self.seed}_{self.next_number():06d}"

    def _pod(self, tracking_number: str, signed_at: datetime, signee: str) -> dict[str, Any]:
        image = signature_svg(self.seed, signee)
        lat, lon = DESTINATION_GPS
        return {
            "topic": "delivery.completed",
            "deliveryId": self._delivery_id(),
            "trackingNumber": tracking_number,
            "pod": {
                "signedBy": signee,
                "signedAt": signed_at.isoformat(),
                "gps": {"lat": round(lat + self.rng.uniform(-1e-4, 1e-4), 6),
                        "lng": round(lon + self.rng.uniform(-1e-4, 1e-4), 6), "accuracy": 5 + self.rng.randrange(10)},
                "pieces": 1 + self.rng.randrange(3),
                "images": [{"fileName": "signature.svg", "contentType": "image/svg+xml",
                            "sha256": hashlib.sha256(image).hexdigest(),
                            "base64": base64.b64encode(image).decode("ascii")}],
            },
        }


def main() -> None:  # pragma: no cover - the demo runs it as a process
    """``python -m tradelane.testing.simulators.carrier --port 8603 --callback-url URL --secret-env CARRIER_SECRET``"""
    ap = cli_arguments("Tradelane carrier simulator (tracking webhooks: milestones, exceptions, POD)")
    ap.add_argument("--exception-ratio", type=float, default=0.3)
    args = ap.parse_args()
    serve_forever(CarrierSimulator(exception_ratio=args.exception_ratio, **common_options(args)))


if __name__ == "__main__":  # pragma: no cover
    main()

"""The customer portal under ``/portal``: a customer's shipments with milestone timelines and latest ETA.

A portal session belongs to one tenant (the key's); every read is restricted to it, and another tenant's
shipment answers 404 exactly like one that does not exist. Event data is stripped of pricing
(:func:`tradelane.security.properties.strip_pricing`) before anything is read for display, and internal
event types (freight charges, invoices, stock) are never shown.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from tradelane.web import views
from tradelane.web.common import WebError, WebRoute, hub_of, portal, render
from tradelane.web.session import Session

__all__ = ["router"]

router = APIRouter(prefix="/portal", route_class=WebRoute, include_in_schema=False)

Customer = Annotated[Session, Depends(portal)]


@router.get("", name="portal_home")
async def shipments_page(request: Request, sess: Customer) -> Response:
    assert sess.tenant is not None  # a portal session always has one (see session.role_allowed)
    items, cut = await views.shipments(hub_of(request), sess.tenant)
    return render(request, "portal/shipments.html", {"shipments": items, "cut": cut})


@router.get("/shipments/{key:path}", name="portal_shipment")
async def shipment_page(key: str, request: Request, sess: Customer) -> Response:
    assert sess.tenant is not None
    shp = await views.shipment(hub_of(request), sess.tenant, key) if len(key) <= 300 else None
    if shp is None:
        raise WebError(404, "Shipment not found", f"You have no shipment {key}.", area="portal")
    return render(request, "portal/shipment.html", {"s": shp})

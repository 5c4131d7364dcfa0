"""The customer portal under ``/portal``: a customer's orders and shipments with milestone timelines, latest
ETA and proof of delivery documents (downloaded from ``/portal/documents/<n>/<shipment>``; inline ones are
checked against their SHA-256 and sent as attachments, never rendered in the portal's origin).

A portal session belongs to one tenant (the key's). With ``web.portal_scope: tenant`` every read is restricted
to that tenant's events; with ``customer`` the tenant is a customer's canonical party id (the Odoo partner) and
the customer sees its own orders and the shipments of those orders, whoever reported them, and may submit
orders (:mod:`.orders`). Either way another customer's shipment answers 404 exactly like one that does not
exist. Event data is stripped of pricing
(:func:`tradelane.security.properties.strip_pricing`) before anything is read for display, and internal
event types (freight charges, invoices, stock) are never shown.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from tradelane.core.errors import ValidationFailed
from tradelane.web import orders, views
from tradelane.web.common import WebError, WebRoute, form_text, hub_of, portal, portal_post, render
from tradelane.web.session import Session

__all__ = ["router"]

router = APIRouter(prefix="/portal", route_class=WebRoute, include_in_schema=False)

Customer = Annotated[Session, Depends(portal)]
CustomerPost = Annotated[Session, Depends(portal_post)]


def _customer_mode(request: Request) -> bool:
    """Whether portal keys speak for a customer (party id) rather than a tenant (``web.portal_scope``)."""
    return bool(hub_of(request).settings.web.portal_scope == "customer")


async def _one(request: Request, sess: Session, key: str) -> views.Shipment | None:
    assert sess.tenant is not None  # a portal session always has one (see session.role_allowed)
    hub = hub_of(request)
    if len(key) > 300:
        return None
    if _customer_mode(request):
        return await views.customer_shipment(hub, sess.tenant, key)
    return await views.shipment(hub, sess.tenant, key)


@router.get("", name="portal_home")
async def shipments_page(request: Request, sess: Customer) -> Response:
    assert sess.tenant is not None  # a portal session always has one (see session.role_allowed)
    hub = hub_of(request)
    if _customer_mode(request):
        items, cut = await views.customer_shipments(hub, sess.tenant)
    else:
        items, cut = await views.shipments(hub, sess.tenant)
    placed = request.query_params.get("placed") or ""
    return render(request, "portal/shipments.html", {
        "shipments": items, "cut": cut, "can_order": _customer_mode(request),
        "placed": placed if placed.startswith("ord_web_") and len(placed) < 60 else None,
    })


def _order_form(raw: Any) -> orders.OrderForm:
    form = orders.OrderForm(customer_ref=form_text(raw, "customer_ref", max_len=200) or "",
                            requested_by=form_text(raw, "requested_by", max_len=40) or "")
    for i in range(orders.MAX_LINES):
        form.lines.append({k: form_text(raw, f"{k}_{i}", max_len=100) or "" for k in ("sku", "quantity", "unit")})
    return form


async def _order_page(request: Request, sess: Session, form: orders.OrderForm, problems: list[Any],
                      status: int = 200) -> Response:
    assert sess.tenant is not None
    cat = await orders.catalog(hub_of(request), sess.tenant)
    while len(form.lines) < orders.MAX_LINES:
        form.lines.append({"sku": "", "quantity": "", "unit": ""})
    return render(request, "portal/order.html", {"cat": cat, "form": form, "problems": problems,
                                                 "party": sess.tenant}, status=status)


@router.get("/orders/new", name="portal_order_form")
async def order_form(request: Request, sess: Customer) -> Response:
    if not _customer_mode(request):
        raise WebError(404, "Ordering is not available",
                       "This portal signs in partners, not customers; orders come through Odoo.", area="portal")
    return await _order_page(request, sess, orders.OrderForm(), [])


@router.post("/orders", name="portal_order_submit")
async def order_submit(request: Request, sess: CustomerPost) -> Response:
    if not _customer_mode(request):
        raise WebError(404, "Ordering is not available",
                       "This portal signs in partners, not customers; orders come through Odoo.", area="portal")
    assert sess.tenant is not None
    hub = hub_of(request)
    form = _order_form(await request.form())
    cat = await orders.catalog(hub, sess.tenant)
    try:
        event = orders.build_order(hub, cat, sess.tenant, form)
    except ValidationFailed as exc:
        return await _order_page(request, sess, form, list(exc.problems), status=400)
    result = await hub.ingest.submit(sess.tenant, [event], channel="web")
    if result.status_code >= 300:
        raise WebError(result.status_code, "Order not accepted", str(result.body), area="portal")
    if hub.audit is not None:
        await hub.audit.append(actor=sess.actor, action="portal.order_submitted", tenant=sess.tenant,
                               target=event.id, detail={"lines": len(event.data["order"]["lines"])})
    return RedirectResponse(f"/portal?placed={event.id}", status_code=303)


@router.get("/documents/{index}/{key:path}", name="portal_document")
async def document_download(index: int, key: str, request: Request, sess: Customer) -> Response:
    """One POD document of one of the customer's shipments, as an attachment."""
    shp = await _one(request, sess, key)
    if shp is None:
        raise WebError(404, "Shipment not found", f"You have no shipment {key}.", area="portal")
    doc = next((d for d in shp.documents if d.index == index), None)
    if doc is None:
        raise WebError(404, "Document not found", f"Shipment {key} has no document {index}.", area="portal")
    if doc.content is None:
        raise WebError(404, "Document not stored here", f"{doc.name} is kept by the carrier at {doc.url}.",
                       area="portal")
    try:
        body = base64.b64decode(doc.content, validate=True)
    except (binascii.Error, ValueError):
        raise WebError(502, "Document damaged", f"{doc.name} is not valid base64.", area="portal") from None
    if doc.sha256 and hashlib.sha256(body).hexdigest() != doc.sha256.lower():
        raise WebError(502, "Document damaged", f"{doc.name} does not match its SHA-256.", area="portal")
    filename = quote(doc.name, safe="")
    return Response(body, media_type=doc.media_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{filename}",
        # whatever the file is (an SVG may carry script), it runs nowhere and is never sniffed
        "Content-Security-Policy": "sandbox; default-src 'none'",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    })


@router.get("/shipments/{key:path}", name="portal_shipment")
async def shipment_page(key: str, request: Request, sess: Customer) -> Response:
    shp = await _one(request, sess, key)
    if shp is None:
        raise WebError(404, "Shipment not found", f"You have no shipment {key}.", area="portal")
    return render(request, "portal/shipment.html", {"s": shp})

"""Static files of the web pages (vendored htmx, the stylesheet), served from the package.

Only the files listed in :data:`ASSETS` are served; each is read once. Templates put the Subresource
Integrity hash (:func:`tradelane.web.common.sri`) on the ``<script>`` tag.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from tradelane.web.common import WebError, WebRoute, read_static, sri

__all__ = ["ASSETS", "router", "sri"]

#: file name → media type of every served file
ASSETS = {
    "htmx.min.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
    "htmx.LICENSE.txt": "text/plain; charset=utf-8",
}
#: browsers may cache assets this long, seconds
MAX_AGE_S = 3600

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.get("/ui/static/{name}", name="web_static")
async def static(name: str) -> Response:
    if name not in ASSETS:
        raise WebError(404, "Not found", f"no static file {name}")
    return Response(
        read_static(name), media_type=ASSETS[name], headers={"Cache-Control": f"public, max-age={MAX_AGE_S}"}
    )

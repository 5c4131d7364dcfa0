"""``GET /metrics``: Prometheus text exposition of :data:`tradelane.observability.metrics.REGISTRY`, with the
store gauges (deliveries by status, DLQ size, queue depth and age per lane, breaker states) read at scrape time.

No authentication, like the health checks, and no rate limit (limits apply to authenticated credentials
only). Turned off with ``observability.metrics_enabled: false`` (then 404).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from starlette.responses import Response

from tradelane.api.problems import problem
from tradelane.observability import metrics

if TYPE_CHECKING:
    from tradelane.bootstrap import Hub

__all__ = ["router"]

router = APIRouter()
log = logging.getLogger("tradelane.api")


@router.get(
    "/metrics",
    tags=["health"],
    summary="Prometheus metrics (text exposition format)",
    openapi_extra={"security": []},
    response_class=Response,
    responses={200: {"content": {metrics.CONTENT_TYPE: {"schema": {"type": "string"}}}}, 404: {}},
)
async def get_metrics(request: Request) -> Response:
    hub: Hub = request.app.state.hub
    if not hub.settings.observability.metrics_enabled:
        return problem(404, "Not found", "metrics are turned off (observability.metrics_enabled)")
    try:
        body = await metrics.exposition(hub.store)
    except Exception:  # a database hiccup must not hide the in-process counters
        log.exception("reading the store gauges failed; serving in-process metrics only")
        body = metrics.render(None)
    return Response(body, media_type=metrics.CONTENT_TYPE)

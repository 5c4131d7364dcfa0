"""``POST /v1/hooks/{name}``: signed inbound webhooks.

Order matters: look up the sender's configuration; read the raw body (size-capped); verify the signature
over those exact bytes with the sender's configured scheme (never guessed) — any malformed or wrong
signature, header or timestamp is a 401, never a 500; only then parse JSON and validate the CloudEvent(s).
The sender's message id is the dedupe key, kept in the inbox for good (senders retry the same id for up
to 3 days; the ±300 s timestamp window only stops replays). A repeat answers 200 with the original ids.
"""

from __future__ import annotations

import hashlib
import os
import time

from fastapi import APIRouter, Request
from starlette.responses import Response

from tradelane.api.events import read_body, respond
from tradelane.api.problems import problem
from tradelane.core.ids import new_id
from tradelane.delivery.signing import SignatureError, SignatureScheme, verify
from tradelane.ingest.validate import parse_json, validate_event, validate_events
from tradelane.ports.store import RawMessage

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["webhooks"])

_UNAUTHORIZED = "Webhook signature rejected"


async def receive_hook(request: Request) -> Response:
    name = request.path_params["name"]
    hub = request.app.state.hub
    cfg = hub.settings.hooks.get(name)
    if cfg is None:
        return problem(404, "Not Found", f"no webhook sender {name!r}")
    body = await read_body(request, hub.settings.api.max_body_bytes)
    value = os.environ.get(cfg.secrets_env, "")
    # whsec_ secrets are space-separated while rotating; GitHub/Stripe secrets may contain spaces: one per line
    secrets = value.split() if cfg.scheme == "standard" else [s for s in value.split("\n") if s]
    if not secrets:
        return problem(503, "Webhook not configured", f"no secret in ${cfg.secrets_env}")
    try:
        msg_id = verify(
            SignatureScheme(cfg.scheme), secrets, dict(request.headers), body, int(time.time()), cfg.tolerance_s
        )
    except SignatureError as exc:
        return problem(401, _UNAUTHORIZED, str(exc))
    if not msg_id:  # GitHub-style senders name the delivery in a header; otherwise the body identifies it
        msg_id = request.headers.get("x-github-delivery") or hashlib.sha256(body).hexdigest()
    api = hub.settings.api
    doc = parse_json(body, api.max_json_depth)
    batch = isinstance(doc, list)
    evs = validate_events(doc, hub.registry, api.max_batch_events) if batch else [validate_event(doc, hub.registry)]
    dedupe = f"wh:{name}:{msg_id}"
    raw = RawMessage(msg_id=new_id("msg"), dedupe_key=dedupe, body_hash=hashlib.sha256(body).hexdigest())
    result = await hub.ingest.submit(
        cfg.tenant,
        evs,
        channel="webhook",
        batch=batch,
        raw=raw,
        dedupe_keys=[f"{dedupe}:{i}" for i in range(len(evs))],
    )
    return respond(result, request)


router.add_route("/v1/hooks/{name}", receive_hook, methods=["POST"], include_in_schema=False)

"""``POST /v1/hooks/{name}``: signed inbound webhooks — CloudEvents, or a partner's own documents.

Order matters: look up the sender's configuration; read the raw body (size-capped); verify the signature
over those exact bytes with the sender's configured scheme (never guessed) — any malformed or wrong
signature, header or timestamp is a 401, never a 500; only then parse the body.

* A CloudEvents sender (no ``connector``/``mapping`` configured): the body is one CloudEvent or a JSON array
  of them, validated like ``POST /v1/events``.
* A partner posting its own documents (``hooks.<name>.connector`` and/or ``hooks.<name>.mapping``): the
  connector's hooks pick the mapping operation from the document and map it to canonical events through the
  partner's mapping. A document that cannot be mapped is a ``422`` problem+json whose ``errors`` name each
  field (``path``), the rule that failed (``rule``, also ``code``) and the offending ``value``; nothing is
  stored. The mapping used (``partner@version`` and the file's digest) is recorded on every stored event and
  shown by the event API (``mapping``).

A missing cross reference is not a mapping error like the others: the aggregate it names may still appear.
The WMS's delivery number, for one, is written to the xref table when the WMS's ``202`` comes back, and a
fast WMS calls back before that. The mapping says which references may arrive late (``xref: {kind: …,
on_missing: wait}``; the WMS template marks its delivery numbers so). A document whose *only* problems are
missing references of such rules is therefore answered ``503`` with ``Retry-After``
(:data:`XREF_RETRY_AFTER_S`) and a problem+json of type :data:`XREF_PENDING_PROBLEM` naming each reference (``errors[].kind/partner/value``); nothing is stored.
Why a retryable answer rather than parking the document here: every webhook sender already retries ``5xx``
with backoff for hours (Standard Webhooks, Stripe, GitHub; our own delivery engine does too, while it treats
``409`` and other ``4xx`` as permanent), the sender keeps the document and its webhook id, so the hub needs
no second store, no re-mapping worker and no timer, and a retry maps against the then-current xref table
and mapping. The wait is bounded: ``hooks.<name>.xref_wait_s`` after this process first refused a webhook
id (default 900 s), the same document is a ``422`` like any other mapping error, so a reference that never
appears ends in the sender's dead-letter queue, not in an endless retry. The first-refusal times are kept
per process (:data:`XREF_TRACKED` ids at most, oldest forgotten first); with several API processes the
bound is per process, which only lengthens the wait.

Both then take the normal ingest path (dedupe, the stale-event screen when ``staleness.enabled``, routes).
The sender's message id is the dedupe key, kept in the inbox for good (senders retry the same id for up
to 3 days; the ±300 s timestamp window only stops replays). A repeat answers 200 with the original ids.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections import OrderedDict
from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from tradelane.api.events import read_body, respond
from tradelane.api.problems import PROBLEM_JSON, problem
from tradelane.core.envelope import CloudEvent
from tradelane.core.errors import MappingError
from tradelane.core.ids import new_id
from tradelane.delivery.signing import SignatureError, SignatureScheme, verify
from tradelane.ingest.validate import parse_json, validate_event, validate_events
from tradelane.mapping.engine import MissingXref, only_missing_xrefs
from tradelane.ports.store import RawMessage

__all__ = ["XREF_PENDING_PROBLEM", "XREF_RETRY_AFTER_S", "XREF_TRACKED", "mapping_problem", "router",
           "xref_pending_problem"]

log = logging.getLogger("tradelane.api.hooks")

router = APIRouter(prefix="/v1", tags=["webhooks"])

_UNAUTHORIZED = "Webhook signature rejected"
#: the problem type of a partner document its mapping cannot map
MAPPING_PROBLEM = "https://tradelane.dev/problems/mapping"


#: the problem type of a partner document that names a cross reference the hub does not have yet
XREF_PENDING_PROBLEM = "https://tradelane.dev/problems/xref-pending"
#: seconds a sender is asked to wait before re-sending a document whose cross reference is missing (the
#: reference is usually written within a second of the partner's synchronous answer)
XREF_RETRY_AFTER_S = 1
#: webhook ids whose first refusal time one process remembers (bounded memory; the oldest is forgotten)
XREF_TRACKED = 10_000


class _XrefWaits:
    """When this process first refused each webhook id for a missing cross reference (monotonic seconds)."""

    def __init__(self, capacity: int = XREF_TRACKED) -> None:
        self.capacity = capacity
        self.first: OrderedDict[str, float] = OrderedDict()

    def waited(self, key: str, now: float) -> float:
        """Seconds since ``key`` was first refused (``0`` the first time)."""
        since = self.first.setdefault(key, now)
        self.first.move_to_end(key)
        while len(self.first) > self.capacity:
            self.first.popitem(last=False)
        return now - since

    def forget(self, key: str) -> None:
        self.first.pop(key, None)


def _waits(request: Request) -> _XrefWaits:
    state = request.app.state
    waits: _XrefWaits | None = getattr(state, "xref_waits", None)
    if waits is None:
        waits = state.xref_waits = _XrefWaits()
    return waits


def xref_pending_problem(missing: list[MissingXref], mapping: str | None, retry_after_s: int) -> Response:
    """``503`` + ``Retry-After`` problem+json: the document names cross references that may still appear."""
    refs = ", ".join(f"{p.kind} {p.value!r}" for p in missing)
    body: dict[str, Any] = {
        "type": XREF_PENDING_PROBLEM,
        "title": "Cross reference not known yet",
        "status": 503,
        "detail": f"no cross reference yet for {refs}; re-send this message later",
        "errors": [{"path": p.path, "rule": "xref", "code": "xref", "value": p.value, "kind": p.kind,
                    "partner": p.partner, "source": p.source, "message": p.message} for p in missing],
    }
    if mapping is not None:
        body["mapping"] = mapping
    return Response(orjson.dumps(body, default=str), status_code=503, media_type=PROBLEM_JSON,
                    headers={"retry-after": str(retry_after_s)})


def mapping_problem(exc: MappingError, mapping: str | None) -> Response:
    """``422`` problem+json for a document the partner's mapping cannot map: field, rule and value each."""
    errors = [
        {"path": p.path, "rule": p.code, "code": p.code, "value": p.value, "message": p.message}
        for p in exc.problems
    ] or [{"path": "", "rule": "mapping", "code": "mapping", "value": None, "message": str(exc)}]
    body: dict[str, Any] = {
        "type": MAPPING_PROBLEM,
        "title": "Partner document could not be mapped",
        "status": 422,
        "detail": str(exc),
        "errors": errors,
    }
    if mapping is not None:
        body["mapping"] = mapping
    return Response(orjson.dumps(body, default=str), status_code=422, media_type=PROBLEM_JSON)


async def receive_hook(request: Request) -> Response:
    name = request.path_params["name"]
    hub = request.app.state.hub
    cfg = hub.settings.hooks.get(name)
    if cfg is None:
        return problem(404, "Not Found", f"no webhook sender {name!r}")
    body = await read_body(request, hub.settings.api.max_body_bytes)
    source = getattr(hub, "secrets", None)  # the environment, then the encrypted vault
    value = source.get(cfg.secrets_env) if source is not None else os.environ.get(cfg.secrets_env, "")
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
    hooks = getattr(hub, "partner_hooks", {}).get(name)
    mapping: tuple[str, str] | None = None
    evs: list[CloudEvent]
    if hooks is not None:
        parse_json(body, api.max_json_depth, api.max_array_items)  # malformed or too deep → 400, like every other ingress
        ref = hooks.mapping.ref
        try:
            parsed = await hooks.parse(dict(request.headers), body)
        except MappingError as exc:
            missing = only_missing_xrefs(exc.problems)
            if missing and cfg.xref_wait_s:
                waited = _waits(request).waited(f"wh:{name}:{msg_id}", time.monotonic())
                if waited < cfg.xref_wait_s:
                    log.warning("hook %s: message %s waits for cross reference(s) %s (%.0f s of %d s)", name,
                                msg_id, ", ".join(f"{p.kind}={p.value}" for p in missing), waited, cfg.xref_wait_s)
                    return xref_pending_problem(missing, str(ref), XREF_RETRY_AFTER_S)
            return mapping_problem(exc, str(ref))
        if cfg.xref_wait_s:
            _waits(request).forget(f"wh:{name}:{msg_id}")
        # the mapped events, normalised exactly as an API event is (plain JSON payload, partition key)
        evs = [validate_event(e.to_wire(), hub.registry) for e in parsed.events]
        mapping = (str(ref), ref.digest)
        batch = True
    else:
        doc = parse_json(body, api.max_json_depth, api.max_array_items)
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
        mapping=mapping,
        system=(hooks.mapping.partner, hooks.mapping.kind) if hooks is not None else None,
    )
    return respond(result, request)


router.add_route("/v1/hooks/{name}", receive_hook, methods=["POST"], include_in_schema=False)

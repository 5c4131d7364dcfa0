"""RFC 9457 problem+json responses; every error the API returns goes through here.

No error body ever carries a stack trace or a secret: unexpected exceptions answer a generic 500 with a
correlation id that appears in the server log.
"""

from __future__ import annotations

import logging
import re
import typing
import uuid
from datetime import datetime
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from tradelane.core.errors import ConflictError, FieldProblem, NotFound, ValidationFailed
from tradelane.ingest.validate import JsonTooDeep

__all__ = ["PROBLEM_JSON", "PROBLEM_SCHEMA", "check_query", "document_limits", "document_problems", "install_handlers", "problem"]

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("tradelane.api")


def problem(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    type_: str = "about:blank",
    errors: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body: dict[str, Any] = {"type": type_, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = [e.as_dict() for e in errors]
    body.update(extra)
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM_JSON, headers=headers)


#: the JSON Schema of every problem+json body (RFC 9457 members plus ``errors`` with field paths)
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["path", "message"],
                "properties": {"path": {"type": "string"}, "message": {"type": "string"}, "code": {"type": "string"}},
            },
        },
        "reference": {"type": "string"},
    },
}
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_WHY = {
    "400": "malformed request: bad JSON, nesting too deep, two credentials",
    "401": "no credential, or a bad, expired or revoked one (RFC 6750)",
    "403": "the credential lacks the scope this operation needs",
    "404": "no such resource (also for another tenant's)",
    "409": "conflict with the resource's current state",
    "413": "request body too large",
    "422": "invalid request: field paths in errors",
    "429": "this credential's rate limit is exhausted (Retry-After)",
    "503": "a part of the hub this operation needs is not running",
}


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Declare, on every operation of the OpenAPI ``schema``, the problem+json answers it can give.

    Authenticated operations get 401/403/429, operations with path parameters 404, writes 409 and 413,
    every operation 400, 422 and 503; FastAPI's own 422 (``HTTPValidationError``) is replaced by the
    problem+json one this API really sends. Mutates and returns ``schema``.
    """
    comps = schema.setdefault("components", {}).setdefault("schemas", {})
    comps["Problem"] = PROBLEM_SCHEMA
    comps.pop("HTTPValidationError", None)
    comps.pop("ValidationError", None)
    secured_by_default = bool(schema.get("security"))
    for path, item in schema.get("paths", {}).items():
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = op.setdefault("responses", {})
            codes = ["400", "422", "503"]
            if op.get("security", None) != [] and (secured_by_default or op.get("security")):
                codes += ["401", "403", "429"]
            if "{" in path:
                codes.append("404")
            if method != "get":
                codes += ["409", "413"]
            for code in codes:
                entry = responses.setdefault(code, {"description": _WHY[code]})
                content = entry.setdefault("content", {})
                if code == "422":  # FastAPI's HTTPValidationError body is never sent: problem+json is
                    content.pop("application/json", None)
                content[PROBLEM_JSON] = {"schema": _PROBLEM_REF}
    return schema


def document_limits(schema: dict[str, Any], *, max_page_size: int, max_batch_events: int) -> dict[str, Any]:
    """Write the configured resource limits into the OpenAPI ``schema`` (they are settings, so the routes'
    static declarations cannot carry them): every ``limit`` query parameter gets ``maximum: max_page_size``
    and every array-of-CloudEvents body ``minItems: 1`` and ``maxItems: max_batch_events``. Mutates and
    returns ``schema``."""
    for item in schema.get("paths", {}).values():
        for op in item.values():
            if not isinstance(op, dict):
                continue
            for param in op.get("parameters", ()):
                if param.get("name") == "limit" and param.get("in") == "query":
                    target = param.setdefault("schema", {})
                    for alt in target.get("anyOf", [target]):
                        if alt.get("type") == "integer":
                            alt["maximum"] = max_page_size
            for media in op.get("requestBody", {}).get("content", {}).values():
                body = media.get("schema", {})
                if body.get("type") == "array" and body.get("items", {}).get("$ref", "").endswith("/CloudEvent"):
                    body["minItems"] = 1
                    body["maxItems"] = max_batch_events
    return schema


#: how a date-time must be spelled in a query string (RFC 3339; the offset is checked by the route)
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})?")
# route → its query parameters (name → kind: "datetime", "many" (a list) or "one"), computed once per route
_DECLARED: dict[int, dict[str, str]] = {}


def _kind(annotation: Any) -> str:
    args = typing.get_args(annotation)
    if annotation is datetime or datetime in args:
        return "datetime"
    if typing.get_origin(annotation) in (list, tuple, set) or any(
        typing.get_origin(a) in (list, tuple, set) for a in args
    ):
        return "many"
    return "one"


def _declared_query(dependant: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    pending = [dependant]
    while pending:
        current = pending.pop()
        for field in current.query_params:
            out[field.alias or field.name] = _kind(field.field_info.annotation)
        pending.extend(current.dependencies)
    return out


def check_query(request: Request) -> None:
    """Refuse query parameters the route does not declare (a typo such as ``?staus=dead`` would otherwise
    silently widen a listing or a replay), single-valued ones given twice, and date-times that are not
    RFC 3339 (pydantic would read ``-5911`` as a Unix time). Routes without declared parameters (plain
    Starlette routes) are not checked.

    :raises ValidationFailed: 422 with one ``query.<name>`` problem per bad parameter
    """
    if not request.scope.get("query_string"):  # request.url would build the whole URL on every call
        return
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    declared = _DECLARED.get(id(route))
    if declared is None:
        declared = _DECLARED[id(route)] = _declared_query(dependant)
    problems = []
    seen: set[str] = set()
    for name, value in request.query_params.multi_items():
        kind = declared.get(name)
        if kind is None:
            problems.append(FieldProblem(f"query.{name}", "unknown query parameter", "unknown_parameter"))
        elif kind != "many" and name in seen:
            problems.append(FieldProblem(f"query.{name}", "given more than once", "repeated"))
        elif kind == "datetime" and not _RFC3339.fullmatch(value):
            problems.append(
                FieldProblem(f"query.{name}", "expected an RFC 3339 date-time, e.g. 2026-01-31T00:00:00Z", "invalid")
            )
        seen.add(name)
    if problems:
        raise ValidationFailed(problems, "Invalid request")


class PayloadTooLarge(Exception):
    """The request body is larger than the configured cap."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"request body exceeds {limit} bytes")
        self.limit = limit


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ValidationFailed)
    async def _validation(_: Request, exc: ValidationFailed) -> Response:
        malformed = any(p.code in ("invalid_json", "too_deep") for p in exc.problems) or isinstance(
            exc, JsonTooDeep
        )
        status = 400 if malformed else 422
        return problem(
            status,
            exc.title,
            f"{len(exc.problems)} problem(s); see errors",
            type_="https://tradelane.dev/problems/validation",
            errors=exc.problems,
        )

    @app.exception_handler(PayloadTooLarge)
    async def _too_large(_: Request, exc: PayloadTooLarge) -> Response:
        return problem(
            413,
            "Payload too large",
            str(exc),
            type_="https://tradelane.dev/problems/too-large",
            errors=[FieldProblem("", str(exc), "too_large")],
        )

    @app.exception_handler(RequestValidationError)
    async def _request_validation(_: Request, exc: RequestValidationError) -> Response:
        errs = []
        for e in exc.errors():
            loc = [str(p) for p in e["loc"]]
            errs.append(FieldProblem(".".join(loc), e["msg"], e["type"]))
        return problem(422, "Invalid request", type_="https://tradelane.dev/problems/validation", errors=errs)

    @app.exception_handler(ConflictError)
    async def _conflict(_: Request, exc: ConflictError) -> Response:
        return problem(409, "Conflict", str(exc), type_="https://tradelane.dev/problems/conflict")

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> Response:
        return problem(404, "Not found", str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> Response:
        return problem(exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        ref = uuid.uuid4().hex
        log.error("unhandled error ref=%s path=%s", ref, request.url.path, exc_info=exc)
        return problem(500, "Internal error", "the error was logged", reference=ref)

"""RFC 9457 problem+json responses; every error the API returns goes through here.

No error body ever carries a stack trace or a secret: unexpected exceptions answer a generic 500 with a
correlation id that appears in the server log.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from tradelane.core.errors import ConflictError, FieldProblem, NotFound, ValidationFailed
from tradelane.ingest.validate import JsonTooDeep

__all__ = ["PROBLEM_JSON", "install_handlers", "problem"]

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

"""The one exception tree of Tradelane; retryability is carried by the type.

::

    TradelaneError
    ├── ValidationFailed          bad input; carries field-level problems (never retried)
    ├── ConfigError               the YAML config or environment is wrong (points at the key)
    ├── ConflictError             the request conflicts with stored state (HTTP 409)
    ├── NotFound                  an id that does not exist *for this caller* (HTTP 404)
    └── ConnectorError            a partner or Odoo call failed
        ├── TransientError        retry later (timeouts, 5xx, 408/425/429, serialization failures)
        ├── PermanentError        retrying will not help (4xx, business rule refused)
        │   └── BusinessError     the remote system refused with a message of its own (Odoo UserError …)
        ├── AuthError             credentials refused; retry only after an operator acts
        └── MappingError          a payload could not be mapped to or from the canonical model

Third-party exceptions are translated once, at the adapter, with ``raise ... from exc``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "AuthError",
    "BusinessError",
    "ConfigError",
    "ConflictError",
    "ConnectorError",
    "FieldProblem",
    "MappingError",
    "NotFound",
    "PermanentError",
    "TradelaneError",
    "TransientError",
    "ValidationFailed",
]


@dataclass(frozen=True)
class FieldProblem:
    """One problem with one field of an input document."""

    #: JSON-pointer-like dotted path to the field, e.g. ``events[3].data.lines[0].quantity.unit``
    path: str
    #: human-readable message
    message: str
    #: machine-readable problem code, e.g. ``missing``, ``unknown_unit``, ``naive_datetime``
    code: str = "invalid"
    #: the offending value, when it is safe to echo
    value: Any = field(default=None, compare=False)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "message": self.message, "code": self.code}
        return out


class TradelaneError(Exception):
    """Base of every error Tradelane raises on purpose."""

    #: whether a caller may try the same operation again later
    retryable: bool = False


class ValidationFailed(TradelaneError):
    """Input failed validation; ``problems`` names every offending field."""

    def __init__(self, problems: list[FieldProblem], title: str = "Validation failed") -> None:
        self.problems = problems
        self.title = title
        super().__init__(f"{title}: " + "; ".join(f"{p.path}: {p.message}" for p in problems[:5]))


class ConfigError(TradelaneError):
    """The configuration is invalid; ``key`` names the offending setting."""

    def __init__(self, message: str, key: str | None = None, line: int | None = None) -> None:
        self.message = message
        self.key = key
        self.line = line
        where = ""
        if key:
            where += f" at '{key}'"
        if line:
            where += f" (line {line})"
        super().__init__(f"{message}{where}")


class ConflictError(TradelaneError):
    """The request conflicts with stored state."""


class NotFound(TradelaneError):
    """The id does not exist for this caller."""


class ConnectorError(TradelaneError):
    """A call to Odoo or a partner failed."""


class TransientError(ConnectorError):
    """A failure that may go away if the same call is retried later."""

    retryable = True

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        #: seconds the remote asked us to wait (``Retry-After``), if it said
        self.retry_after = retry_after


class PermanentError(ConnectorError):
    """A failure that retrying will not fix."""


class BusinessError(PermanentError):
    """The remote system refused the operation with a business message (e.g. Odoo ``UserError``)."""

    def __init__(self, message: str, kind: str = "UserError") -> None:
        super().__init__(message)
        #: the remote's own error class name
        self.kind = kind


class AuthError(ConnectorError):
    """The remote refused our credentials or permissions."""


class MappingError(ConnectorError):
    """A payload could not be mapped; ``problems`` names the fields."""

    def __init__(self, message: str, problems: list[FieldProblem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []

"""Odoo's exception tree, as the external API sees it.

The classes claim the module ``odoo.exceptions`` so that JSON-RPC ``data.name`` reads exactly as on a real
server (``odoo.exceptions.MissingError`` …) and so that tracebacks end with the same last line.

::

    UserError                 XML-RPC fault 2
    ├── ValidationError       XML-RPC fault 2 (indistinguishable from UserError there)
    ├── MissingError          XML-RPC fault 2
    ├── RedirectWarning       XML-RPC fault 2
    ├── AccessError           XML-RPC fault 4
    └── AccessDenied          XML-RPC fault 3 ("Access Denied")
"""

from __future__ import annotations

from typing import Any

ODOO_EXCEPTIONS_MODULE = "odoo.exceptions"


class UserError(Exception):
    """A business rule refused the operation; the message is meant for the user."""

    def __init__(self, message: str, *args: Any) -> None:
        super().__init__(message, *args)

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""

    def __str__(self) -> str:
        return self.message


class ValidationError(UserError):
    """A constraint (Python or SQL) was violated."""


class MissingError(UserError):
    """The record does not exist or has been deleted."""


class RedirectWarning(UserError):
    """A warning that suggests an action (never raised by the emulator, listed for completeness)."""


class AccessError(UserError):
    """The user may not perform this operation (or the method is private)."""


class AccessDenied(UserError):
    """Bad login, password or API key."""

    def __init__(self, message: str = "Access Denied") -> None:
        super().__init__(message)


for _cls in (UserError, ValidationError, MissingError, RedirectWarning, AccessError, AccessDenied):
    _cls.__module__ = ODOO_EXCEPTIONS_MODULE


class OperationalError(Exception):
    """What psycopg2 raises when the database does not exist."""


OperationalError.__module__ = "psycopg2"

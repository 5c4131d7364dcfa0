"""The CLI's audit trail: every state-changing ``tradelane`` command is appended to the audit chain.

:func:`audit_commands` wraps each command named in :data:`AUDITED` so that, after it succeeds, one row
``cli.<group>.<command>`` is appended with its options (secret-looking ones redacted), its first argument as
the target and the operating-system user as the actor. A command that fails (any exit but a normal return)
writes nothing. Commands that audit themselves with more detail (:data:`SELF_AUDITED`: the key commands,
exports) and read-only ones (:data:`READ_ONLY`) are not wrapped; a test checks that every registered command
is in exactly one of the three sets, so a new command must say whether it changes state.
"""

from __future__ import annotations

import functools
import getpass
import inspect
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import typer

__all__ = ["AUDITED", "READ_ONLY", "SELF_AUDITED", "actor", "audit_commands", "command_names"]

#: commands that change the hub's state: appended to the audit chain when they succeed
AUDITED = frozenset(
    {
        "db upgrade",
        "dlq replay",
        "endpoints disable",
        "endpoints enable",
        "exceptions ack",
        "exceptions resolve",
        "conflicts accept",
        "conflicts reject",
        "mapping xref set",
        "mapping xref delete",
        "secrets set",
        "secrets delete",
        "secrets rotate-key",
    }
)
#: commands that write their own, more detailed audit rows (never the key itself)
SELF_AUDITED = frozenset({"keys create", "keys revoke", "keys rotate", "events export"})
#: commands that change nothing in the hub (they read, serve, or write local files only)
READ_ONLY = frozenset(
    {
        "run", "demo", "odoo-emulator", "events list", "events show", "keys list", "schema export",
        "config check", "audit verify", "audit checkpoint", "audit list", "dlq list", "dlq show",
        "endpoints list", "connectors list", "mapping test", "mapping xref get", "mapping xref list",
        "edi parse", "edi render", "edi partners", "edi sent", "exceptions list", "exceptions show", "conflicts list",
        "flows list", "partner new", "partner check", "secrets list", "secrets generate-key",
    }
)
#: option names whose values never reach the audit log
_SECRETISH = ("secret", "password", "token", "key", "value")


def actor() -> str:
    """Who runs the command, for the audit log: ``cli:<OS user>``."""
    try:
        return f"cli:{getpass.getuser()}"[:200]
    except (OSError, KeyError):  # no user name (a container without /etc/passwd entry)
        return "cli"


def _jsonable(name: str, value: Any) -> Any:
    if any(w in name.lower() for w in _SECRETISH) and value is not None:
        return "[redacted]"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list | tuple):
        return [_jsonable(name, v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _walk(t: typer.Typer, prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for c in t.registered_commands:
        name = c.name or (c.callback.__name__.replace("_", "-") if c.callback else "")
        out.append((prefix + name, c))
    for g in t.registered_groups:
        if g.typer_instance is not None and g.name:
            out += _walk(g.typer_instance, prefix + g.name + " ")
    return out


def command_names(app: typer.Typer) -> list[str]:
    """Every registered command, as typed (``dlq replay``)."""
    return [name for name, _ in _walk(app)]


def _audited(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    action = "cli." + name.replace(" ", ".")
    # the command's first argument (no default) names what it acts on: an endpoint, an exception id …
    first = next((p.name for p in inspect.signature(fn).parameters.values() if p.default is p.empty), None)

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        from tradelane.cli.main import _with_hub

        result = fn(*args, **kwargs)
        detail = {k: _jsonable(k, v) for k, v in kwargs.items() if k not in ("config", "yes")}
        target = str(kwargs[first])[:300] if first in kwargs and kwargs[first] is not None else None
        _with_hub(kwargs.get("config"), lambda hub: hub.audit.append(actor=actor(), action=action[:100],
                                                                      target=target, detail=detail))
        return result

    return run


def audit_commands(app: typer.Typer) -> None:
    """Wrap every :data:`AUDITED` command of ``app`` so that its success is appended to the audit chain."""
    for name, info in _walk(app):
        if name in AUDITED and info.callback is not None and not getattr(info.callback, "_audited", False):
            info.callback = _audited(name, info.callback)
            info.callback._audited = True

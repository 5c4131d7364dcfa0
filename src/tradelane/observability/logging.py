"""Logs: one JSON object per line (or readable text) on stderr, from structlog and stdlib ``logging`` alike.

Every line has ``timestamp`` (ISO 8601, UTC), ``level``, ``logger`` and ``message``, plus, when known,
``trace_id`` / ``span_id`` (the current OpenTelemetry span) and ``correlation_id`` (the business transaction
being handled: set with :func:`bind_correlation` or structlog's contextvars). The code keeps using
``logging.getLogger(...)``; those records go through the same processors (structlog's
``ProcessorFormatter``), so there is one format whoever logs.
"""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING, Any, TextIO

import orjson
import structlog
from structlog.types import EventDict, Processor, WrappedLogger

from tradelane.observability import tracing

if TYPE_CHECKING:
    from tradelane.settings import ObservabilitySettings

__all__ = ["bind_correlation", "configure", "correlation_id", "reset"]

#: the correlation id of the work in progress (an event's ``correlationid``), read by every log line
correlation_id: ContextVar[str | None] = ContextVar("tradelane_correlation_id", default=None)


def bind_correlation(value: str | None) -> Token[str | None]:
    """Set the correlation id for the current task (cheap: one ContextVar set); returns the reset token."""
    return correlation_id.set(value)


def add_trace_context(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """structlog processor: ``trace_id``, ``span_id`` and ``correlation_id`` from the current context."""
    ids = tracing.current_ids()
    if ids is not None:
        event.setdefault("trace_id", ids[0])
        event.setdefault("span_id", ids[1])
    cid = correlation_id.get()
    if cid is not None:
        event.setdefault("correlation_id", cid)
    return event


def _dumps(obj: Any, **_: Any) -> str:
    return orjson.dumps(obj, default=str).decode()


class _TradelaneHandler(logging.StreamHandler[TextIO]):
    """Marks the handler :func:`configure` installed, so that configuring again replaces it.

    Without an explicit stream it writes to whatever ``sys.stderr`` is *when it emits*: a handler bound to
    the stderr of the moment would keep writing to a stream that was swapped and closed since (a CLI run
    under a test runner, a daemonised process), and every later record would become a "Logging error".
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self._follow_stderr = stream is None
        super().__init__(stream if stream is not None else sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr if self._follow_stderr else self._stream

    @stream.setter
    def stream(self, value: TextIO) -> None:
        self._stream = value


def _shared() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
        add_trace_context,
    ]


def configure(
    settings: ObservabilitySettings | None = None,
    *,
    stream: TextIO | None = None,
    fmt: str | None = None,
    level: str | None = None,
) -> logging.Handler:
    """Route structlog and stdlib logging to one handler on ``stream`` (default: stderr).

    :param fmt: ``json`` or ``text``; default ``settings.log_format`` (``json`` without settings)
    :param level: a level name; default ``settings.log_level`` (``INFO`` without settings)
    :returns: the installed handler (replacing one installed earlier)
    """
    fmt = fmt or (settings.log_format if settings is not None else "json")
    level = level or (settings.log_level if settings is not None else "INFO")
    renderer: Processor = (
        structlog.processors.JSONRenderer(serializer=_dumps)
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    shared = _shared()
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.EventRenamer("message"),
            renderer,
        ],
    )
    structlog.configure(
        processors=[structlog.stdlib.filter_by_level, *shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    handler = _TradelaneHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    if not _remove_ours(root):
        _previous_level[:] = [root.level]
    root.addHandler(handler)
    root.setLevel(level)
    return handler


#: the root logger's level before the first :func:`configure` (restored by :func:`reset`)
_previous_level: list[int] = []


def _remove_ours(root: logging.Logger) -> bool:
    """Remove the handler :func:`configure` installed; whether there was one."""
    ours = [h for h in root.handlers if isinstance(h, _TradelaneHandler)]
    for h in ours:
        root.removeHandler(h)
    return bool(ours)


def reset() -> None:
    """Undo :func:`configure` (tests): remove the handler, restore the root level and structlog's defaults."""
    root = logging.getLogger()
    if _remove_ours(root) and _previous_level:
        root.setLevel(_previous_level.pop())
    structlog.reset_defaults()

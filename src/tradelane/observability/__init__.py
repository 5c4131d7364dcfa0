"""Tradelane observability: Prometheus metrics (:mod:`.metrics`), OpenTelemetry traces (:mod:`.tracing`) and
structured logs (:mod:`.logging`).

A process calls :func:`setup` once at start-up; the hub's code only updates metrics and opens spans through
these modules, never through the libraries directly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tradelane.observability import logging, metrics, tracing

if TYPE_CHECKING:
    from tradelane.settings import Settings

__all__ = ["logging", "metrics", "setup", "tracing"]


def setup(settings: Settings, *, logs: bool = True) -> None:
    """Configure tracing (``observability.traces_exporter``) and, with ``logs``, the log format and level.

    :param logs: also take over the root logger (a server process: yes; a library user or a test: no)
    """
    tracing.configure(settings.observability)
    if logs:
        logging.configure(settings.observability)

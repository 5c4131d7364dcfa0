"""A short-lived cache of the control tower's expensive pages: the business board and the charts.

The board is computed from whole event scans (:mod:`tradelane.web.business`), which grow with the history;
the charts from aggregate queries (:mod:`tradelane.web.charts`). Each is computed at most once per
``web.board.cache_ttl_s`` seconds per hub process and shared by every operator's request: the first request
(or the first after an action) computes it — concurrent ones wait for that one computation — and a request
finding it older than the TTL is answered with it at once while one background task recomputes it
(stale-while-revalidate), so figures are at most about one TTL plus one computation old. The pages say when
their figures were computed. Any POST of the control tower (a replay, a resolution, a decision …) drops the
cache, so the page after an action shows its effect. ``cache_ttl_s: 0`` turns the cache off.

The cache holds operator-only data and is never used for the portal.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from tradelane.web import business
from tradelane.web import charts as _charts

__all__ = ["TTL_S", "Cached", "board", "charts", "clear", "ttl_s"]

log = logging.getLogger(__name__)

#: default seconds a computed board or chart stays fresh (``web.board.cache_ttl_s`` overrides)
TTL_S = 10.0

T = TypeVar("T")


@dataclass(frozen=True)
class Cached:
    """A computed value and when it was computed."""

    value: Any
    computed_at: datetime
    #: monotonic clock reading at computation
    at: float


@dataclass
class _HubCache:
    entries: dict[str, Cached] = field(default_factory=dict)
    locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    #: bumped by :func:`clear`: a computation started before a clear is not stored
    generation: int = 0
    #: keys being recomputed in the background, and those tasks (kept referenced until done)
    refreshing: set[str] = field(default_factory=set)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)


def _of(hub: Any) -> _HubCache:
    found = getattr(hub, "_web_cache", None)
    if found is None:
        found = _HubCache()
        hub._web_cache = found
    return found


def ttl_s(hub: Any) -> float:
    """The hub's TTL: ``web.board.cache_ttl_s``, else :data:`TTL_S`."""
    board_cfg = getattr(getattr(hub.settings, "web", None), "board", None)
    return float(getattr(board_cfg, "cache_ttl_s", TTL_S))


def clear(hub: Any) -> None:
    """Forget every cached value of ``hub`` (after something changed)."""
    c = _of(hub)
    c.entries.clear()
    c.generation += 1


async def _compute(hub: Any, c: _HubCache, key: str, compute: Callable[[], Awaitable[T]]) -> Cached:
    generation = c.generation
    entry = Cached(await compute(), datetime.now(UTC), time.monotonic())
    if generation == c.generation:  # nothing changed meanwhile through the control tower
        c.entries[key] = entry
    return entry


async def _refresh(hub: Any, c: _HubCache, key: str, compute: Callable[[], Awaitable[T]]) -> None:
    try:
        async with c.locks.setdefault(key, asyncio.Lock()):
            await _compute(hub, c, key, compute)
    except Exception:  # the next request computes it in the foreground and sees the error
        log.exception("refreshing the cached %s failed", key)
        c.entries.pop(key, None)
    finally:
        c.refreshing.discard(key)


async def _get(hub: Any, key: str, compute: Callable[[], Awaitable[T]]) -> Cached:
    ttl = ttl_s(hub)
    if ttl <= 0:
        return Cached(await compute(), datetime.now(UTC), time.monotonic())
    c = _of(hub)
    hit = c.entries.get(key)
    if hit is not None:
        if time.monotonic() - hit.at >= ttl and key not in c.refreshing:
            # stale: answer with it now and recompute once in the background
            c.refreshing.add(key)
            task = asyncio.get_running_loop().create_task(_refresh(hub, c, key, compute))
            c.tasks.add(task)
            task.add_done_callback(c.tasks.discard)
        return hit
    async with c.locks.setdefault(key, asyncio.Lock()):
        hit = c.entries.get(key)  # computed by the request this one waited for
        if hit is not None:
            return hit
        return await _compute(hub, c, key, compute)


async def board(hub: Any) -> Cached:
    """The business board (:func:`tradelane.web.business.business_board`), cached."""
    return await _get(hub, "board", lambda: business.business_board(hub))


async def charts(hub: Any, window: str) -> Cached:
    """The charts of ``window`` (:func:`tradelane.web.charts.charts`), cached per window."""
    return await _get(hub, f"charts:{window}", lambda: _charts.charts(hub, window))

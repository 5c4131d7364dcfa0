"""Process-wide tuning for a long-running hub process (``tradelane run``, every role).

CPython's cyclic garbage collector walks every tracked object of the oldest generation on a full collection.
A hub process holds a few hundred thousand long-lived objects after start-up (FastAPI routes, pydantic and
SQLAlchemy models, the event registry) and allocates fast under load, so with the default thresholds full
collections came every few seconds and each paused the event loop for up to ~200 ms: that pause was the p99
of ingest and of end-to-end delivery (measured with ``bench/ingest_bench.py``: durable p99 191–257 ms with
the defaults, 23 ms with full collections pushed out, p50 unchanged at 12 ms).

:func:`tune_gc` moves what exists after start-up into the permanent generation (``gc.freeze``: never
scanned again, still freed by reference counting) and raises the thresholds so that young collections are
rarer and full ones rarer still. Cyclic garbage is still collected, later.
"""

from __future__ import annotations

import gc

__all__ = ["GC_THRESHOLDS", "tune_gc"]

#: allocations before a young collection; young collections per middle one; middle ones per full one
GC_THRESHOLDS = (50_000, 20, 20)


def tune_gc() -> tuple[int, int, int]:
    """Collect once, freeze what survives and raise the thresholds; call after start-up, before serving.

    :returns: the thresholds now in force
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    return gc.get_threshold()

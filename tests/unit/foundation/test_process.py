"""Process tuning of ``tradelane run``: the start-up heap is frozen out of the cyclic GC's scans."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from tradelane.process import GC_THRESHOLDS, tune_gc


@pytest.fixture
def restore_gc() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


@pytest.mark.usefixtures("restore_gc")
def test_tune_gc_freezes_the_startup_heap_and_raises_the_thresholds() -> None:
    gc.unfreeze()
    survivors = [[i] for i in range(1000)]  # long-lived objects, as a hub holds after start-up
    assert gc.get_freeze_count() == 0
    assert tune_gc() == GC_THRESHOLDS == gc.get_threshold()
    assert gc.get_freeze_count() >= len(survivors)
    assert GC_THRESHOLDS[0] > 700  # young collections rarer than CPython's default
    # cyclic garbage made later is still collected
    a: list[object] = []
    a.append(a)
    del a
    assert gc.collect() >= 1

"""Polling for asynchronous effects in tests: no sleeps as synchronisation, no timed assertions."""

from __future__ import annotations

import time
from typing import Any

__all__ = ["WAIT_S", "wait_until"]

#: how long :func:`wait_until` waits by default, seconds (generous: CI runs on two loaded cores)
WAIT_S = 60.0


def wait_until(fn: Any, what: str, timeout_s: float = WAIT_S) -> Any:
    """Poll ``fn`` until it returns something truthy (returned); fail naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what}")
        time.sleep(0.05)

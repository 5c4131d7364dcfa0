"""Loopback networking helpers shared by the demo, tests, chaos runs and benchmarks."""

from __future__ import annotations

import socket

__all__ = ["free_port"]


def free_port(preferred: int = 0) -> int:
    """A free TCP port on 127.0.0.1: ``preferred`` if it is free, otherwise one the OS picks."""
    for port in (preferred, 0) if preferred else (0,):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return int(s.getsockname()[1])
            except OSError:
                continue
    raise RuntimeError("no free port")

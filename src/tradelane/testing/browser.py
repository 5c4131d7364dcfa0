"""Browser helpers for the end-to-end tests: Playwright driving Debian's Chromium, and screenshots.

Playwright never downloads a browser here: it launches the system's ``chromium`` (``apt-get install
chromium``; ``make e2e`` installs it when missing) with :data:`CHROMIUM_ARGS`. Screenshots go to
:func:`artifacts_dir` (``e2e-artifacts/`` in the working directory, or ``TRADELANE_E2E_ARTIFACTS``).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tradelane.testing.wait import wait_until

__all__ = [
    "CHROMIUM_ARGS",
    "DEFAULT_TIMEOUT_MS",
    "Screenshots",
    "artifacts_dir",
    "chromium_page",
    "chromium_path",
    "wait_until",
]

#: flags for a headless Chromium in a container that must not reach the network on its own
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
#: Playwright's timeout for every action and wait, milliseconds (generous: CI is a loaded 2-core machine)
DEFAULT_TIMEOUT_MS = 60_000
#: where Debian installs Chromium
DEBIAN_CHROMIUM = "/usr/bin/chromium"


def chromium_path() -> str:
    """The Chromium executable (``TRADELANE_CHROMIUM``, else Debian's).

    :raises RuntimeError: none is installed (the message says how to install it)
    """
    path = os.environ.get("TRADELANE_CHROMIUM") or DEBIAN_CHROMIUM
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        found = shutil.which("chromium")
        if found is None:
            raise RuntimeError(
                f"no Chromium at {path}: run `make e2e` (it installs it) or `apt-get install -y chromium`"
            )
        path = found
    return path


def artifacts_dir() -> Path:
    """Where screenshots go (created)."""
    path = Path(os.environ.get("TRADELANE_E2E_ARTIFACTS", "e2e-artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


class Screenshots:
    """Numbered full-page screenshots of one test: ``<dir>/<test>/<nn>-<step>.png``."""

    def __init__(self, page: Any, test_name: str, root: Path | None = None) -> None:
        self.page = page
        self.dir = (root or artifacts_dir()) / re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.taken: list[Path] = []

    def __call__(self, step: str) -> Path:
        name = f"{len(self.taken) + 1:02d}-{re.sub(r'[^A-Za-z0-9_.-]+', '-', step)}.png"
        path = self.dir / name
        self.page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)
        return path


@contextmanager
def chromium_page(base_url: str) -> Iterator[Any]:
    """A fresh headless Chromium page (own context: own cookies) with ``base_url`` and long timeouts."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=DEFAULT_TIMEOUT_MS)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=list(CHROMIUM_ARGS))
        try:
            context = browser.new_context(base_url=base_url, viewport={"width": 1360, "height": 900})
            context.set_default_timeout(DEFAULT_TIMEOUT_MS)
            page = context.new_page()
            yield page
            context.close()
        finally:
            browser.close()



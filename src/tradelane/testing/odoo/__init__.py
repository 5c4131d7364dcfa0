"""A protocol-faithful Odoo 17 emulator for tests and demos (JSON-RPC, XML-RPC, and JSON-2 when run as 19.0).

Usage::

    from tradelane.testing.odoo import OdooEmulator

    with OdooEmulator() as emu:
        ...  # talk to emu.url with db=emu.db, login=emu.login, password=emu.password (or emu.api_key)

The behaviour follows ``reference/odoo17-external-api.md``; known simplifications are listed in the module
docstrings of :mod:`.orm` and :mod:`.models`.
"""

from __future__ import annotations

from .server import OdooEmulator, main

__all__ = ["OdooEmulator", "main"]

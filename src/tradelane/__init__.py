"""Tradelane: a logistics integration hub for Odoo.

The public surface is deliberately small; see ``tradelane.core`` for the canonical model and event
registry, ``tradelane.bootstrap`` for wiring, and the ``tradelane`` command for operations.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]

"""The control tower (``/ui``) and the customer portal (``/portal``): server-rendered, Jinja2 + htmx."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

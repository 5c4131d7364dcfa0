"""Exceptions and SLA API (filled in by the flows work)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

"""Prometheus ``/metrics`` (filled in by the observability work)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

"""Tradelane observability."""

"""Tradelane web."""

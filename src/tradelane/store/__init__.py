"""Tradelane store."""

"""Tradelane security."""

"""Tradelane core."""

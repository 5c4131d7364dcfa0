"""Tradelane routing."""

"""Tradelane flows."""

"""Tradelane testing."""

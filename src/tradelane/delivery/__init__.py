"""Tradelane delivery."""

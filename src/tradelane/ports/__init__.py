"""Tradelane ports."""

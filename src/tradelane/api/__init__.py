"""Tradelane api."""

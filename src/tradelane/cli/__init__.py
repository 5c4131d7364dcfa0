"""Tradelane cli."""

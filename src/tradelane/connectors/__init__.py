"""Tradelane connectors."""

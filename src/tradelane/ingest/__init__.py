"""Tradelane ingest."""

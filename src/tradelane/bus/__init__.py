"""Tradelane bus."""

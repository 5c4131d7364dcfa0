"""Tradelane mapping."""

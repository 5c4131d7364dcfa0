"""Transports between hub processes (NATS JetStream)."""

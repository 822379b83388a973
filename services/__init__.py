"""Adapters and entry points: HTTP services, Kafka and PostgreSQL plumbing, operations CLI."""

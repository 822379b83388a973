"""Plumbing all processes share: logs, Kafka admin, ops HTTP, errors, poison records, migrations."""

"""Ingest service: validates behaviour events over HTTP and publishes them durably to Kafka."""

"""What tests of more than one layer share: factories, signed channel requests, running ingest.

A test module imports helpers from its own layer (`tests/unit`, `tests/integration`, `tests/e2e`)
or from here, never from another layer (tests/unit/test_layers.py checks it).
"""

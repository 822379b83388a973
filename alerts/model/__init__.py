"""The alerts model: stale-lead fold, health indicators, busy checks, ordering (no I/O)."""

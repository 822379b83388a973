"""Benchmarks, run by name: `python -m bench NAME` (figures recorded in docs/benchmarks.md)."""

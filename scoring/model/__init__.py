"""The scoring model: rules, the fold and its decisions, as pure functions (no I/O)."""

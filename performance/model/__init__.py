"""Rep performance model: points rules, KPI, awards, weekly to-dos (no I/O)."""

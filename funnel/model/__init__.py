"""The funnel model: stages, tiers, periods, projection decisions and the funnel maths (no I/O)."""

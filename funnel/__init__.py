"""Funnel read models: metric maths, the PostgreSQL projector and its queries."""

"""Query service: funnel analytics and lead look-ups served from the PostgreSQL read models."""

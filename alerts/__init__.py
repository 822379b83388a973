"""Alerts: stale leads, the monthly health check and delivery."""

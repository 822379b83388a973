"""Settings → the alerts' plain config: the one alerts module besides `__main__` reading them."""

from __future__ import annotations

from alerts.worker.config import AlertsConfig, ChecksConfig, DeliveryConfig
from funnel.model.stages import stage_order
from services.settings import Settings


def alerts_config(settings: Settings) -> AlertsConfig:
    """The alerts worker's section of the settings (the query app mounts `.checks` too)."""
    return AlertsConfig(
        database_url=settings.database_url,
        kafka_bootstrap=settings.kafka_bootstrap,
        topic_prefix=settings.topic_prefix,
        schema=settings.alerts_schema,
        checks=ChecksConfig(
            funnel_schema=settings.funnel_schema,
            order=stage_order(settings.sales_stages),
            timezone=settings.health_check_timezone,
            grace_hours=settings.health_check_grace_hours,
            health_thresholds=settings.health_thresholds,
            busy=settings.busy_check,
            stale_leads=settings.stale_leads,
            risk_alert_bar=settings.risk_alert_bar,
        ),
        delivery=DeliveryConfig(
            webhooks=tuple(settings.alert_webhooks),
            attempts=settings.alert_delivery_attempts,
            backoff_seconds=settings.alert_delivery_backoff_seconds,
            backoff_max_seconds=settings.alert_delivery_backoff_max_seconds,
            timeout_seconds=settings.alert_delivery_timeout_seconds,
        ),
        batch_records=settings.alerts_batch_records,
        allowed_lateness_seconds=settings.alerts_allowed_lateness_seconds,
        sweep_interval_seconds=settings.alerts_sweep_interval_seconds,
        risk_check_interval_seconds=settings.risk_check_interval_seconds,
    )

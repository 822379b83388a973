"""What the alerts worker needs to know, as plain values: built by `alerts.wiring` from Settings."""

from __future__ import annotations

from dataclasses import dataclass

from alerts.model.busy import BusyConfig
from alerts.model.delivery import AlertWebhook
from alerts.model.health_config import HealthThresholds
from alerts.model.stale import StaleConfig
from funnel.model.stages import StageOrder


@dataclass(frozen=True, slots=True)
class ChecksConfig:
    """The funnel read models the checks judge, and the rules they judge them by.

    The monthly health and busy checks, the weekly to-do lists, the churn-risk check and the
    query app's health-check endpoint read this; the stale-lead detector its `stale_leads`.
    """

    funnel_schema: str
    order: StageOrder  # the sales stages, first first: what counts as advancing
    timezone: str  # IANA name: months and weeks are cut at its midnights
    grace_hours: float  # a month (or week) is checked once event time is this far past its end
    health_thresholds: HealthThresholds
    busy: BusyConfig
    stale_leads: StaleConfig
    risk_alert_bar: float  # an open deal's churn risk at or above it is "at risk"


@dataclass(frozen=True, slots=True)
class DeliveryConfig:
    """Where the published alerts are POSTed, and how hard each delivery is tried."""

    webhooks: tuple[AlertWebhook, ...]
    attempts: int
    backoff_seconds: float  # the first retry's wait, doubling up to `backoff_max_seconds`
    backoff_max_seconds: float
    timeout_seconds: float  # per attempt


@dataclass(frozen=True, slots=True)
class AlertsConfig:
    """The alerts worker's section of the settings: detector, sweep, checks, relay, webhooks."""

    database_url: str
    kafka_bootstrap: str
    topic_prefix: str
    schema: str  # the alerts schema: tracked leads, outbox, deliveries, positions' consumer name
    checks: ChecksConfig
    delivery: DeliveryConfig
    batch_records: int  # records read per batch at most
    allowed_lateness_seconds: float  # the sweep judges at the latest event time minus this
    sweep_interval_seconds: float  # re-sweep this often while event time stands still
    risk_check_interval_seconds: float  # the churn-risk check runs at most this often

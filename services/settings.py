"""The one settings object: environment variables prefixed LEADFUNNEL_ (see .env.example)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from alerts.model.busy import BusyConfig
from alerts.model.delivery import AlertWebhook
from alerts.model.health_config import HealthThresholds
from alerts.model.stale import StaleConfig
from funnel.model.stages import stage_order
from runtime.tokens import sha256_hex
from services.channels.config import DEFAULT_BOT_USER_AGENTS, AdPushProfile, WechatAccount

# Development credentials: `make run` prints them, .env.example and the README list them.
# Only their SHA-256 digests are configured; the raw values live in docs and demo tooling.
DEV_WRITE_KEY = "wk_dev_leadfunnel"
DEV_READ_TOKEN = "rt_dev_leadfunnel"
# Development master key of the PII vault (base64 of 32 bytes): every process warns while it is
# in use. Production sets LEADFUNNEL_PII_MASTER_KEY from a secret store (docs/privacy.md).
DEV_PII_MASTER_KEY = "zQyYLWPVJWwXaPfZDEQtfZpsznamYRRJVKOLF0Prv44="


# Segment `track` event names (compared lower-cased, `_`/`-` read as spaces) → our event types;
# names not listed become `custom` events.
SEGMENT_EVENT_TYPES: dict[str, str] = {
    "page viewed": "page_viewed",
    "form submitted": "form_submitted",
    "video watched": "video_watched",
    "video playback completed": "video_watched",
    "video content playing": "video_watched",
    "asset downloaded": "asset_downloaded",
    "file downloaded": "asset_downloaded",
    "email opened": "email_opened",
    "email link clicked": "email_clicked",
    "email clicked": "email_clicked",
    "demo requested": "demo_requested",
    "wechat subscribed": "wechat_subscribed",
    "wechat unsubscribed": "wechat_unsubscribed",
    "wechat menu clicked": "wechat_menu_clicked",
    "wechat qr scanned": "wechat_qr_scanned",
    "wechat message sent": "wechat_message_sent",
    "ad clicked": "ad_clicked",
    "ad lead submitted": "ad_lead_submitted",
    "sales stage changed": "sales_stage_changed",
    "communication logged": "communication_logged",
}
# The standard sales process, first stage first; CRM stage changes must name one of these.
SALES_STAGES: tuple[str, ...] = (
    "first_contact",
    "needs_confirmed",
    "demo",
    "quote_negotiation",
    "contract_approval",
    "won",
    "lost",
)


class WriteKey(BaseModel):
    """A source allowed to post events, bound to the channels it may post for."""

    name: str
    sha256: str
    channels: list[str] = ["website", "wechat", "ads", "email", "crm", "api"]
    rate_per_second: float = 500.0
    # events/s one client address may post with this key (set it on public keys, e.g. the
    # website's: one visitor cannot drain the key for everyone); None: no per-address limit
    rate_per_address_per_second: float | None = None


class Settings(BaseSettings):
    """Every knob of every process; built once at the edge and passed into factories."""

    model_config = SettingsConfigDict(
        env_prefix="LEADFUNNEL_", env_file=".env", extra="ignore", env_nested_delimiter="__"
    )

    kafka_bootstrap: str = "127.0.0.1:9092"
    topic_prefix: str = "leadfunnel."
    topic_partitions: int = 4
    topic_replication: int = 1
    database_url: str = Field(
        default="postgresql://leadfunnel:leadfunnel@127.0.0.1:55432/leadfunnel",
        validation_alias=AliasChoices("DATABASE_URL", "LEADFUNNEL_DATABASE_URL"),
    )
    host: str = "127.0.0.1"
    ingest_port: int = 8000
    query_port: int = 8001
    write_keys: list[WriteKey] = [WriteKey(name="dev", sha256=sha256_hex(DEV_WRITE_KEY))]
    read_token_sha256s: list[str] = [sha256_hex(DEV_READ_TOKEN)]
    pii_hmac_secret: str = Field(default="dev-only-pii-secret-change-me", repr=False)
    # the PII vault (services/vault, docs/privacy.md): master key wrapping the per-person data
    # keys, retired master keys still unwrapping until `ops vault rewrap`, ingest's key cache
    pii_master_key: str = Field(default=DEV_PII_MASTER_KEY, repr=False)
    pii_previous_master_keys: list[str] = Field(default=[], repr=False)
    vault_key_cache_seconds: float = Field(default=60.0, ge=0)
    default_phone_region: str = "CN"
    # marketing spend (docs/ingest.md): the one currency spend is posted in and costs are shown in
    reporting_currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    # True allows the development credentials above (`make run` and the tests set it); without
    # it ingest and query refuse to start on any of them (`refuse_development_defaults`).
    dev_mode: bool = False
    # only read by `python -m services.ops check-settings` (compose's setup runs it first)
    grafana_admin_password: str = Field(default="", repr=False)
    ingest_max_event_bytes: int = 32 * 1024
    ingest_max_batch_bytes: int = 500 * 1024
    ingest_publish_timeout_seconds: float = 5.0
    ingest_retry_after_seconds: int = 5
    ingest_rate_burst_seconds: float = 2.0
    # where the rate limits live: each process's buckets (N replicas admit N × the rate), or
    # fixed windows of ingest_rate_burst_seconds in PostgreSQL that every replica shares
    ingest_rate_store: Literal["process", "postgres"] = "process"
    segment_event_types: dict[str, str] = SEGMENT_EVENT_TYPES
    # The one stage list every process uses: ingest accepts these stages, the projector and the
    # query service order and classify stays by it, the alerts and the dashboard follow it.
    sales_stages: list[str] = list(SALES_STAGES)

    @field_validator("sales_stages")
    @classmethod
    def _stage_list(cls, stages: list[str]) -> list[str]:
        stage_order(stages)  # raises ValueError naming what is wrong
        return stages

    readiness_timeout_seconds: float = 2.0
    funnel_schema: str = Field(default="funnel", pattern=r"^[a-z_][a-z0-9_]{0,40}$")
    projector_metrics_port: int = 8002
    projector_batch_records: int = 5000
    # True: projector processes of one schema share the partitions (a consumer group) and run
    # side by side; False: one process reads every partition (positions live in PostgreSQL).
    projector_scale_out: bool = True
    # rep performance points (issue 12): the points file, its teams and the KPI weights
    points_rules_path: str = Field(default="", description="empty: performance/default_points.yaml")
    # stage gates (issue 12): what entering each sales stage requires (evidence, fields, approval)
    stage_gates_path: str = Field(default="", description="empty: funnel/default_gates.yaml")
    # the projector's and the alerts worker's probes on their metrics ports
    worker_ready_max_lag: int = 10_000  # /readyz: ready when at most this many messages behind
    worker_alive_seconds: float = 300.0  # /healthz: stalled when the loop has not turned for this
    log_level: str = "info"
    # alerts (python -m alerts): stale-lead detector, scheduled checks, outbox and webhooks
    alerts_schema: str = Field(default="alerts", pattern=r"^[a-z_][a-z0-9_]{0,40}$")
    alerts_metrics_port: int = 8003
    alerts_batch_records: int = 1000
    alerts_sweep_interval_seconds: float = 30.0
    alerts_allowed_lateness_seconds: float = 300.0
    stale_leads: StaleConfig = StaleConfig()
    health_thresholds: HealthThresholds = HealthThresholds()
    busy_check: BusyConfig = BusyConfig()
    # churn risk (docs/risk.md): an open deal's risk at or above the bar is "at risk" (the API's
    # list, one opportunity_at_risk alert per crossing); the alerts worker re-scores this often
    risk_alert_bar: float = Field(default=0.7, ge=0.0, le=1.0)
    risk_check_interval_seconds: float = Field(default=300.0, gt=0.0)
    health_check_timezone: str = "UTC"
    health_check_grace_hours: float = 24.0
    alert_webhooks: list[AlertWebhook] = []
    alert_delivery_attempts: int = 5
    alert_delivery_backoff_seconds: float = 1.0
    alert_delivery_backoff_max_seconds: float = 60.0
    alert_delivery_timeout_seconds: float = 5.0
    # scoring worker (python -m scoring): Faust app, rules, batching, Kafka group timeouts, sweeps
    scoring_web_port: int = 8004
    scoring_rules_path: str = Field(default="", description="empty: scoring/default_rules.yaml")
    scoring_generation: str = Field(default="", pattern=r"^[a-z0-9]{0,12}$")
    scoring_processing_guarantee: Literal["at_least_once", "exactly_once"] = "at_least_once"
    scoring_session_timeout_seconds: float = 10.0
    scoring_heartbeat_interval_seconds: float = 1.0
    scoring_rebalance_timeout_seconds: float = 20.0
    scoring_commit_interval_seconds: float = 1.0
    scoring_batch_size: int = 500
    scoring_batch_within_seconds: float = 0.02
    scoring_sweep_interval_seconds: float = 60.0
    scoring_sweep_every_seconds: float = 3600.0
    scoring_sweep_min_change: float = 1.0
    scoring_nurture_enabled: bool = True
    # tables on disk (recovery reads only the changelog tail) or in memory (the whole changelog)
    scoring_store: Literal["rocksdb", "memory"] = "rocksdb"
    scoring_data_dir: str = Field(
        default=".cache/scoring-data", description="RocksDB tables live in <dir>/<app id>"
    )
    # channel adapters (services/channels, docs/channels.md): WeChat, ad platforms, the collector
    wechat_accounts: list[WechatAccount] = []
    wechat_max_content_chars: int = Field(default=200, ge=0, le=2000)
    wechat_timestamp_window_seconds: float = 300.0
    google_ads_key: str = Field(default="", repr=False)
    meta_verify_token: str = Field(default="", repr=False)
    meta_app_secret: str = Field(default="", repr=False)
    ad_push_profiles: list[AdPushProfile] = []
    ad_push_window_seconds: float = 300.0
    channel_dedupe_seconds: float = 900.0
    collector_allowed_origins: list[str] = []
    collector_bot_user_agents: list[str] = DEFAULT_BOT_USER_AGENTS
    # dashboard (services/dashboard, served by the query service at /dashboard/)
    dashboard_language: Literal["zh", "en"] = "zh"
    dashboard_conversion_bar: float = Field(default=0.5, ge=0.0, le=1.0)
    dashboard_poll_seconds: float = Field(default=5.0, gt=0.0)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from the environment, read once per process."""
    return Settings()


def _is_placeholder(secret: str) -> bool:
    return "change-me" in secret.lower()


def _development_values(settings: Settings) -> dict[str, bool]:
    # variable → whether it holds a development default or a `change-me` placeholder
    dev_digests = {sha256_hex(DEV_WRITE_KEY), sha256_hex(DEV_READ_TOKEN)}

    def is_dev(secret: str) -> bool:
        return secret.lower() in dev_digests or _is_placeholder(secret)

    password = urlsplit(settings.database_url).password or ""
    grafana = settings.grafana_admin_password
    return {
        "LEADFUNNEL_WRITE_KEYS": any(is_dev(key.sha256) for key in settings.write_keys),
        "LEADFUNNEL_READ_TOKEN_SHA256S": any(map(is_dev, settings.read_token_sha256s)),
        "LEADFUNNEL_PII_HMAC_SECRET": _is_placeholder(settings.pii_hmac_secret),
        "LEADFUNNEL_PII_MASTER_KEY": settings.pii_master_key == DEV_PII_MASTER_KEY
        or _is_placeholder(settings.pii_master_key),
        "DATABASE_URL": password == "leadfunnel" or _is_placeholder(password),
        "LEADFUNNEL_GRAFANA_ADMIN_PASSWORD": grafana == "admin" or _is_placeholder(grafana),
    }


def refuse_development_defaults(settings: Settings, names: Iterable[str]) -> None:
    """Exit naming each of `names` that holds a development default, unless in dev mode.

    The message names the variables only, never their values.
    """
    if settings.dev_mode:
        return
    found = _development_values(settings)
    unsafe = [name for name in names if found[name]]
    if unsafe:
        raise SystemExit(
            "refusing to start with development credentials in "
            + ", ".join(unsafe)
            + ": set real ones, or LEADFUNNEL_DEV_MODE=1 for a development run"
        )


INGEST_SECRETS = (  # ingest reaches the database too: the vault's keys, shared rate limits
    "LEADFUNNEL_WRITE_KEYS",
    "LEADFUNNEL_PII_HMAC_SECRET",
    "LEADFUNNEL_PII_MASTER_KEY",
    "DATABASE_URL",
)
QUERY_SECRETS = (
    "LEADFUNNEL_READ_TOKEN_SHA256S",
    "LEADFUNNEL_PII_HMAC_SECRET",
    "LEADFUNNEL_PII_MASTER_KEY",
    "DATABASE_URL",
)
# what `python -m services.ops check-settings` checks (compose's setup service runs it)
EVERY_SECRET = (*dict.fromkeys(INGEST_SECRETS + QUERY_SECRETS), "LEADFUNNEL_GRAFANA_ADMIN_PASSWORD")

"""Ingest and query refuse development credentials unless LEADFUNNEL_DEV_MODE says otherwise."""

from __future__ import annotations

import pytest

from services.settings import (
    EVERY_SECRET,
    INGEST_SECRETS,
    QUERY_SECRETS,
    Settings,
    WriteKey,
    refuse_development_defaults,
    sha256_hex,
)

DEFAULTS = Settings.model_construct()  # the defaults, whatever the environment holds
PRODUCTION = {
    "write_keys": [WriteKey(name="website", sha256=sha256_hex("wk_live_1"))],
    "read_token_sha256s": [sha256_hex("rt_live_1")],
    "pii_hmac_secret": "9f3c0d6e1a",
    "pii_master_key": "bm90LXRoZS1kZXYta2V5LW5vdC10aGUtZGV2LWtleSE=",
    "database_url": "postgresql://leadfunnel:s3cret@db:5432/leadfunnel",
    "grafana_admin_password": "g-s3cret",
}


def configured(**changes: object) -> Settings:
    given = {"dev_mode": False, **PRODUCTION, **changes}
    return Settings(_env_file=None, **given)  # type: ignore[call-arg, arg-type]


def refusal(settings: Settings, names: tuple[str, ...] = EVERY_SECRET) -> str:
    with pytest.raises(SystemExit) as refused:
        refuse_development_defaults(settings, names)
    return str(refused.value)


def test_real_credentials_start_and_development_mode_allows_the_defaults() -> None:
    refuse_development_defaults(configured(), EVERY_SECRET)
    refuse_development_defaults(Settings(_env_file=None, dev_mode=True), EVERY_SECRET)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("change", "name"),
    [
        ({"write_keys": DEFAULTS.write_keys}, "LEADFUNNEL_WRITE_KEYS"),
        ({"read_token_sha256s": DEFAULTS.read_token_sha256s}, "LEADFUNNEL_READ_TOKEN_SHA256S"),
        ({"pii_hmac_secret": "dev-only-pii-secret-change-me"}, "LEADFUNNEL_PII_HMAC_SECRET"),
        ({"pii_master_key": DEFAULTS.pii_master_key}, "LEADFUNNEL_PII_MASTER_KEY"),
        ({"database_url": DEFAULTS.database_url}, "DATABASE_URL"),
        ({"database_url": "postgresql://u:CHANGE-ME@db/leadfunnel"}, "DATABASE_URL"),
        ({"grafana_admin_password": "admin"}, "LEADFUNNEL_GRAFANA_ADMIN_PASSWORD"),
    ],
)
def test_each_development_default_is_refused_by_name_never_by_value(
    change: dict[str, object], name: str
) -> None:
    message = refusal(configured(**change))
    assert name in message and "LEADFUNNEL_DEV_MODE=1" in message
    assert all(other not in message for other in EVERY_SECRET if other != name)
    assert "change-me" not in message.lower() and "leadfunnel:" not in message


def test_each_service_checks_only_what_it_uses() -> None:
    defaults = Settings(_env_file=None, dev_mode=False)  # type: ignore[call-arg]
    assert "LEADFUNNEL_READ_TOKEN_SHA256S" not in refusal(defaults, INGEST_SECRETS)
    assert "LEADFUNNEL_WRITE_KEYS" not in refusal(defaults, QUERY_SECRETS)

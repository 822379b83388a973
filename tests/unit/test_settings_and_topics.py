"""Defaults the docs rely on, the documented settings list, and the topic declarations."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from runtime.migrations import yoyo_url
from schemas.topics import ALL_TOPICS, DEAD_LETTERS, LEAD_SCORES, RAW_EVENTS
from services.settings import DEV_READ_TOKEN, DEV_WRITE_KEY, Settings, sha256_hex

ENV_EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"


def _env_example() -> dict[str, str]:
    pairs = re.findall(r"^([A-Z0-9_]+)=(.*)$", ENV_EXAMPLE.read_text(), flags=re.MULTILINE)
    return dict(pairs)


def test_defaults_match_the_documented_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(_env_example()):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.ingest_port, settings.query_port) == (8000, 8001)
    assert settings.kafka_bootstrap.endswith(":9092")


def test_every_setting_is_listed_in_env_example() -> None:
    documented = set(_env_example())
    for name in Settings.model_fields:
        alias = "DATABASE_URL" if name == "database_url" else f"LEADFUNNEL_{name.upper()}"
        assert alias in documented, f"{alias} missing from .env.example"


def test_env_example_values_parse_to_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in _env_example().items():
        monkeypatch.setenv(name, value)
    assert Settings(_env_file=None) == Settings.model_construct()  # type: ignore[call-arg]


def test_dev_credentials_in_env_example_are_the_configured_digests() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.write_keys[0].sha256 == sha256_hex(DEV_WRITE_KEY)
    assert settings.read_token_sha256s == [sha256_hex(DEV_READ_TOKEN)]
    assert DEV_WRITE_KEY in ENV_EXAMPLE.read_text()
    assert DEV_READ_TOKEN in ENV_EXAMPLE.read_text()


def test_every_topic_is_declared_once_with_a_distinct_name() -> None:
    names = [spec.name("p.") for spec in ALL_TOPICS]
    assert len(names) == len(set(names))
    assert {"events.raw", "events.resolved", "leads.scores", "leads.promotions"} <= {
        spec.suffix for spec in ALL_TOPICS
    }


def test_score_topic_is_compacted_and_source_logs_are_kept_forever() -> None:
    assert LEAD_SCORES.configs() == {"cleanup.policy": "compact"}
    assert RAW_EVENTS.configs() == {"cleanup.policy": "delete", "retention.ms": "-1"}
    assert int(DEAD_LETTERS.configs()["retention.ms"]) > 0


def test_yoyo_url_names_the_psycopg_driver() -> None:
    assert yoyo_url("postgresql://u:p@h:1/d") == "postgresql+psycopg://u:p@h:1/d"
    assert yoyo_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"


def test_readme_topic_table_lists_every_declared_topic_as_declared() -> None:
    readme = (ENV_EXAMPLE.parent / "README.md").read_text()
    for spec in ALL_TOPICS:
        row = re.search(rf"^\| `leadfunnel\.{re.escape(spec.suffix)}` \|(.+)$", readme, re.M)
        assert row, f"README topic table lacks {spec.suffix}"
        assert f"`{spec.value}`" in row.group(1) and spec.cleanup_policy in row.group(1)

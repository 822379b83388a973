"""Versioned schema migrations (yoyo) for the PostgreSQL read models."""

from __future__ import annotations

from pathlib import Path

from yoyo import get_backend, read_migrations

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "deploy" / "postgres" / "migrations"


def yoyo_url(database_url: str) -> str:
    """yoyo names the driver in the URL scheme; we use psycopg 3."""
    scheme, rest = database_url.split("://", 1)
    if scheme in ("postgres", "postgresql"):
        scheme = "postgresql+psycopg"
    return f"{scheme}://{rest}"


def apply_migrations(database_url: str) -> list[str]:
    """Apply pending migrations under yoyo's lock; return the ids applied."""
    backend = get_backend(yoyo_url(database_url))
    migrations = read_migrations(str(MIGRATIONS_DIR))
    with backend.lock():
        pending = backend.to_apply(migrations)
        backend.apply_migrations(pending)
    return [migration.id for migration in pending]

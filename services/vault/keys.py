"""Data keys in PostgreSQL: one per vault subject, wrapped by the master key, erased by deletion.

A subject is a keyed hash of the strongest identity key an event carries (`subject_of`), so the
table holds no identifier in clear. A lead may own several keys (its events named different
strongest identities); erasure finds them through the lead's identity keys and its contact rows.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.pii import keyed_hash
from services.settings import DEV_PII_MASTER_KEY
from services.vault.crypto import (
    SealError,
    master_key_bytes,
    master_key_id,
    new_data_key,
    new_key_id,
    unwrap_key,
    wrap_key,
)

log = logging.getLogger("vault")
Connection = Any  # asyncpg ships no type information
DataKey = tuple[str, bytes]  # (key id, data key)


def warn_if_development_key(master_key: str) -> None:
    """Log a warning when the vault runs on the development master key from the settings."""
    if master_key.strip() == DEV_PII_MASTER_KEY:
        log.warning(
            "the PII vault uses the development master key: set LEADFUNNEL_PII_MASTER_KEY"
            " (docs/privacy.md) before any real contact details arrive"
        )


def subject_of(secret: str, identity_key: str) -> str:
    """The vault subject of an identity key (`kind:value`): a keyed hash, 64 hex digits."""
    return keyed_hash(secret, "vault-subject:" + identity_key)


@dataclass(frozen=True)
class MasterKeys:
    """The current master key (wraps new keys) and retired ones (still unwrap until rewrapped)."""

    current: bytes = field(repr=False)
    retired: dict[str, bytes] = field(default_factory=dict, repr=False)

    @classmethod
    def from_settings(cls, current: str, previous: Iterable[str] = ()) -> MasterKeys:
        """Master keys from their base64 settings; ValueError naming a malformed one."""
        old = [master_key_bytes(key) for key in previous]
        return cls(master_key_bytes(current), {master_key_id(key): key for key in old})

    @property
    def current_id(self) -> str:
        """The fingerprint stored beside every key the current master key wraps."""
        return master_key_id(self.current)

    def unwrap(self, key_id: str, wrapped: bytes, master_id: str) -> bytes:
        """A stored data key in clear; SealError when no configured master key opens it."""
        master = self.current if master_id == self.current_id else self.retired.get(master_id)
        if master is None:
            raise SealError(f"master key {master_id} is not configured")
        return unwrap_key(master, key_id, wrapped)


class VaultUnavailableError(RuntimeError):
    """PostgreSQL did not answer in time: events with contact details must not go out."""


class KeyStore:
    """Data keys by subject (created on first use) and by key id; erasure deletes them."""

    def __init__(self, masters: MasterKeys, cache_seconds: float = 60.0) -> None:
        self.masters = masters
        self.cache_seconds = cache_seconds
        self._by_subject: dict[str, tuple[float, DataKey]] = {}

    def _cached(self, subject: str, now: float) -> DataKey | None:
        hit = self._by_subject.get(subject)
        return hit[1] if hit is not None and hit[0] > now else None

    async def keys_for(self, conn: Connection, subjects: Sequence[str]) -> dict[str, DataKey]:
        """Each subject's data key, created when it has none yet (concurrent writers agree)."""
        now = time.monotonic()
        found = {s: key for s in subjects if (key := self._cached(s, now)) is not None}
        missing = sorted(set(subjects) - set(found))
        if missing:
            fresh = [(new_key_id(), new_data_key()) for _ in missing]
            master_id = self.masters.current_id
            await conn.execute(
                "INSERT INTO public.pii_keys (key_id, subject, wrapped_key, master_key_id)"
                " SELECT k, s, w, $4 FROM unnest($1::text[], $2::text[], $3::bytea[]) AS x(k, s, w)"
                " ON CONFLICT (subject) DO NOTHING",
                [key_id for key_id, _ in fresh],
                missing,
                [wrap_key(self.masters.current, k, dek) for k, dek in fresh],
                master_id,
            )
            rows = await conn.fetch(
                "SELECT subject, key_id, wrapped_key, master_key_id FROM public.pii_keys"
                " WHERE subject = ANY($1::text[])",
                missing,
            )
            if len(self._by_subject) > 100_000:
                self._by_subject.clear()
            until = now + self.cache_seconds
            for row in rows:
                key = (row["key_id"], self._open(row))
                found[row["subject"]] = key
                self._by_subject[row["subject"]] = (until, key)
        return found

    def _open(self, row: Any) -> bytes:
        return self.masters.unwrap(*_stored(row))

    async def by_ids(self, conn: Connection, key_ids: Iterable[str]) -> dict[str, bytes]:
        """The data keys that still exist among `key_ids` (erased ones are simply absent)."""
        rows = await conn.fetch(
            "SELECT key_id, wrapped_key, master_key_id FROM public.pii_keys"
            " WHERE key_id = ANY($1::text[])",
            sorted(set(key_ids)),
        )
        opened: dict[str, bytes] = {}
        for row in rows:
            try:
                opened[row["key_id"]] = self._open(row)
            except SealError:
                log.warning("a data key does not open under the configured master keys")
        return opened


async def delete_keys(conn: Connection, key_ids: Iterable[str], subjects: Iterable[str]) -> int:
    """Delete data keys by id and by subject (crypto-shredding); the number deleted."""
    status = await conn.execute(
        "DELETE FROM public.pii_keys WHERE key_id = ANY($1::text[]) OR subject = ANY($2::text[])",
        sorted(set(key_ids)),
        sorted(set(subjects)),
    )
    return int(status.split()[-1])


async def rewrap_all(conn: Connection, masters: MasterKeys, batch: int = 1000) -> int:
    """Re-wrap every data key not under the current master key; the number re-wrapped."""
    done = 0
    while True:
        rows = await conn.fetch(
            "SELECT key_id, wrapped_key, master_key_id FROM public.pii_keys"
            " WHERE master_key_id <> $1 LIMIT $2",
            masters.current_id,
            batch,
        )
        if not rows:
            return done
        ids = [row["key_id"] for row in rows]
        wrapped = [
            wrap_key(masters.current, row["key_id"], masters.unwrap(*_stored(row))) for row in rows
        ]
        await conn.execute(
            "UPDATE public.pii_keys p SET wrapped_key = x.w, master_key_id = $3"
            " FROM unnest($1::text[], $2::bytea[]) AS x(k, w) WHERE p.key_id = x.k",
            ids,
            wrapped,
            masters.current_id,
        )
        done += len(rows)
        await asyncio.sleep(0)


def _stored(row: Any) -> tuple[str, bytes, str]:
    return row["key_id"], bytes(row["wrapped_key"]), row["master_key_id"]

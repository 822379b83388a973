"""Ingest's sealing step: contact details of a request's events encrypted before they publish.

Events without contact details never touch PostgreSQL, so they keep flowing while it is down;
events with some are refused with a retryable 503 rather than published in clear.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence

import asyncpg
from pydantic import ValidationError

from schemas.events import Event, SealedContact, event_model
from services.ingest.rejections import Rejection
from services.settings import Settings
from services.vault.contact import Contact
from services.vault.crypto import company_index, seal
from services.vault.keys import KeyStore, MasterKeys, VaultUnavailableError, subject_of

log = logging.getLogger("vault")
VAULT_UNAVAILABLE = "vault_unavailable"
SEALED_VERSION = 2  # the contract version that carries `contact`


class Sealer:
    """Seals each event's contact under its person's data key; owns a small database pool."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.secret = settings.pii_hmac_secret
        masters = MasterKeys.from_settings(
            settings.pii_master_key, settings.pii_previous_master_keys
        )
        self.keys = KeyStore(masters, settings.vault_key_cache_seconds)
        self._pool: asyncpg.Pool | None = None

    async def _connection_pool(self) -> asyncpg.Pool:
        if self._pool is None:  # created lazily: ingest starts while PostgreSQL is down
            self._pool = await asyncpg.create_pool(
                self.settings.database_url, min_size=0, max_size=4, timeout=2
            )
        return self._pool

    async def stop(self) -> None:
        """Close the pool, if one was opened."""
        if self._pool is not None:
            await self._pool.close()

    def _unavailable(self, why: str) -> Rejection:
        retry = self.settings.ingest_retry_after_seconds
        message = f"contact details cannot be sealed now ({why}); retry, ids make it safe"
        return Rejection(VAULT_UNAVAILABLE, "", message, status=503, retry_after=retry)

    async def seal(
        self, events: Sequence[Event], contacts: Mapping[str, Contact]
    ) -> list[Event] | Rejection:
        """The events with their contact sealed in; a 503 rejection when keys are unreachable."""
        wanted = {
            event.event_id: subject
            for event in events
            if event.event_id in contacts and (subject := self._subject(event))
        }
        if not wanted:
            return list(events)
        try:
            async with asyncio.timeout(self.settings.ingest_publish_timeout_seconds):
                pool = await self._connection_pool()
                async with pool.acquire() as conn:
                    keys = await self.keys.keys_for(conn, sorted(set(wanted.values())))
        except (OSError, TimeoutError, asyncpg.PostgresError, VaultUnavailableError) as error:
            log.warning("vault unavailable", extra={"reason": type(error).__name__})
            return self._unavailable(type(error).__name__)
        sealed = []
        for event in events:
            subject = wanted.get(event.event_id)
            key = keys.get(subject) if subject else None
            if key is None:
                sealed.append(event)
                continue
            sealed.append(self._with_contact(event, contacts[event.event_id], *key))
        return sealed

    def _subject(self, event: Event) -> str | None:
        strongest = event.identities.strongest()
        return subject_of(self.secret, strongest) if strongest else None

    def _with_contact(self, event: Event, contact: Contact, key_id: str, key: bytes) -> Event:
        box = SealedContact(
            key_id=key_id,
            ciphertext=seal(key, key_id, contact.to_bytes()),
            company_index=company_index(self.secret, contact.company) if contact.company else [],
        )
        fields = {**event.model_dump(), "schema_version": SEALED_VERSION, "contact": box}
        try:
            return event_model(event.type, SEALED_VERSION).model_validate(fields)  # type: ignore[return-value]
        except ValidationError:
            # A version-1 CRM record cannot pass as version 2 (owner missing): it goes out
            # without its contact rather than not at all; its email / phone hashes still match.
            log.info("contact not sealed: event not valid as version 2", extra={"type": event.type})
            return event

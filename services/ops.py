"""Operations CLI for the Makefile, scripts and operators: Kafka, topics, migrations, tokens."""

from __future__ import annotations

import argparse
import asyncio
import base64
import sys
import time
import urllib.error
import urllib.request

import asyncpg

from runtime.kafka_admin import ensure_topics, wait_for_broker
from runtime.migrations import apply_migrations
from schemas.topics import ALL_TOPICS
from services.access import Role, add_token, list_tokens, revoke_token
from services.settings import (
    DEV_READ_TOKEN,
    DEV_WRITE_KEY,
    EVERY_SECRET,
    Settings,
    refuse_development_defaults,
)
from services.vault.crypto import SealError, new_data_key
from services.vault.keys import MasterKeys, rewrap_all


async def _wait_postgres(url: str, timeout: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            connection = await asyncpg.connect(url, timeout=3)
            await connection.close()
            return
        except (OSError, asyncpg.PostgresError) as error:
            if asyncio.get_running_loop().time() > deadline:
                message = f"PostgreSQL did not answer within {timeout}s: {error!r}"
                raise TimeoutError(message) from error
            await asyncio.sleep(0.5)


def main(argv: list[str] | None = None) -> int:
    """Entry point: `python -m services.ops COMMAND`."""
    settings = Settings()
    parser = argparse.ArgumentParser(prog="python -m services.ops")
    sub = parser.add_subparsers(dest="command", required=True)
    wait_kafka = sub.add_parser("wait-kafka", help="wait until the broker answers metadata")
    wait_kafka.add_argument("--bootstrap", default=settings.kafka_bootstrap)
    wait_kafka.add_argument("--timeout", type=float, default=60)
    wait_pg = sub.add_parser("wait-postgres", help="wait until PostgreSQL accepts connections")
    wait_pg.add_argument("--timeout", type=float, default=30)
    sub.add_parser("create-topics", help="create the declared topics that are missing")
    sub.add_parser("migrate", help="apply pending database migrations")
    sub.add_parser("rebuild", help="re-project the funnel read models from the log, then swap")
    rescore = sub.add_parser("rescore", help="replay the log under new scoring rules; report")
    rescore.add_argument("rules", help="the new rules YAML file")
    rescore.add_argument("--write-shadow", action="store_true", help="store the shadow table")
    sub.add_parser("credentials", help="print the development credentials and URLs")
    sub.add_parser(
        "check-settings", help="exit 1 naming every secret left at a development default"
    )
    tokens = sub.add_parser("tokens", help="read tokens with a role: add, list, revoke")
    token_commands = tokens.add_subparsers(dest="tokens_command", required=True)
    add = token_commands.add_parser("add", help="add a token; it is printed once, never stored")
    add.add_argument("name", help="a name to list and revoke it by, e.g. the reader's login")
    add.add_argument("--role", required=True, choices=[role.value for role in Role])
    add.add_argument("--owner", help="rep tokens: the CRM owner name of the leads it may read")
    token_commands.add_parser("list", help="every token's name, role, owner and dates")
    revoke = token_commands.add_parser("revoke", help="revoke a token by name")
    revoke.add_argument("name")
    vault = sub.add_parser("vault", help="the PII vault's master key: new-key, rewrap")
    vault_commands = vault.add_subparsers(dest="vault_command", required=True)
    vault_commands.add_parser("new-key", help="print a fresh random master key (base64)")
    vault_commands.add_parser(
        "rewrap", help="re-wrap every data key under LEADFUNNEL_PII_MASTER_KEY (after a rotation)"
    )
    wait_services = sub.add_parser("wait-services", help="wait for every /readyz, print URLs")
    wait_services.add_argument("--timeout", type=float, default=60)
    wait_services.add_argument("--since", type=float, default=time.time())
    args = parser.parse_args(argv)

    try:
        match args.command:
            case "wait-kafka":
                wait_for_broker(args.bootstrap, args.timeout)
                print(f"[kafka] ready at {args.bootstrap}")
            case "wait-postgres":
                asyncio.run(_wait_postgres(settings.database_url, args.timeout))
                print("[postgres] ready")
            case "create-topics":
                created = ensure_topics(
                    settings.kafka_bootstrap,
                    ALL_TOPICS,
                    settings.topic_prefix,
                    settings.topic_partitions,
                    settings.topic_replication,
                )
                print(f"[topics] created {created}" if created else "[topics] all present")
                from scoring.wiring import scoring_config
                from scoring.worker.provision import prepare_topics

                # the scoring worker's internal and nurture topics
                prepare_topics(scoring_config(settings))
            case "migrate":
                applied = apply_migrations(settings.database_url)
                print(f"[migrate] applied {applied}" if applied else "[migrate] up to date")
            case "rebuild":
                from funnel.projector.rebuild import rebuild
                from funnel.wiring import projector_config

                report = asyncio.run(rebuild(projector_config(settings)))
                print(f"[rebuild] {report.messages} messages into {report.schema}")
            case "rescore":
                from scoring.wiring import scoring_config
                from scoring.worker.rescore import rescore as replay_under

                config = scoring_config(settings)
                replayed = asyncio.run(replay_under(config, args.rules, shadow=args.write_shadow))
                print(replayed.text())
            case "credentials":
                _print_credentials(settings)
            case "check-settings":
                refuse_development_defaults(settings, EVERY_SECRET)
                print(
                    "[settings] no development credentials"
                    if not settings.dev_mode
                    else "[settings] development mode: development credentials allowed"
                )
            case "tokens":
                return asyncio.run(_tokens(settings, args))
            case "vault":
                return asyncio.run(_vault(settings, args.vault_command))
            case "wait-services":
                _wait_services(settings, args.timeout)
                print(f"[run] every /readyz green after {time.time() - args.since:.0f}s")
                _print_credentials(settings)
    except TimeoutError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


async def _tokens(settings: Settings, args: argparse.Namespace) -> int:
    """`tokens add|list|revoke`: read tokens stored as digests in PostgreSQL."""
    conn = await asyncpg.connect(settings.database_url)
    try:
        match args.tokens_command:
            case "add":
                try:
                    token = await add_token(conn, args.name, Role(args.role), args.owner)
                except asyncpg.UniqueViolationError:
                    print(f"error: a token named {args.name!r} exists", file=sys.stderr)
                    return 2
                except ValueError as error:
                    print(f"error: {error}", file=sys.stderr)
                    return 2
                print(f"[tokens] {args.name} ({args.role}): {token}")
                print("[tokens] shown once: only its digest is stored", file=sys.stderr)
            case "list":
                for info in await list_tokens(conn):
                    state = f"revoked {info.revoked_at:%Y-%m-%d}" if info.revoked_at else "live"
                    owner = f" owner={info.owner}" if info.owner else ""
                    print(f"{info.name}\t{info.role}{owner}\t{info.created_at:%Y-%m-%d}\t{state}")
            case "revoke":
                if not await revoke_token(conn, args.name):
                    print(f"error: no live token named {args.name!r}", file=sys.stderr)
                    return 2
                print(f"[tokens] revoked {args.name}")
    finally:
        await conn.close()
    return 0


async def _vault(settings: Settings, command: str) -> int:
    """`vault new-key|rewrap`: make a master key; move every data key under the current one."""
    if command == "new-key":
        print(base64.b64encode(new_data_key()).decode())
        print("[vault] keep it in your secret store; it is never written anywhere", file=sys.stderr)
        return 0
    masters = MasterKeys.from_settings(settings.pii_master_key, settings.pii_previous_master_keys)
    conn = await asyncpg.connect(settings.database_url)
    try:
        async with conn.transaction():  # all or nothing: a key that does not open stops it
            moved = await rewrap_all(conn, masters)
    except SealError as error:
        print(f"error: {error}: list it in LEADFUNNEL_PII_PREVIOUS_MASTER_KEYS", file=sys.stderr)
        return 2
    finally:
        await conn.close()
    print(f"[vault] re-wrapped {moved} data keys under master key {masters.current_id}")
    return 0


def _service_urls(settings: Settings) -> dict[str, str]:
    base = f"http://{settings.host}"
    return {"ingest": f"{base}:{settings.ingest_port}", "query": f"{base}:{settings.query_port}"}


def _wait_services(settings: Settings, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    pending = dict(_service_urls(settings))
    while pending:
        for name, url in list(pending.items()):
            try:
                with urllib.request.urlopen(f"{url}/readyz", timeout=3) as answer:
                    if answer.status == 200:
                        del pending[name]
            except (urllib.error.URLError, OSError):
                pass
        if pending and time.monotonic() > deadline:
            raise TimeoutError(f"not ready after {timeout}s: {sorted(pending)}")
        if pending:
            time.sleep(0.5)


def _print_credentials(settings: Settings) -> None:
    urls = _service_urls(settings)
    print(
        f"""
  Ingest API   {urls["ingest"]}   (docs: /docs, health: /readyz, /metrics)
  Query API    {urls["query"]}   (docs: /docs, health: /readyz, /metrics)
  Kafka        {settings.kafka_bootstrap}
  PostgreSQL   {settings.database_url.split("@")[-1]}
  Write key    {DEV_WRITE_KEY}   (HTTP Basic user name, empty password)
  Read token   {DEV_READ_TOKEN}   (Authorization: Bearer ...)
"""
    )


if __name__ == "__main__":
    sys.exit(main())

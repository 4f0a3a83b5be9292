"""Connections, the schema, and the roster the engine starts with.

``schema.sql`` (at the repository root) is the single source of truth for the tables.
:func:`init_schema` applies it idempotently, creating the database itself first when it does not
exist, and records the version in ``cc_schema_version`` so that a later release can migrate an
existing database (see :data:`MIGRATIONS`) instead of asking operators to rebuild it.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import asyncpg

from acd.config import DatabaseSettings, QueueSettings
from acd.engine.inputs import AgentProfile
from acd.logging import get_logger

log = get_logger(__name__)

#: The schema version this code expects (the last ``INSERT INTO cc_schema_version`` of schema.sql).
SCHEMA_VERSION = 1

#: SQL that brings a database from version ``n - 1`` to ``n``, run in order before schema.sql
#: (which then creates whatever else is new). Empty while there is one version.
MIGRATIONS: dict[int, str] = {}

# Serialises concurrent `acd db init` runs (two containers starting at once).
_SCHEMA_LOCK_KEY = 0x0ACD_5C4E


class SchemaError(RuntimeError):
    """The schema file is missing, or the database is newer than this code."""


def schema_path() -> Path:
    """Where schema.sql is: ``$ACD_SCHEMA_FILE``, the source tree, or the working directory."""
    override = os.environ.get("ACD_SCHEMA_FILE")
    candidates = [Path(override)] if override else []
    candidates += [Path(__file__).resolve().parents[2] / "schema.sql", Path.cwd() / "schema.sql"]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise SchemaError(
        "schema.sql not found (looked at " + ", ".join(str(c) for c in candidates) + "); set ACD_SCHEMA_FILE"
    )


def database_name(dsn: str) -> str:
    """The database a libpq URI names (path or ``?dbname=``); libpq's default is the user name."""
    parts = urlsplit(dsn)
    query = parse_qs(parts.query)
    name = unquote(parts.path.lstrip("/")) or (query.get("dbname") or query.get("database") or [""])[0]
    if not name:
        name = unquote(parts.username or "") or os.environ.get("PGDATABASE", "") or "postgres"
    return name


def redact_dsn(dsn: str) -> str:
    """The DSN without its password, for error messages and logs."""
    parts = urlsplit(dsn)
    if parts.password is None:
        return dsn
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


async def _init_connection(conn: asyncpg.Connection) -> None:
    """jsonb in and out as Python objects (dicts and lists), for every connection we open."""
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def connect(dsn: str, *, connect_timeout: float = 10.0) -> asyncpg.Connection:
    """One connection (CLI commands, the outbox's writer), with our codecs."""
    conn = await asyncpg.connect(dsn, timeout=connect_timeout)
    try:
        await _init_connection(conn)
    except BaseException:
        conn.terminate()
        raise
    return conn


@asynccontextmanager
async def connection(dsn: str, *, connect_timeout: float = 10.0) -> AsyncIterator[asyncpg.Connection]:
    conn = await connect(dsn, connect_timeout=connect_timeout)
    try:
        yield conn
    finally:
        await conn.close(timeout=5.0)


async def create_pool(
    settings: DatabaseSettings, *, min_size: int = 1, command_timeout: float | None = 30.0
) -> asyncpg.Pool:
    """A pool for the web API and reports, bounded by ``database.pool_max_size``.

    The outbox does not use it: it owns one connection of its own, so a burst of reports can
    never starve the writes (and an outage of the pool cannot block the engine).
    """
    max_size = settings.pool_max_size
    return await asyncpg.create_pool(
        settings.dsn,
        min_size=min(min_size, max_size),
        max_size=max_size,
        command_timeout=command_timeout,
        init=_init_connection,
    )


async def ensure_database(dsn: str) -> bool:
    """Create the database the DSN names if it does not exist (connecting to ``postgres``).

    Returns True when it was created. Needs the CREATEDB privilege in that case only.
    """
    try:
        conn = await asyncpg.connect(dsn, timeout=10.0)
    except asyncpg.InvalidCatalogNameError:
        pass
    else:
        await conn.close()
        return False
    name = database_name(dsn)
    admin = await asyncpg.connect(dsn, database="postgres", timeout=10.0)
    try:
        quoted = '"' + name.replace('"', '""') + '"'
        await admin.execute(f"CREATE DATABASE {quoted}")
    except asyncpg.DuplicateDatabaseError:
        return False  # created by a concurrent `acd db init`
    finally:
        await admin.close()
    log.info("db.database_created", database=name)
    return True


async def current_version(conn: asyncpg.Connection) -> int | None:
    """The highest version recorded, or None when the schema was never applied."""
    exists = await conn.fetchval("SELECT to_regclass('cc_schema_version') IS NOT NULL")
    if not exists:
        return None
    version: int | None = await conn.fetchval("SELECT max(version) FROM cc_schema_version")
    return version


async def apply_schema(conn: asyncpg.Connection, sql: str | None = None) -> int:
    """Apply migrations then schema.sql in one transaction, under an advisory lock; the version."""
    script = sql if sql is not None else schema_path().read_text(encoding="utf-8")
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _SCHEMA_LOCK_KEY)
        before = await current_version(conn)
        if before is not None and before > SCHEMA_VERSION:
            raise SchemaError(
                f"the database has schema version {before}, newer than this acd's "
                f"({SCHEMA_VERSION}): upgrade acd"
            )
        if before is not None:
            for version in range(before + 1, SCHEMA_VERSION + 1):
                migration = MIGRATIONS.get(version)
                if migration:
                    await conn.execute(migration)
                    log.info("db.migrated", version=version)
        await conn.execute(script)
        await conn.execute(
            "INSERT INTO cc_schema_version (version, description) VALUES ($1, $2) "
            "ON CONFLICT (version) DO NOTHING",
            SCHEMA_VERSION,
            "recorded by acd db init",
        )
        after = await current_version(conn)
    assert after is not None
    log.info("db.schema_applied", version=after, previous=before)
    return after


async def init_schema(dsn: str) -> int:
    """``acd db init``: create the database if needed, apply the schema; the version recorded."""
    await ensure_database(dsn)
    async with connection(dsn) as conn:
        return await apply_schema(conn)


# ---------------------------------------------------------------- roster


@dataclass(frozen=True, slots=True)
class Roster:
    """What the engine is configured with from PostgreSQL (on top of the config file's)."""

    queues: list[QueueSettings]
    agents: list[AgentProfile]


#: The cc_queues columns that map one to one onto QueueSettings fields.
QUEUE_COLUMNS = (
    "name",
    "priority",
    "strategy",
    "ring_timeout",
    "wrapup_seconds",
    "require_disposition",
    "max_wait",
    "overflow",
    "max_length",
    "join_when_empty",
    "leave_when_empty",
    "moh_class",
    "exit_key",
    "service_level_seconds",
    "tiers",
)


def queue_from_row(row: Any) -> QueueSettings:
    return QueueSettings(**{column: row[column] for column in QUEUE_COLUMNS})


async def load_queues(conn: Any) -> list[QueueSettings]:
    """Every queue of ``cc_queues``; a row the model refuses is logged and skipped."""
    rows = await conn.fetch(f"SELECT {', '.join(QUEUE_COLUMNS)} FROM cc_queues ORDER BY name")
    queues: list[QueueSettings] = []
    for row in rows:
        try:
            queues.append(queue_from_row(row))
        except ValueError as exc:
            log.error("store.roster_queue_invalid", queue=row["name"], error=str(exc))
    return queues


async def load_agents(conn: Any, agent_ids: Sequence[str] | None = None) -> list[AgentProfile]:
    """Enabled agents with their skills, as the engine's :class:`AgentProfile` (PJSIP endpoint)."""
    rows = await conn.fetch(
        """
        SELECT a.agent_id, a.name, a.sip_username, a.wrapup_seconds,
               coalesce(jsonb_object_agg(m.queue, m.level) FILTER (WHERE m.queue IS NOT NULL), '{}')
                   AS skills
        FROM cc_agents a
        LEFT JOIN cc_queue_members m ON m.agent_id = a.agent_id
        WHERE a.enabled AND ($1::text[] IS NULL OR a.agent_id = ANY($1::text[]))
        GROUP BY a.id
        ORDER BY a.agent_id
        """,
        list(agent_ids) if agent_ids is not None else None,
    )
    return [
        AgentProfile(
            agent_id=row["agent_id"],
            name=row["name"] or row["agent_id"],
            endpoint=f"PJSIP/{row['sip_username']}",
            skills={queue: int(level) for queue, level in row["skills"].items()},
            wrapup_override=row["wrapup_seconds"],
        )
        for row in rows
    ]


async def load_roster(pool: Any) -> Roster:
    """Queues and enabled agents from PostgreSQL, for ``Daemon(extra_queues=, extra_agents=)``.

    ``pool`` is an asyncpg pool or connection (anything with ``fetch``).
    """
    return Roster(queues=await load_queues(pool), agents=await load_agents(pool))

"""The schema: idempotent, versioned, and refusing rows the engine could never produce."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import pytest

from acd.store import db
from tests.store.conftest import drop_database, dsn_for


async def test_schema_applies_twice_and_records_its_version(conn: Any) -> None:
    assert await db.apply_schema(conn) == db.SCHEMA_VERSION
    assert await db.apply_schema(conn) == db.SCHEMA_VERSION
    rows = await conn.fetch("SELECT version FROM cc_schema_version")
    assert [r["version"] for r in rows] == [db.SCHEMA_VERSION]


async def test_init_schema_creates_the_missing_database(pg_admin: asyncpg.Connection) -> None:
    name = f"acd_test_init_{uuid.uuid4().hex[:10]}"
    try:
        assert await db.init_schema(dsn_for(name)) == db.SCHEMA_VERSION
        assert await db.init_schema(dsn_for(name)) == db.SCHEMA_VERSION  # and again: no-op
        async with db.connection(dsn_for(name)) as conn:
            assert await db.current_version(conn) == db.SCHEMA_VERSION
    finally:
        await drop_database(pg_admin, name)


async def test_a_database_newer_than_the_code_is_refused(conn: Any) -> None:
    await conn.execute("INSERT INTO cc_schema_version (version) VALUES ($1)", db.SCHEMA_VERSION + 1)
    with pytest.raises(db.SchemaError, match="newer"):
        await db.apply_schema(conn)


def test_database_name_comes_from_the_dsn() -> None:
    assert db.database_name("postgresql://u:p@h:5432/acd") == "acd"
    assert db.database_name("postgresql://u@h/?dbname=x") == "x"
    assert db.database_name("postgresql://bob@h") == "bob"
    assert db.redact_dsn("postgresql://u:s3cret@h/acd") == "postgresql://u:***@h/acd"


# One database for all the cases: each runs in its own transaction, rolled back by the refusal.
IMPOSSIBLE_ROWS = [
    # a call can't end before it started
    (
        "INSERT INTO cc_calls (call_id, version, direction, state, end_reason, started_at, ended_at) "
        "VALUES ('c1', 1, 'inbound', 'ended', 'abandoned', now(), now() - interval '1 second')",
        "cc_calls_ended_after_start",
    ),
    # an ended call has an end reason, and only the engine's reasons exist
    (
        "INSERT INTO cc_calls (call_id, version, direction, state, started_at, ended_at) "
        "VALUES ('c1', 1, 'inbound', 'ended', now(), now())",
        "cc_calls_end_reason_when_ended",
    ),
    (
        "INSERT INTO cc_calls (call_id, version, direction, state, end_reason, started_at, ended_at) "
        "VALUES ('c1', 1, 'inbound', 'ended', 'hung-up', now(), now())",
        "cc_calls_end_reason_check",
    ),
    # durations are never negative
    (
        "INSERT INTO cc_calls (call_id, version, direction, state, started_at, wait_seconds) "
        "VALUES ('c1', 1, 'inbound', 'queued', now(), -1)",
        "cc_calls_wait_seconds_check",
    ),
    (
        "INSERT INTO cc_calls (call_id, version, direction, state, started_at) "
        "VALUES ('c1', 1, 'sideways', 'queued', now())",
        "cc_calls_direction_check",
    ),
    # an enabled agent needs SIP credentials; roles are a closed list
    ("INSERT INTO cc_agents (agent_id) VALUES ('bob')", "cc_agents_enabled_has_sip"),
    (
        "INSERT INTO cc_agents (agent_id, enabled, role) VALUES ('bob', false, 'root')",
        "cc_agents_role_check",
    ),
    (
        "INSERT INTO cc_agents (agent_id, enabled, password_hash) VALUES ('bob', false, 'md5abc')",
        "cc_agents_password_hash_check",
    ),
    # skill levels start at 1
    (
        "INSERT INTO cc_queues (name) VALUES ('q');"
        "INSERT INTO cc_agents (agent_id, enabled) VALUES ('a', false);"
        "INSERT INTO cc_queue_members (agent_id, queue, level) VALUES ('a', 'q', 0)",
        "cc_queue_members_level_check",
    ),
    ("INSERT INTO cc_queues (name, ring_timeout) VALUES ('q', 0)", "cc_queues_ring_timeout_check"),
    ("INSERT INTO cc_queues (name, strategy) VALUES ('q', 'loudest')", "cc_queues_strategy_check"),
    ("INSERT INTO cc_customers (number) VALUES ('call me')", "cc_customers_number_check"),
    # agent states are the state machine's
    (
        "INSERT INTO cc_agents (agent_id, enabled) VALUES ('a', false);"
        'INSERT INTO cc_agent_activities (event_id, agent_id, from_state, to_state, "timestamp") '
        "VALUES ('e', 'a', 'ready', 'napping', now())",
        "cc_agent_activities_to_state_check",
    ),
    (
        "INSERT INTO cc_agents (agent_id, enabled) VALUES ('a', false);"
        'INSERT INTO cc_agent_activities (event_id, agent_id, from_state, to_state, "timestamp") '
        "VALUES ('e', 'a', 'ready', 'not-ready', now())",
        "cc_agent_activities_not_ready_reason",
    ),
]


async def test_impossible_rows_are_refused(conn: Any) -> None:
    refused = []
    for sql, _ in IMPOSSIBLE_ROWS:
        try:
            async with conn.transaction():
                await conn.execute(sql)
        except asyncpg.CheckViolationError as exc:
            refused.append(exc.constraint_name)
        else:
            refused.append(None)
    assert refused == [constraint for _, constraint in IMPOSSIBLE_ROWS]


async def test_call_events_are_append_only(conn: Any) -> None:
    await conn.execute(
        'INSERT INTO cc_call_events (event_id, call_id, event_type, "timestamp") '
        "VALUES ('e1', 'c1', 'ended', now())"
    )
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await conn.execute("UPDATE cc_call_events SET event_type = 'answered'")
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await conn.execute("DELETE FROM cc_call_events")
    # A retention job says so explicitly.
    async with conn.transaction():
        await conn.execute("SET LOCAL acd.allow_purge = 'on'")
        assert await conn.execute("DELETE FROM cc_call_events") == "DELETE 1"

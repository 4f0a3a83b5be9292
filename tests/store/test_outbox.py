"""The outbox: exactly once, idempotent replays, versions that only move forward, bad records set aside."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from acd.config import DatabaseSettings
from acd.engine.effects import AgentActivityRecord, CallEventRecord, CallRecord
from acd.metrics import Metrics
from acd.store.journal import Record
from acd.store.outbox import Outbox
from tests.store.factories import a_call_stream, activity, call, ended_call, event


def written(metrics: Metrics, table: str) -> float:
    value = metrics.registry.get_sample_value("acd_records_written_total", {"table": table})
    return value or 0.0


def gauge(metrics: Metrics, name: str) -> float:
    value = metrics.registry.get_sample_value(name)
    assert value is not None
    return value


async def table_counts(conn: Any) -> tuple[int, int, int]:
    return (
        await conn.fetchval("SELECT count(*) FROM cc_call_events"),
        await conn.fetchval("SELECT count(*) FROM cc_agent_activities"),
        await conn.fetchval("SELECT count(*) FROM cc_calls"),
    )


async def test_records_land_exactly_once(conn: Any, db_settings: DatabaseSettings, metrics: Metrics) -> None:
    records = a_call_stream(100)
    async with Outbox(db_settings, metrics) as outbox:
        for record in records:
            outbox.submit(record)
        # The gauge is read at scrape time: exact before the writer has run at all.
        assert gauge(metrics, "acd_outbox_backlog") == len(records)
        assert await outbox.drain(within=10)
        assert outbox.db_up
    assert await table_counts(conn) == (400, 300, 100)
    assert written(metrics, "cc_call_events") == 400
    assert written(metrics, "cc_agent_activities") == 300
    assert gauge(metrics, "acd_outbox_backlog") == 0
    assert gauge(metrics, "acd_database_up") == 1
    row = await conn.fetchrow("SELECT * FROM cc_calls WHERE call_id = 'chan-7'")
    assert row["version"] == 3 and row["state"] == "ended" and row["talk_seconds"] == 27.0
    assert row["answered_at"].timestamp() == 1_700_000_000.0 + 7 + 3
    data = await conn.fetchval(
        "SELECT data FROM cc_call_events WHERE call_id = 'chan-7' AND event_type = 'answered'"
    )
    assert data == {"wait": 3.0, "leg_id": "leg-7"}


async def test_replays_change_nothing_and_only_a_higher_version_updates_a_call(
    conn: Any, db_settings: DatabaseSettings, metrics: Metrics
) -> None:
    first: list[Record] = [
        event("c1", "entered-queue", 1000.0, event_id="e1"),
        activity("alice", "logged-out", "not-ready", 999.0, reason="login", event_id="a1"),
        ended_call("c1", 3, agent_id="alice"),
    ]
    async with Outbox(db_settings, metrics) as outbox:
        for record in first:
            outbox.submit(record)
        assert await outbox.drain(within=10)
        before = await conn.fetchrow("SELECT * FROM cc_calls WHERE call_id = 'c1'")
        # The same records again, and an older version of the call (a late or replayed write).
        for record in first:
            outbox.submit(record)
        outbox.submit(call("c1", 2, state="connected", agent_id="alice"))
        outbox.submit(call("c1", 3, state="connected", agent_id="alice"))  # same version: no change
        assert await outbox.drain(within=10)
        assert await table_counts(conn) == (1, 1, 1)
        assert await conn.fetchrow("SELECT * FROM cc_calls WHERE call_id = 'c1'") == before
        # A higher version does update it.
        outbox.submit(ended_call("c1", 4, agent_id="alice", disposition="sale", wrapup_seconds=12.5))
        assert await outbox.drain(within=10)
    after = await conn.fetchrow(
        "SELECT version, disposition, wrapup_seconds FROM cc_calls WHERE call_id = 'c1'"
    )
    assert tuple(after) == (4, "sale", 12.5)
    # Rows changed, not records seen: 3 call writes of which 2 changed the row.
    assert written(metrics, "cc_calls") == 2
    assert written(metrics, "cc_call_events") == 1


async def test_an_agent_missing_from_cc_agents_gets_a_disabled_placeholder(
    conn: Any, db_settings: DatabaseSettings, metrics: Metrics
) -> None:
    async with Outbox(db_settings, metrics) as outbox:
        outbox.submit(activity("static1", "logged-out", "not-ready", 1000.0, reason="login"))
        outbox.submit(ended_call("c1", 1, agent_id="static2"))
        assert await outbox.drain(within=10)
    rows = await conn.fetch(
        "SELECT agent_id, enabled, placeholder, sip_username, password_hash FROM cc_agents"
    )
    assert sorted(tuple(r) for r in rows) == [
        ("static1", False, True, None, None),
        ("static2", False, True, None, None),
    ]
    assert await table_counts(conn) == (0, 1, 1)


async def test_cc_agents_state_follows_the_last_activity_of_a_batch(
    conn: Any, db_settings: DatabaseSettings, metrics: Metrics
) -> None:
    """New placeholders take their state in the statement that makes them; existing rows are
    updated; an agent named only by a call keeps its state."""
    await conn.execute(
        "INSERT INTO cc_agents (agent_id, enabled, placeholder, state) VALUES ('old', false, true, 'ready')"
    )
    async with Outbox(db_settings, metrics) as outbox:
        outbox.submit(activity("new", "logged-out", "not-ready", 1000.0, reason="login", event_id="a1"))
        outbox.submit(activity("new", "not-ready", "ready", 1001.0, event_id="a2"))
        outbox.submit(activity("old", "ready", "offered", 1001.0, event_id="a3"))
        outbox.submit(ended_call("c1", 1, agent_id="only-a-call"))
        assert await outbox.drain(within=10)
    states = dict(await conn.fetch("SELECT agent_id, state FROM cc_agents"))
    assert states == {"new": "ready", "old": "offered", "only-a-call": "logged-out"}
    assert written(metrics, "cc_agent_activities") == 3


async def test_a_call_is_linked_to_the_crm_customer_of_its_number(
    conn: Any, db_settings: DatabaseSettings, metrics: Metrics
) -> None:
    customer = await conn.fetchval(
        "INSERT INTO cc_customers (number, name) VALUES ('+15550100', 'Ann') RETURNING id"
    )
    async with Outbox(db_settings, metrics) as outbox:
        outbox.submit(call("c1", 1, caller_number="+1 555-0100"))
        outbox.submit(call("c2", 1, caller_number="anonymous"))
        assert await outbox.drain(within=10)
    rows = await conn.fetch("SELECT call_id, customer_id FROM cc_calls ORDER BY call_id")
    assert [tuple(r) for r in rows] == [("c1", customer), ("c2", None)]


async def test_an_invalid_record_is_set_aside_without_blocking_the_others(
    conn: Any, db_settings: DatabaseSettings, metrics: Metrics, journal_dir: Path
) -> None:
    bad = call("bad", 1, state="ended", ended_at=900.0, end_reason="abandoned")  # ended before it started
    async with Outbox(db_settings, metrics) as outbox:
        outbox.submit(event("c1", "entered-queue", 1000.0))
        outbox.submit(bad)
        outbox.submit(call("good", 1))
        assert await outbox.drain(within=10)
        assert outbox.stats.rejected == 1
    assert await table_counts(conn) == (1, 0, 1)
    kept = [json.loads(line) for line in (journal_dir / "rejected.jsonl").read_text().splitlines()]
    assert kept[0]["record"]["r"]["call_id"] == "bad"
    assert "cc_calls_ended_after_start" in kept[0]["error"]


async def test_batches_follow_batch_size(conn: Any, dsn: str, journal_dir: Path, metrics: Metrics) -> None:
    settings = DatabaseSettings(dsn=dsn, journal_dir=journal_dir, batch_size=7, flush_interval=5.0)
    async with Outbox(settings, metrics) as outbox:
        for i in range(7):
            outbox.submit(event(f"c{i}", "entered-queue", 1000.0 + i))
        # A full batch goes at once, long before the 5 s flush interval.
        assert await outbox.drain(within=2)
        outbox.submit(event("late", "entered-queue", 2000.0))
    # close() flushes the partial batch.
    assert await conn.fetchval("SELECT count(*) FROM cc_call_events") == 8


def test_record_types_are_the_engines() -> None:
    # The journal and the writer handle exactly these three (acd.engine.effects.Record).
    assert {CallRecord, CallEventRecord, AgentActivityRecord} == {
        type(call("c", 1)),
        type(event("c", "ended", 1.0)),
        type(activity("a", "ready", "offered", 1.0)),
    }


async def test_awkward_values_land_exactly_as_the_engine_made_them(
    conn: Any, db_settings: DatabaseSettings, metrics: Metrics
) -> None:
    """A batch travels as one JSON text: floats, NULLs, quotes, backslashes, non-ASCII text and
    nested data must come out as if each value had been sent as its own typed parameter."""
    at = 1764130000.123457
    name = 'Zoë "O\'Brien" \\ <+33> \u2603'
    record = call(
        "awk",
        1764130000123457,
        started_at=at,
        state="ended",
        agent_id="ag-awk",
        caller_name=name,
        answered_at=at + 0.1 + 0.2,
        ended_at=at + 61.000001,
        wait_seconds=0.1 + 0.2,
        talk_seconds=60.9,
        hold_seconds=0.0,
        duration=61.0,
        end_reason="completed-by-caller",
    )
    async with Outbox(db_settings, metrics) as outbox:
        outbox.submit(event("awk", "offered", at, agent_id="ag-awk", note=name, nested={"n": [1, None, 2.5]}))
        outbox.submit(activity("ag-awk", "ready", "offered", at + 1e-6, reason=None, call_id="awk"))
        outbox.submit(record)
        assert await outbox.drain(within=10)
        assert outbox.stats.rejected == 0
    row = await conn.fetchrow(
        "SELECT *, started_at = to_timestamp($1::float8) AS started_ok,"
        " answered_at = to_timestamp($2::float8) AS answered_ok FROM cc_calls WHERE call_id = 'awk'",
        at,
        at + 0.1 + 0.2,
    )
    assert row["version"] == 1764130000123457 and row["caller_name"] == name
    assert row["started_ok"] and row["answered_ok"]
    assert row["wait_seconds"] == 0.1 + 0.2 and row["talk_seconds"] == 60.9 and row["queue"] == "support"
    assert row["disposition"] is None and row["transferred_from"] is None
    stored = await conn.fetchrow(
        'SELECT data, "timestamp" = to_timestamp($1::float8) AS at_ok'
        " FROM cc_call_events WHERE call_id = 'awk'",
        at,
    )
    assert stored["at_ok"] and stored["data"] == {"note": name, "nested": {"n": [1, None, 2.5]}}
    activity_row = await conn.fetchrow(
        "SELECT reason, metadata FROM cc_agent_activities WHERE agent_id = 'ag-awk'"
    )
    assert activity_row["reason"] is None and activity_row["metadata"] == {"call_id": "awk"}

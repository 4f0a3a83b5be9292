"""PostgreSQL goes away mid-run: nothing is lost, nothing is written twice, order is kept."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import asyncpg
import structlog

from acd.config import DatabaseSettings
from acd.engine.effects import AgentActivityRecord, CallEventRecord, CallRecord
from acd.metrics import Metrics
from acd.store import db
from acd.store.journal import Journal, encode
from acd.store.outbox import Outbox
from tests.store.factories import a_call_stream, event


def fast_outbox(settings: DatabaseSettings, metrics: Metrics) -> Outbox:
    return Outbox(settings, metrics, retry_min_delay=0.05, retry_max_delay=0.2, connect_timeout=2.0)


async def cut_off(admin: asyncpg.Connection, name: str) -> None:
    """Refuse new connections to the database and kill every existing one."""
    await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
    await admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = $1 AND pid <> pg_backend_pid()",
        name,
    )


async def restore(admin: asyncpg.Connection, name: str) -> None:
    await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


def sample(metrics: Metrics, name: str, labels: dict[str, str] | None = None) -> float:
    return metrics.registry.get_sample_value(name, labels or {}) or 0.0


def segments(journal_dir: Path) -> list[str]:
    return sorted(p.name for p in journal_dir.glob("seg-*.jsonl")) if journal_dir.exists() else []


async def assert_exactly(dsn: str, records: list[Any]) -> None:
    """Every submitted record is in its table once, in submission order, calls at their last version."""
    events = [r.event_id for r in records if isinstance(r, CallEventRecord)]
    activities = [r.event_id for r in records if isinstance(r, AgentActivityRecord)]
    versions: dict[str, int] = {}
    for r in records:
        if isinstance(r, CallRecord):
            versions[r.call_id] = max(r.version, versions.get(r.call_id, 0))
    async with db.connection(dsn) as conn:
        stored_events = [r[0] for r in await conn.fetch("SELECT event_id FROM cc_call_events ORDER BY id")]
        stored_acts = [r[0] for r in await conn.fetch("SELECT event_id FROM cc_agent_activities ORDER BY id")]
        stored_calls = {
            r["call_id"]: r["version"] for r in await conn.fetch("SELECT call_id, version FROM cc_calls")
        }
    assert stored_events == events  # same ids, once each, and in the order they were submitted
    assert stored_acts == activities
    assert stored_calls == versions


async def test_outage_mid_run_loses_nothing_and_duplicates_nothing(
    pg_admin: asyncpg.Connection,
    db_name: str,
    dsn: str,
    db_settings: DatabaseSettings,
    metrics: Metrics,
    journal_dir: Path,
) -> None:
    records = a_call_stream(400)  # 4000 records: events, activities, three versions of each call
    third = len(records) // 3
    outage_started = asyncio.Event()
    outage_over = asyncio.Event()

    async def produce(outbox: Outbox) -> None:
        for i, record in enumerate(records):
            outbox.submit(record)
            if i % 10 == 0:
                await asyncio.sleep(0.001)  # the engine's pace: records arrive while the writer works
            if i == third:
                outage_started.set()
            if i == 2 * third:
                await outage_over.wait()  # keep part of the run for after the recovery

    async with fast_outbox(db_settings, metrics) as outbox:
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(produce(outbox))
            await outage_started.wait()
            assert sample(metrics, "acd_records_written_total", {"table": "cc_call_events"}) > 0
            await cut_off(pg_admin, db_name)
            # Records keep coming; the outbox notices, journals them and retries.
            for _ in range(200):
                await asyncio.sleep(0.02)
                if sample(metrics, "acd_outbox_journal_bytes") > 0 and not outbox.db_up:
                    break
            await asyncio.sleep(0.5)
            assert not outbox.db_up
            assert sample(metrics, "acd_database_up") == 0
            assert sample(metrics, "acd_outbox_journal_bytes") > 0
            assert sample(metrics, "acd_outbox_backlog") > 0
            assert segments(journal_dir)
            await restore(pg_admin, db_name)
            outage_over.set()
        assert await outbox.drain(within=20)
        assert outbox.stats.outages >= 1 and outbox.stats.spilled > 0
        assert outbox.stats.replayed == outbox.stats.spilled  # every journaled record went back in
        assert outbox.db_up

    await assert_exactly(dsn, records)
    assert segments(journal_dir) == []
    assert sample(metrics, "acd_outbox_backlog") == 0
    assert sample(metrics, "acd_outbox_journal_bytes") == 0
    assert sample(metrics, "acd_database_up") == 1


async def test_close_during_an_outage_journals_everything_and_the_next_start_replays_it(
    pg_admin: asyncpg.Connection, db_name: str, dsn: str, db_settings: DatabaseSettings, journal_dir: Path
) -> None:
    records = a_call_stream(50)
    before, during = records[:200], records[200:]
    first_metrics = Metrics()
    outbox = fast_outbox(db_settings, first_metrics)
    await outbox.start()
    for record in before:
        outbox.submit(record)
    assert await outbox.drain(within=10)
    await cut_off(pg_admin, db_name)
    for record in during:
        outbox.submit(record)
    await outbox.close()  # SIGTERM while PostgreSQL is away
    journal = Journal(journal_dir)
    journal.scan()
    assert journal.records == len(during)
    assert sample(first_metrics, "acd_outbox_backlog") == len(during)

    await restore(pg_admin, db_name)
    second_metrics = Metrics()
    async with fast_outbox(db_settings, second_metrics) as second:
        assert second.backlog == len(during)  # the journal is counted before it is replayed
        late = event("after-restart", "entered-queue", 2e9)
        second.submit(late)
        assert await second.drain(within=10)
        assert second.stats.replayed == len(during)
    await assert_exactly(dsn, [*records, late])
    async with db.connection(dsn) as conn:
        # The live record came after the whole journal.
        last = await conn.fetchval("SELECT call_id FROM cc_call_events ORDER BY id DESC LIMIT 1")
    assert last == "after-restart"
    assert segments(journal_dir) == []
    assert sample(second_metrics, "acd_outbox_backlog") == 0


async def test_start_while_postgresql_is_down_accepts_and_catches_up(
    pg_admin: asyncpg.Connection, db_name: str, dsn: str, db_settings: DatabaseSettings, metrics: Metrics
) -> None:
    records = a_call_stream(20)
    await cut_off(pg_admin, db_name)
    async with fast_outbox(db_settings, metrics) as outbox:
        for record in records:
            outbox.submit(record)
        await asyncio.sleep(0.3)
        assert not outbox.db_up and outbox.backlog == len(records)
        await restore(pg_admin, db_name)
        assert await outbox.drain(within=10)
    await assert_exactly(dsn, records)


async def test_a_torn_last_journal_line_is_skipped_and_counted_keeping_the_lines_before_it(
    dsn: str, db_settings: DatabaseSettings, metrics: Metrics, journal_dir: Path
) -> None:
    records = a_call_stream(5)
    journal = Journal(journal_dir)
    journal.scan()
    journal.append(records)
    # A crash in the middle of the next append: half a line, no newline.
    torn = encode(event("torn", "entered-queue", 1.0))[:37]
    path = journal.segments[-1].path
    with path.open("ab") as handle:
        handle.write(torn.encode())
        os.fsync(handle.fileno())
    with structlog.testing.capture_logs() as logs:
        async with fast_outbox(db_settings, metrics) as outbox:
            assert outbox.backlog == len(records) + 1
            assert await outbox.drain(within=10)
            assert outbox.stats.torn_lines == 1
    await assert_exactly(dsn, records)
    torn_logs = [e for e in logs if e["event"] == "outbox.journal_torn_line"]
    assert torn_logs == [
        {
            "event": "outbox.journal_torn_line",
            "segment": path.name,
            "line": len(records) + 1,
            "log_level": "warning",
        }
    ]
    assert segments(journal_dir) == []

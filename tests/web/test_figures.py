"""Figures from PostgreSQL: an agent's day, today's queue figures, reports; and a database outage."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

from acd.store import db
from acd.store.db import create_pool
from acd.web.api_agent import start_of_today

from .conftest import Stack


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


async def add_activity(
    conn: Any, agent: str, from_state: str, to_state: str, when: float, reason: str | None = None
) -> None:
    await conn.execute(
        'INSERT INTO cc_agent_activities (event_id, agent_id, from_state, to_state, reason, "timestamp") '
        "VALUES ($1, $2, $3, $4, $5, $6)",
        uuid.uuid4().hex,
        agent,
        from_state,
        to_state,
        reason,
        at(when),
    )


async def add_event(
    conn: Any, call: str, kind: str, when: float, agent: str | None = None, **data: Any
) -> None:
    await conn.execute(
        'INSERT INTO cc_call_events (event_id, call_id, event_type, "timestamp", queue, agent_id, data) '
        "VALUES ($1, $2, $3, $4, 'support', $5, $6)",
        uuid.uuid4().hex,
        call,
        kind,
        at(when),
        agent,
        data,
    )


def day_window() -> tuple[float, float]:
    """A stretch of today that has already passed (short just after midnight)."""
    now = time.time()
    span = min(1000.0, now - start_of_today().timestamp() - 1.0)
    return now - span, span


async def test_my_stats_are_today_s_own_figures(stack: Stack) -> None:
    t0, span = day_window()
    u = span / 100  # a time unit that fits in today
    async with db.connection(stack.settings.database.dsn) as conn:
        await add_activity(conn, "agent1", "logged-out", "not-ready", t0, "login")
        await add_activity(conn, "agent1", "not-ready", "ready", t0 + 10 * u)
        await add_activity(conn, "agent1", "ready", "offered", t0 + 30 * u)
        await add_activity(conn, "agent1", "offered", "on-call", t0 + 31 * u)
        await add_activity(conn, "agent1", "on-call", "on-hold", t0 + 41 * u)
        await add_activity(conn, "agent1", "on-hold", "on-call", t0 + 46 * u)
        await add_activity(conn, "agent1", "on-call", "wrap-up", t0 + 51 * u)
        await add_activity(conn, "agent1", "wrap-up", "not-ready", t0 + 55 * u, "break")
        await add_activity(conn, "agent1", "not-ready", "logged-out", t0 + 60 * u)
        await add_event(conn, "c1", "offered", t0 + 30 * u, "agent1", leg_id="l1")
        await add_event(conn, "c1", "answered", t0 + 31 * u, "agent1", leg_id="l1", wait=3.0)
        await add_event(conn, "c2", "offered", t0 + 20 * u, "agent1", leg_id="l2")
        await add_event(conn, "c2", "rang-out", t0 + 25 * u, "agent1", leg_id="l2")
        await add_activity(conn, "agent2", "logged-out", "not-ready", t0, "login")
    browser = await stack.logged_in("agent1")
    answer = await browser.get("/api/me/stats")
    assert answer.status == 200
    stats = answer.body
    assert (stats["answered"], stats["missed"]) == (1, 1)
    assert abs(stats["talk_seconds"] - 15 * u) < 0.01
    assert abs(stats["hold_seconds"] - 5 * u) < 0.01
    assert abs(stats["wrapup_seconds"] - 4 * u) < 0.01
    assert abs(stats["aht"] - 24 * u) < 0.01
    assert abs(stats["ready_seconds"] - 20 * u) < 0.01
    assert abs(stats["not_ready_seconds"] - 15 * u) < 0.01


async def test_queues_add_today_s_answered_abandoned_and_service_level(stack: Stack) -> None:
    t0, span = day_window()
    u = span / 100
    async with db.connection(stack.settings.database.dsn) as conn:
        for call, outcome, wait in (
            ("q1", "answered", 5.0),
            ("q2", "abandoned", 30.0),
            ("q3", "answered", 25.0),
        ):
            await add_event(conn, call, "entered-queue", t0 + u)
            await add_event(conn, call, outcome, t0 + 2 * u, wait=wait)
    supervisor = await stack.logged_in("sup1")
    answer = await supervisor.get("/api/queues")
    assert answer.status == 200
    [queue] = answer.body["queues"]
    assert queue["queue"] == "support" and queue["waiting"] == 0
    assert (queue["answered"], queue["abandoned"]) == (2, 1)
    assert abs(queue["service_level"] - 1 / 3) < 1e-9  # A_T / (O - Ab_s) with T = 20 s

    rows = (await supervisor.get(f"/api/reports/queues?queue=support&from={t0 - 10}&interval=1d")).body[
        "rows"
    ]
    assert len(rows) == 1 and rows[0]["offered"] == 3 and rows[0]["answered"] == 2
    assert isinstance(rows[0]["interval_start"], float)
    agents = await supervisor.get("/api/reports/agents?interval=1h")
    assert agents.status == 200 and isinstance(agents.body["rows"], list)
    bad = await supervisor.get("/api/reports/queues?interval=7x")
    assert bad.status == 400 and "interval" in bad.body["error"]["message"]
    bad = await supervisor.get("/api/reports/agents?from=yesterday")
    assert bad.status == 400


async def test_a_database_outage_gives_503_where_it_is_needed_and_nothing_else_stops(stack: Stack) -> None:
    browser = await stack.logged_in("agent1")
    supervisor = await stack.logged_in("sup1")
    dead = await create_pool(
        stack.settings.database.model_copy(update={"dsn": "postgresql://postgres@127.0.0.1:1/x"}), min_size=0
    )
    stack.deps.pool = dead
    try:
        for path in ("/api/me/stats", "/api/me/sip", "/api/reports/queues"):
            answer = await (supervisor if "reports" in path else browser).get(path)
            assert answer.status == 503, path
            assert answer.body["error"]["code"] == "database-unavailable"
        # Engine-side endpoints keep working.
        assert (await browser.post("/api/me/login")).status == 200
        assert (await browser.post("/api/me/ready")).status == 200
        me = await browser.get("/api/me")
        assert me.status == 200 and me.body["config"]["dispositions"] == []
        queues = await supervisor.get("/api/queues")
        assert queues.status == 200
        assert queues.body["queues"][0]["answered"] is None
        assert queues.body["queues"][0]["agents"]["ready"] == 1
        # Logging in needs the passwords, which are in the database.
        assert (await stack.browser().login("agent2")).status == 503
    finally:
        await dead.close()

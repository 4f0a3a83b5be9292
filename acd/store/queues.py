"""Queues, memberships and disposition codes in PostgreSQL (admin CLI and web API).

A queue is validated by the same model the engine is configured with
(:class:`acd.config.QueueSettings`), so a row the engine would refuse never gets in.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from acd.config import QueueSettings
from acd.store.agents import StoreError
from acd.store.db import QUEUE_COLUMNS, queue_from_row


def _values(queue: QueueSettings) -> list[Any]:
    data = queue.model_dump(mode="json")
    return [data[c] for c in QUEUE_COLUMNS]


async def _check_overflow(conn: Any, queue: QueueSettings, config_queues: set[str]) -> None:
    if queue.overflow and queue.overflow.startswith("queue:"):
        target = queue.overflow.removeprefix("queue:")
        if target == queue.name:
            raise StoreError(f"queue {queue.name!r} cannot overflow to itself", exit_code=2)
        exists = await conn.fetchval("SELECT 1 FROM cc_queues WHERE name = $1", target)
        if exists is None and target not in config_queues:
            raise StoreError(f"queue {queue.name!r} overflows to unknown queue {target!r}")


async def add_queue(conn: Any, queue: QueueSettings, *, config_queues: set[str] | None = None) -> None:
    await _check_overflow(conn, queue, config_queues or set())
    placeholders = ", ".join(f"${i}" for i in range(1, len(QUEUE_COLUMNS) + 1))
    try:
        await conn.execute(
            f"INSERT INTO cc_queues ({', '.join(QUEUE_COLUMNS)}) VALUES ({placeholders})", *_values(queue)
        )
    except asyncpg.UniqueViolationError as exc:
        raise StoreError(f"queue {queue.name!r} already exists") from exc


async def get_queue(conn: Any, name: str) -> QueueSettings:
    row = await conn.fetchrow(f"SELECT {', '.join(QUEUE_COLUMNS)} FROM cc_queues WHERE name = $1", name)
    if row is None:
        raise StoreError(f"unknown queue {name!r}")
    return queue_from_row(row)


async def update_queue(conn: Any, queue: QueueSettings, *, config_queues: set[str] | None = None) -> None:
    await _check_overflow(conn, queue, config_queues or set())
    assignments = ", ".join(f"{c} = ${i}" for i, c in enumerate(QUEUE_COLUMNS, start=1) if c != "name")
    status = await conn.execute(f"UPDATE cc_queues SET {assignments} WHERE name = $1", *_values(queue))
    if status == "UPDATE 0":
        raise StoreError(f"unknown queue {queue.name!r}")


async def list_queues(conn: Any) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"""
        SELECT {", ".join("q." + c for c in QUEUE_COLUMNS)},
               (SELECT count(*) FROM cc_queue_members m WHERE m.queue = q.name) AS members
        FROM cc_queues q ORDER BY q.name
        """
    )
    return [dict(row) for row in rows]


async def _require(conn: Any, queue: str, agent_id: str) -> None:
    if await conn.fetchval("SELECT 1 FROM cc_queues WHERE name = $1", queue) is None:
        raise StoreError(f"unknown queue {queue!r}")
    if await conn.fetchval("SELECT 1 FROM cc_agents WHERE agent_id = $1", agent_id) is None:
        raise StoreError(f"unknown agent {agent_id!r}")


async def add_member(conn: Any, queue: str, agent_id: str, level: int = 1) -> int | None:
    """Make the agent a member at ``level``; the previous level if it already was one (updated)."""
    if level < 1:
        raise StoreError("levels start at 1", exit_code=2)
    await _require(conn, queue, agent_id)
    async with conn.transaction():
        previous: int | None = await conn.fetchval(
            "SELECT level FROM cc_queue_members WHERE queue = $1 AND agent_id = $2 FOR UPDATE",
            queue,
            agent_id,
        )
        await conn.execute(
            """
            INSERT INTO cc_queue_members (agent_id, queue, level) VALUES ($1, $2, $3)
            ON CONFLICT (agent_id, queue) DO UPDATE SET level = EXCLUDED.level
            """,
            agent_id,
            queue,
            level,
        )
    return previous


async def remove_member(conn: Any, queue: str, agent_id: str) -> None:
    await _require(conn, queue, agent_id)
    status = await conn.execute(
        "DELETE FROM cc_queue_members WHERE queue = $1 AND agent_id = $2", queue, agent_id
    )
    if status == "DELETE 0":
        raise StoreError(f"agent {agent_id!r} is not a member of queue {queue!r}")


async def members(conn: Any, queue: str) -> list[tuple[str, int]]:
    rows = await conn.fetch(
        "SELECT agent_id, level FROM cc_queue_members WHERE queue = $1 ORDER BY level, agent_id", queue
    )
    return [(r["agent_id"], r["level"]) for r in rows]


# ---------------------------------------------------------------- dispositions


async def add_disposition(conn: Any, code: str, label: str, queue: str | None) -> None:
    if queue is not None and await conn.fetchval("SELECT 1 FROM cc_queues WHERE name = $1", queue) is None:
        raise StoreError(f"unknown queue {queue!r}")
    try:
        await conn.execute(
            "INSERT INTO cc_dispositions (code, label, queue) VALUES ($1, $2, $3)", code, label, queue
        )
    except asyncpg.UniqueViolationError as exc:
        where = f"queue {queue!r}" if queue else "every queue"
        raise StoreError(f"disposition {code!r} already exists for {where}") from exc
    except asyncpg.CheckViolationError as exc:
        raise StoreError(
            f"invalid disposition code {code!r}: 1-64 letters, digits, '_', '.', ':', '-'", exit_code=2
        ) from exc


async def remove_disposition(conn: Any, code: str, queue: str | None) -> None:
    status = await conn.execute(
        "DELETE FROM cc_dispositions WHERE code = $1 AND queue IS NOT DISTINCT FROM $2", code, queue
    )
    if status == "DELETE 0":
        raise StoreError(f"no disposition {code!r} for {'queue ' + repr(queue) if queue else 'every queue'}")


async def list_dispositions(conn: Any, queue: str | None = None) -> list[dict[str, Any]]:
    """Codes for one queue (its own and the global ones), or all of them."""
    rows = await conn.fetch(
        """
        SELECT code, label, queue FROM cc_dispositions
        WHERE $1::text IS NULL OR queue IS NULL OR queue = $1
        ORDER BY queue NULLS FIRST, code
        """,
        queue,
    )
    return [dict(r) for r in rows]

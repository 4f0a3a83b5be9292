"""The outbox's SQL: one batch of engine records into PostgreSQL, idempotently.

Each table gets one statement per batch: the batch's columns go as arrays and ``unnest`` turns
them back into rows (one round trip, like COPY into a temp table, without the temp table).

- Events and activities are append-only and keyed by ``event_id``: ``ON CONFLICT DO NOTHING``,
  so a replayed record is a no-op.
- A call row is the latest summary of a segment: ``ON CONFLICT (call_id) DO UPDATE ... WHERE
  cc_calls.version < EXCLUDED.version``, so only a higher version changes it, whatever order
  records arrive in (a replay, or a journal written during an outage).
- Foreign keys: a record may name an agent that is not in ``cc_agents`` (static agents from the
  config file). Before the rows, the same transaction inserts a disabled *placeholder* agent for
  every such id (``ON CONFLICT DO NOTHING``): the record is kept, nobody can log in with the
  placeholder, and ``acd agent add`` on that id completes it later.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from acd.engine.effects import AgentActivityRecord, CallEventRecord, CallRecord
from acd.store.numbers import customer_key

Record = AgentActivityRecord | CallEventRecord | CallRecord

TABLE_CALLS = "cc_calls"
TABLE_EVENTS = "cc_call_events"
TABLE_ACTIVITIES = "cc_agent_activities"


# One encoder for every record: json.dumps with options builds a new JSONEncoder at each call.
_json_encoder = json.JSONEncoder(separators=(",", ":"), default=str)


def _json(value: dict[str, Any]) -> str:
    return _json_encoder.encode(value)


_PLACEHOLDERS = """
INSERT INTO cc_agents (agent_id, name, enabled, placeholder)
SELECT DISTINCT id, id, false, true FROM unnest($1::text[]) AS u(id)
ON CONFLICT (agent_id) DO NOTHING
"""

_EVENTS = """
INSERT INTO cc_call_events (event_id, call_id, event_type, "timestamp", queue, agent_id, data)
SELECT u.event_id, u.call_id, u.event_type, to_timestamp(u.at), u.queue, u.agent_id, u.data::jsonb
FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::text[], $6::text[], $7::text[])
     AS u(event_id, call_id, event_type, at, queue, agent_id, data)
ON CONFLICT (event_id) DO NOTHING
"""

_ACTIVITIES = """
INSERT INTO cc_agent_activities
    (event_id, agent_id, activity_type, from_state, to_state, reason, "timestamp", metadata)
SELECT u.event_id, u.agent_id, u.activity_type, u.from_state, u.to_state, u.reason,
       to_timestamp(u.at), u.metadata::jsonb
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::float8[], $8::text[])
     AS u(event_id, agent_id, activity_type, from_state, to_state, reason, at, metadata)
ON CONFLICT (event_id) DO NOTHING
"""

# cc_agents.state: the last state each agent's activities say, for listings (informational).
_AGENT_STATES = """
UPDATE cc_agents a SET state = u.state
FROM unnest($1::text[], $2::text[]) AS u(agent_id, state)
WHERE a.agent_id = u.agent_id AND a.state IS DISTINCT FROM u.state
"""

_CALL_COLUMNS = (
    "call_id, version, direction, queue, agent_id, caller_number, caller_name, state, end_reason, "
    "exit_reason, started_at, queued_at, first_queued_at, answered_at, ended_at, wait_seconds, "
    "talk_seconds, hold_seconds, wrapup_seconds, duration, disposition, transferred_from, number"
)

_UPDATABLE = [c.strip() for c in _CALL_COLUMNS.split(",") if c.strip() not in ("call_id",)]

_CALLS = f"""
INSERT INTO cc_calls ({_CALL_COLUMNS}, customer_id)
SELECT u.call_id, u.version, u.direction, u.queue, u.agent_id, u.caller_number, u.caller_name,
       u.state, u.end_reason, u.exit_reason, to_timestamp(u.started_at), to_timestamp(u.queued_at),
       to_timestamp(u.first_queued_at), to_timestamp(u.answered_at), to_timestamp(u.ended_at),
       u.wait_seconds, u.talk_seconds, u.hold_seconds, u.wrapup_seconds, u.duration,
       u.disposition, u.transferred_from, u.number, c.id
FROM unnest($1::text[], $2::int8[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
            $8::text[], $9::text[], $10::text[], $11::float8[], $12::float8[], $13::float8[],
            $14::float8[], $15::float8[], $16::float8[], $17::float8[], $18::float8[],
            $19::float8[], $20::float8[], $21::text[], $22::text[], $23::text[], $24::text[])
     AS u(call_id, version, direction, queue, agent_id, caller_number, caller_name, state,
          end_reason, exit_reason, started_at, queued_at, first_queued_at, answered_at, ended_at,
          wait_seconds, talk_seconds, hold_seconds, wrapup_seconds, duration, disposition,
          transferred_from, number, customer_key)
LEFT JOIN cc_customers c ON c.number = u.customer_key
ON CONFLICT (call_id) DO UPDATE SET
    {", ".join(f"{c} = EXCLUDED.{c}" for c in _UPDATABLE)},
    customer_id = coalesce(EXCLUDED.customer_id, cc_calls.customer_id),
    updated_at = now()
WHERE cc_calls.version < EXCLUDED.version
"""


@dataclass(slots=True)
class Written:
    """Rows a batch actually changed, by table (replays and stale versions change none)."""

    calls: int = 0
    events: int = 0
    activities: int = 0


def _count(status: str) -> int:
    # "INSERT 0 <n>"
    return int(status.rsplit(" ", 1)[-1])


def latest_calls(calls: Sequence[CallRecord]) -> list[CallRecord]:
    """One record per call id, the highest version (one upsert cannot touch a row twice)."""
    best: dict[str, CallRecord] = {}
    for record in calls:
        current = best.get(record.call_id)
        if current is None or record.version > current.version:
            best[record.call_id] = record
    return list(best.values())


async def write_batch(conn: Any, records: Sequence[Record]) -> Written:
    """Write a batch in the caller's transaction; what changed. Raises asyncpg errors as they are."""
    events = [r for r in records if isinstance(r, CallEventRecord)]
    activities = [r for r in records if isinstance(r, AgentActivityRecord)]
    calls = latest_calls([r for r in records if isinstance(r, CallRecord)])
    written = Written()
    agents = {r.agent_id for r in activities} | {r.agent_id for r in calls if r.agent_id}
    if agents:
        await conn.execute(_PLACEHOLDERS, sorted(agents))
    if events:
        written.events = _count(
            await conn.execute(
                _EVENTS,
                [r.event_id for r in events],
                [r.call_id for r in events],
                [r.event_type for r in events],
                [r.at for r in events],
                [r.queue for r in events],
                [r.agent_id for r in events],
                [_json(r.data) for r in events],
            )
        )
    if activities:
        written.activities = _count(
            await conn.execute(
                _ACTIVITIES,
                [r.event_id for r in activities],
                [r.agent_id for r in activities],
                [r.activity_type for r in activities],
                [r.from_state for r in activities],
                [r.to_state for r in activities],
                [r.reason for r in activities],
                [r.at for r in activities],
                [_json(r.metadata) for r in activities],
            )
        )
        last = {r.agent_id: r.to_state for r in activities}  # records arrive in the engine's order
        await conn.execute(_AGENT_STATES, list(last), list(last.values()))
    if calls:
        written.calls = _count(
            await conn.execute(
                _CALLS,
                [r.call_id for r in calls],
                [r.version for r in calls],
                [r.direction for r in calls],
                [r.queue for r in calls],
                [r.agent_id for r in calls],
                [r.caller_number for r in calls],
                [r.caller_name for r in calls],
                [r.state for r in calls],
                [r.end_reason for r in calls],
                [r.exit_reason for r in calls],
                [r.started_at for r in calls],
                [r.queued_at for r in calls],
                [r.first_queued_at for r in calls],
                [r.answered_at for r in calls],
                [r.ended_at for r in calls],
                [r.wait_seconds for r in calls],
                [r.talk_seconds for r in calls],
                [r.hold_seconds for r in calls],
                [r.wrapup_seconds for r in calls],
                [r.duration for r in calls],
                [r.disposition for r in calls],
                [r.transferred_from for r in calls],
                [r.number for r in calls],
                [customer_key(r.number if r.direction == "outbound" else r.caller_number) for r in calls],
            )
        )
    return written

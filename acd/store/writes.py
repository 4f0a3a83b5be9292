"""The outbox's SQL: one batch of engine records into PostgreSQL, idempotently.

The batch is one statement (data-modifying CTEs, so atomic without BEGIN and COMMIT: one round
trip), and each table's rows go as one parameter: a JSON array of rows (each row an array of the
record's fields, in a fixed order) that ``jsonb_array_elements`` turns back into rows, like COPY
into a temp table, without the temp table. One JSON text, encoded in C, rather than a PostgreSQL
array per column: asyncpg checks every element of an array parameter against three abstract base
classes in Python (``collections.abc``), some 250 checks per call, which cost more than the rest
of the write.

- Events and activities are append-only and keyed by ``event_id``: ``ON CONFLICT DO NOTHING``,
  so a replayed record is a no-op.
- A call row is the latest summary of a segment: ``ON CONFLICT (call_id) DO UPDATE ... WHERE
  cc_calls.version < EXCLUDED.version``, so only a higher version changes it, whatever order
  records arrive in (a replay, or a journal written during an outage).
- Foreign keys: a record may name an agent that is not in ``cc_agents`` (static agents from the
  config file). The same statement inserts a disabled *placeholder* agent for every such id
  (``ON CONFLICT DO NOTHING``): the record is kept, nobody can log in with the placeholder, and
  ``acd agent add`` on that id completes it later.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from acd.engine.effects import AgentActivityRecord, CallEventRecord, CallRecord
from acd.store.numbers import customer_key

Record = AgentActivityRecord | CallEventRecord | CallRecord

TABLE_CALLS = "cc_calls"
TABLE_EVENTS = "cc_call_events"
TABLE_ACTIVITIES = "cc_agent_activities"


# One encoder for every batch: json.dumps with options builds a new JSONEncoder at each call.
# Floats are written as repr() does, the shortest text that reads back as the same float8. Text
# goes as itself, not as \u escapes, which a database in another encoding than UTF8 would refuse
# in jsonb (plain text columns are converted by the server as before). A NaN or infinite float,
# which the engine never makes (it subtracts clock readings), is not JSON: PostgreSQL refuses the
# row as invalid data and the outbox keeps it in rejected.jsonl.
_json_encoder = json.JSONEncoder(separators=(",", ":"), default=str, ensure_ascii=False)


def _rows(rows: Iterable[tuple[Any, ...]]) -> str:
    """A batch's rows as the one JSON parameter its statement unpacks (sent as text and cast
    there: the pool's jsonb codec would encode the string once more)."""
    return _json_encoder.encode(list(rows))


_CALL_COLUMNS = (
    "call_id, version, direction, queue, agent_id, caller_number, caller_name, state, end_reason, "
    "exit_reason, started_at, queued_at, first_queued_at, answered_at, ended_at, wait_seconds, "
    "talk_seconds, hold_seconds, wrapup_seconds, duration, disposition, transferred_from, number"
)

_UPDATABLE = [c.strip() for c in _CALL_COLUMNS.split(",") if c.strip() not in ("call_id",)]

# The whole batch is one statement (data-modifying CTEs): atomic by itself, so no BEGIN and
# COMMIT, and one round trip to PostgreSQL instead of seven. Sub-statements share one snapshot
# and none reads another's rows; the foreign-key checks run at the end of the statement and see
# the placeholders it inserted. $4 holds [agent_id, last state or null] per agent named: a new
# placeholder gets that state at once, an existing agent's row is updated to it (cc_agents.state,
# for listings; informational). The final SELECT counts the rows each insert changed.
_BATCH_SQL = f"""
WITH agents AS (
    SELECT a->>0 AS agent_id, a->>1 AS state FROM jsonb_array_elements($4::text::jsonb) AS a
), placeholders AS (
    INSERT INTO cc_agents (agent_id, name, enabled, placeholder, state)
    SELECT agent_id, agent_id, false, true, coalesce(state, 'logged-out') FROM agents
    ON CONFLICT (agent_id) DO NOTHING
), states AS (
    UPDATE cc_agents c SET state = a.state
    FROM agents a
    WHERE c.agent_id = a.agent_id AND a.state IS NOT NULL AND c.state IS DISTINCT FROM a.state
), events AS (
    INSERT INTO cc_call_events (event_id, call_id, event_type, "timestamp", queue, agent_id, data)
    SELECT r->>0, r->>1, r->>2, to_timestamp((r->>3)::float8), r->>4, r->>5, r->6
    FROM jsonb_array_elements($1::text::jsonb) AS r
    ON CONFLICT (event_id) DO NOTHING
    RETURNING 1
), activities AS (
    INSERT INTO cc_agent_activities
        (event_id, agent_id, activity_type, from_state, to_state, reason, "timestamp", metadata)
    SELECT r->>0, r->>1, r->>2, r->>3, r->>4, r->>5, to_timestamp((r->>6)::float8), r->7
    FROM jsonb_array_elements($2::text::jsonb) AS r
    ON CONFLICT (event_id) DO NOTHING
    RETURNING 1
), calls AS (
    INSERT INTO cc_calls ({_CALL_COLUMNS}, customer_id)
    SELECT r->>0, (r->>1)::int8, r->>2, r->>3, r->>4, r->>5, r->>6, r->>7, r->>8, r->>9,
           to_timestamp((r->>10)::float8), to_timestamp((r->>11)::float8),
           to_timestamp((r->>12)::float8), to_timestamp((r->>13)::float8),
           to_timestamp((r->>14)::float8), (r->>15)::float8, (r->>16)::float8, (r->>17)::float8,
           (r->>18)::float8, (r->>19)::float8, r->>20, r->>21, r->>22, c.id
    FROM jsonb_array_elements($3::text::jsonb) AS r
    LEFT JOIN cc_customers c ON c.number = r->>23
    ON CONFLICT (call_id) DO UPDATE SET
        {", ".join(f"{c} = EXCLUDED.{c}" for c in _UPDATABLE)},
        customer_id = coalesce(EXCLUDED.customer_id, cc_calls.customer_id),
        updated_at = now()
    WHERE cc_calls.version < EXCLUDED.version
    RETURNING 1
)
SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM activities), (SELECT count(*) FROM calls)
"""

_EVENT_ROW = attrgetter("event_id", "call_id", "event_type", "at", "queue", "agent_id", "data")
_ACTIVITY_ROW = attrgetter(
    "event_id", "agent_id", "activity_type", "from_state", "to_state", "reason", "at", "metadata"
)
_CALL_ROW = attrgetter(*(c.strip() for c in _CALL_COLUMNS.split(",")))


@dataclass(slots=True)
class Written:
    """Rows a batch actually changed, by table (replays and stale versions change none)."""

    calls: int = 0
    events: int = 0
    activities: int = 0


def latest_calls(calls: Sequence[CallRecord]) -> list[CallRecord]:
    """One record per call id, the highest version (one upsert cannot touch a row twice)."""
    best: dict[str, CallRecord] = {}
    for record in calls:
        current = best.get(record.call_id)
        if current is None or record.version > current.version:
            best[record.call_id] = record
    return list(best.values())


async def write_batch(conn: Any, records: Sequence[Record]) -> Written:
    """Write a batch as one statement (atomic without a transaction); what changed.

    Raises asyncpg errors as they are: an invalid record fails the whole batch, and the outbox
    then writes its records one by one."""
    events = [r for r in records if isinstance(r, CallEventRecord)]
    activities = [r for r in records if isinstance(r, AgentActivityRecord)]
    calls = latest_calls([r for r in records if isinstance(r, CallRecord)])
    agents: dict[str, str | None] = {r.agent_id: None for r in calls if r.agent_id}
    for activity in activities:  # records arrive in the engine's order: the last state wins
        agents[activity.agent_id] = activity.to_state
    call_rows = [
        (*_CALL_ROW(r), customer_key(r.number if r.direction == "outbound" else r.caller_number))
        for r in calls
    ]
    counts = await conn.fetchrow(
        _BATCH_SQL,
        _rows(map(_EVENT_ROW, events)),
        _rows(map(_ACTIVITY_ROW, activities)),
        _rows(call_rows),
        _rows(sorted(agents.items())),
    )
    return Written(calls=counts[2], events=counts[0], activities=counts[1])

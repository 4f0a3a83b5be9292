"""Engine records for storage tests, built the way the engine builds them."""

from __future__ import annotations

import itertools
from typing import Any

from acd.engine.effects import AgentActivityRecord, CallEventRecord, CallRecord

_ids = itertools.count(1)


def next_id(prefix: str = "ev") -> str:
    return f"{prefix}-{next(_ids)}"


def event(
    call_id: str,
    event_type: str,
    at: float,
    *,
    queue: str | None = "support",
    agent_id: str | None = None,
    event_id: str | None = None,
    **data: Any,
) -> CallEventRecord:
    return CallEventRecord(
        event_id=event_id or next_id(),
        call_id=call_id,
        event_type=event_type,
        at=at,
        queue=queue,
        agent_id=agent_id,
        data=data,
    )


def activity(
    agent_id: str,
    from_state: str,
    to_state: str,
    at: float,
    *,
    reason: str | None = None,
    event_id: str | None = None,
    **metadata: Any,
) -> AgentActivityRecord:
    return AgentActivityRecord(
        event_id=event_id or next_id("act"),
        agent_id=agent_id,
        activity_type="state",
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        at=at,
        metadata=metadata,
    )


def call(call_id: str, version: int, *, started_at: float = 1000.0, **overrides: Any) -> CallRecord:
    fields: dict[str, Any] = {
        "call_id": call_id,
        "version": version,
        "direction": "inbound",
        "queue": "support",
        "agent_id": None,
        "caller_number": "+15550100",
        "caller_name": "Caller",
        "state": "queued",
        "end_reason": None,
        "started_at": started_at,
        "queued_at": started_at,
        "first_queued_at": started_at,
        "answered_at": None,
        "ended_at": None,
        "wait_seconds": 0.0,
        "talk_seconds": None,
        "hold_seconds": None,
        "duration": None,
        "transferred_from": None,
    }
    fields.update(overrides)
    return CallRecord(**fields)


def ended_call(call_id: str, version: int, *, started_at: float = 1000.0, **overrides: Any) -> CallRecord:
    """A segment answered at +10 s, ended at +70 s, wrapped up in 5 s."""
    fields: dict[str, Any] = {
        "state": "ended",
        "end_reason": "completed-by-caller",
        "agent_id": "alice",
        "answered_at": started_at + 10,
        "ended_at": started_at + 70,
        "wait_seconds": 10.0,
        "talk_seconds": 60.0,
        "hold_seconds": 0.0,
        "duration": 70.0,
        "wrapup_seconds": 5.0,
    }
    fields.update(overrides)
    return call(call_id, version, started_at=started_at, **fields)


def a_call_stream(n_calls: int, *, start: float = 1_700_000_000.0, agents: int = 5) -> list[Any]:
    """A realistic stream: per call, events, agent activities and three versions of its row."""
    records: list[Any] = []
    for i in range(n_calls):
        cid = f"chan-{i}"
        agent = f"agent{i % agents}"
        t = start + i
        records.append(event(cid, "entered-queue", t, priority=0, first_entered_at=t))
        records.append(call(cid, 1, started_at=t))
        records.append(activity(agent, "ready", "offered", t + 1, call_id=cid))
        records.append(event(cid, "offered", t + 1, agent_id=agent, leg_id=f"leg-{i}"))
        records.append(activity(agent, "offered", "on-call", t + 3, call_id=cid))
        records.append(event(cid, "answered", t + 3, agent_id=agent, wait=3.0, leg_id=f"leg-{i}"))
        records.append(
            call(
                cid,
                2,
                started_at=t,
                state="connected",
                agent_id=agent,
                answered_at=t + 3,
                wait_seconds=3.0,
                talk_seconds=0.0,
                hold_seconds=0.0,
            )
        )
        records.append(event(cid, "ended", t + 30, agent_id=agent, reason="completed-by-caller"))
        records.append(activity(agent, "on-call", "ready", t + 30, call_id=cid))
        records.append(
            ended_call(
                cid,
                3,
                started_at=t,
                agent_id=agent,
                answered_at=t + 3,
                ended_at=t + 30,
                wait_seconds=3.0,
                talk_seconds=27.0,
                duration=30.0,
                wrapup_seconds=0.0,
            )
        )
    return records

"""What the engine asks the world to do: telephony actions, timers, records and notifications.

Telephony actions carry a ``lane`` (the call they belong to). The runner executes the actions of
one lane strictly in order (an ``AddToBridge`` must not overtake the ``Answer`` before it) while
different calls proceed concurrently.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any, Literal

from acd.immutable import immutable

# ---------------------------------------------------------------- telephony


@immutable
class Answer:
    lane: str
    channel_id: str


@immutable
class Ring:
    lane: str
    channel_id: str


@immutable
class Hangup:
    lane: str
    channel_id: str
    reason: str = "normal"


@immutable
class Originate:
    lane: str
    leg_id: str
    endpoint: str
    app_args: str
    caller_id: str
    timeout: int
    variables: dict[str, str] = field(default_factory=dict)


@immutable
class CreateBridge:
    lane: str
    bridge_id: str
    bridge_type: Literal["mixing", "holding"]
    name: str
    #: A holding bridge's music: started after creating it (or finding it already there).
    moh_class: str | None = None


@immutable
class DestroyBridge:
    lane: str
    bridge_id: str


@immutable
class AddToBridge:
    lane: str
    bridge_id: str
    channel_ids: tuple[str, ...]


@immutable
class ContinueInDialplan:
    """Send a channel back to the dialplan, after setting variables (ACD_RESULT...) on it.

    No context/extension continues at the next priority after ``Stasis()``, as app_queue's
    callers continue after ``Queue()``.
    """

    lane: str
    channel_id: str
    context: str | None = None
    extension: str | None = None
    priority: int | None = None
    variables: dict[str, str] = field(default_factory=dict)


TelephonyAction = (
    Answer | Ring | Hangup | Originate | CreateBridge | DestroyBridge | AddToBridge | ContinueInDialplan
)

# ---------------------------------------------------------------- timers


@immutable
class StartTimer:
    """Fire ``TimerFired(key, token)`` at ``at`` (wall-clock seconds); replaces a timer of that key."""

    key: tuple[str, str]
    at: float
    token: int


@immutable
class CancelTimer:
    key: tuple[str, str]


# ---------------------------------------------------------------- records (to PostgreSQL)


@immutable
class AgentActivityRecord:
    """One row of ``cc_agent_activities``; ``event_id`` makes a replay idempotent."""

    event_id: str
    agent_id: str
    activity_type: str
    from_state: str
    to_state: str
    reason: str | None
    at: float
    metadata: dict[str, Any] = field(default_factory=dict)


@immutable
class CallEventRecord:
    """One row of ``cc_call_events``, the append-only timeline of an interaction."""

    event_id: str
    call_id: str
    event_type: str
    at: float
    queue: str | None
    agent_id: str | None
    data: dict[str, Any] = field(default_factory=dict)


@immutable
class CallRecord:
    """The ``cc_calls`` row of a segment as of now, upserted by ``call_id``; ``version`` orders."""

    call_id: str
    version: int
    direction: str
    queue: str | None
    agent_id: str | None
    caller_number: str
    caller_name: str
    state: str
    end_reason: str | None
    started_at: float
    queued_at: float | None
    first_queued_at: float | None
    answered_at: float | None
    ended_at: float | None
    wait_seconds: float | None
    talk_seconds: float | None
    hold_seconds: float | None
    duration: float | None
    transferred_from: str | None
    number: str | None = None
    exit_reason: str | None = None
    disposition: str | None = None
    wrapup_seconds: float | None = None


Record = AgentActivityRecord | CallEventRecord | CallRecord

# ---------------------------------------------------------------- notifications (to pages)


@immutable
class Notify:
    """A message for the live stream: ``topic`` is ``agent:<id>`` or ``supervisors``."""

    topic: str
    kind: str
    data: dict[str, Any]


Effect = TelephonyAction | StartTimer | CancelTimer | Record | Notify

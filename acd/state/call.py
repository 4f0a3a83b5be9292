"""The call (one segment of an interaction) and its states.

A caller's interaction may cross several queues (blind transfer, overflow). Each stay in a queue is
a *segment* with its own ``call_id``; segments of one interaction are linked by
``transferred_from`` and share ``first_entered_at`` (the original entry time, which reports keep).
The first segment's id is the caller channel's ARI id; later ones append ``#2``, ``#3``...
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class CallState(StrEnum):
    QUEUED = "queued"
    OFFERED = "offered"
    CONNECTED = "connected"
    HELD = "held"
    #: Outbound: the agent dialled out and the far end is being called.
    DIALING = "dialing"
    ENDED = "ended"


class EndReason(StrEnum):
    COMPLETED_BY_CALLER = "completed-by-caller"
    COMPLETED_BY_AGENT = "completed-by-agent"
    ABANDONED = "abandoned"
    TIMEOUT = "timeout"
    OVERFLOWED = "overflowed"
    TRANSFERRED = "transferred"
    #: Left the queue without an agent for another reason: full, join-empty, leave-empty, exit key.
    EXITED = "exited"
    FAILED = "failed"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class ExitReason(StrEnum):
    """Why a call left a queue unanswered (``acd_calls_exited_total{reason}``)."""

    TIMEOUT = "timeout"
    FULL = "full"
    JOIN_EMPTY = "join-empty"
    LEAVE_EMPTY = "leave-empty"
    EXIT_KEY = "exit-key"
    TRANSFER = "transfer"


CALL_ACTIVE_STATES = frozenset({CallState.CONNECTED, CallState.HELD})
CALL_WAITING_STATES = frozenset({CallState.QUEUED, CallState.OFFERED})


@dataclass(slots=True)
class Offer:
    """A reservation of exactly one agent for exactly one call, while the agent's phone rings."""

    leg_id: str
    call_id: str
    agent_id: str
    started_at: float
    ringing: bool = False


@dataclass(slots=True)
class Call:
    call_id: str
    channel_id: str
    direction: Direction
    queue: str | None
    priority: int
    caller_number: str
    caller_name: str
    state: CallState
    started_at: float
    entered_at: float
    first_entered_at: float
    seq: int
    transferred_from: str | None = None
    #: An agent named by a transfer: the only one offered this segment at first.
    target_agent: str | None = None
    #: leg id -> offer; more than one only for ring-all queues.
    offers: dict[str, Offer] = field(default_factory=dict)
    agent_id: str | None = None
    #: Inbound: the agent's answered leg. (Outbound calls are the agent's own channel.)
    agent_leg: str | None = None
    #: Outbound: the leg dialled to the far end.
    far_leg: str | None = None
    bridge_id: str | None = None
    bridge_recreated: bool = False
    #: A holding bridge this call was to wait in was missing and has been made again (once).
    holding_recreated: bool = False
    answered_at: float | None = None
    ended_at: float | None = None
    end_reason: EndReason | None = None
    exit_reason: ExitReason | None = None
    hold_started_at: float | None = None
    hold_seconds: float = 0.0
    hold_count: int = 0
    offer_count: int = 0
    #: Dialled number of an outbound call.
    number: str | None = None
    #: Index entry version; bumped whenever the call stops waiting for an agent.
    index_version: int = 0
    #: How many times the record has been emitted (orders upserts of the cc_calls row).
    version: int = 0
    #: Set when the engine itself sent the caller elsewhere (dialplan, other queue), so the
    #: StasisEnd that follows does not count as a hang-up.
    leaving: bool = False

    @property
    def waiting(self) -> bool:
        return self.state in CALL_WAITING_STATES

    def wait_seconds(self, now: float) -> float:
        """KPIS.md wait: from entering the queue to answer (or to now, or to the end)."""
        end = self.answered_at if self.answered_at is not None else (self.ended_at or now)
        return max(0.0, end - self.entered_at)

    def talk_seconds(self, now: float) -> float:
        if self.answered_at is None:
            return 0.0
        end = self.ended_at if self.ended_at is not None else now
        return max(0.0, end - self.answered_at - self.current_hold_seconds(now))

    def current_hold_seconds(self, now: float) -> float:
        extra = 0.0
        if self.hold_started_at is not None:
            extra = (self.ended_at if self.ended_at is not None else now) - self.hold_started_at
        return self.hold_seconds + max(0.0, extra)

"""The agent state machine: the states the agent page shows, and the only legal moves between them.

Every change of an agent's state goes through :func:`transition`, which refuses an illegal move
with :class:`IllegalTransition` (changing nothing) and returns the change as an
:class:`AgentStateChange` so the engine can record it, stream it to the page and count it.

The idle clock lives here too, because fairness depends on it being exact: an agent's idle time is
the length of its *current continuous ready stretch* (``ready_since``). Wrap-up, not-ready and
offered time never count; ties break by who became ready first, then by agent id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from acd.immutable import immutable


class AgentState(StrEnum):
    LOGGED_OUT = "logged-out"
    NOT_READY = "not-ready"
    READY = "ready"
    OFFERED = "offered"
    ON_CALL = "on-call"
    ON_HOLD = "on-hold"
    WRAP_UP = "wrap-up"


S = AgentState

#: Who may go where. Self-moves are listed where they mean something (a new not-ready reason).
ALLOWED_MOVES: dict[AgentState, frozenset[AgentState]] = {
    S.LOGGED_OUT: frozenset({S.NOT_READY}),
    S.NOT_READY: frozenset({S.NOT_READY, S.READY, S.LOGGED_OUT, S.ON_CALL}),
    S.READY: frozenset({S.NOT_READY, S.LOGGED_OUT, S.OFFERED, S.ON_CALL}),
    S.OFFERED: frozenset({S.READY, S.NOT_READY, S.LOGGED_OUT, S.ON_CALL}),
    S.ON_CALL: frozenset({S.ON_HOLD, S.WRAP_UP, S.READY, S.NOT_READY, S.LOGGED_OUT}),
    S.ON_HOLD: frozenset({S.ON_CALL, S.WRAP_UP, S.READY, S.NOT_READY, S.LOGGED_OUT}),
    S.WRAP_UP: frozenset({S.READY, S.NOT_READY, S.LOGGED_OUT}),
}

#: States in which the agent is busy with a call; a not-ready or logout request then waits.
BUSY_STATES = frozenset({S.ON_CALL, S.ON_HOLD})

# System reason codes (a site adds its own not-ready reasons in config).
REASON_LOGIN = "login"
REASON_MISSED_CALL = "missed-call"
REASON_UNREACHABLE = "unreachable"
REASON_DISCONNECTED = "disconnected"
REASON_SUPERVISOR = "supervisor"
SYSTEM_REASONS = frozenset({REASON_LOGIN, REASON_MISSED_CALL, REASON_UNREACHABLE, REASON_DISCONNECTED})


class IllegalTransition(Exception):
    """An agent was asked to move where the state machine does not allow; nothing changed."""

    def __init__(self, agent_id: str, current: AgentState, requested: AgentState, why: str = "") -> None:
        self.agent_id = agent_id
        self.current = current
        self.requested = requested
        detail = f": {why}" if why else ""
        super().__init__(f"agent {agent_id} cannot go from {current} to {requested}{detail}")


@dataclass(slots=True)
class Agent:
    """One agent as the engine sees it. Mutated only by the engine, through :func:`transition`."""

    agent_id: str
    name: str
    endpoint: str
    #: queue name -> skill level (1 = primary; a queue widens to higher levels after its tiers' waits)
    skills: dict[str, int]
    wrapup_override: float | None = None
    state: AgentState = S.LOGGED_OUT
    reason: str | None = None
    state_since: float = 0.0
    #: Start of the current continuous ready stretch (the idle clock); None when not ready.
    ready_since: float | None = None
    #: False while the phone has no reachable registration (ARI contact/endpoint events).
    reachable: bool = True
    #: Set when the engine took the agent out of ready because its phone vanished, so that it
    #: returns to ready when the phone comes back (and only then).
    resume_ready_when_reachable: bool = False
    consecutive_missed: int = 0
    #: Back-off after a reject/busy/no-answer: not offered before this time.
    available_at: float = 0.0
    #: The call the agent is offered, talking on, or wrapping up.
    call_id: str | None = None
    #: A state asked for while busy on a call, applied when the call (and wrap-up) ends.
    pending: tuple[AgentState, str | None] | None = None
    #: Idle clock to restore when an offer is withdrawn through no fault of the agent.
    offer_restore_ready_since: float | None = None
    #: What the agent was doing before an outbound call, to return to it afterwards.
    before_outbound: tuple[AgentState, str | None, float | None] | None = None
    wrapup_until: float | None = None
    wrapup_required_disposition: bool = False
    disposition: str | None = None
    #: Answered calls since the engine started (or the day's snapshot): the fewest-calls key.
    calls_answered: int = 0
    #: Per-queue round-robin stamps: the queue's offer counter when it last offered this agent.
    rr_stamps: dict[str, int] = field(default_factory=dict)
    #: Bumped whenever the agent stops being offerable; stale index entries carry older values.
    index_version: int = 0
    page_connected: bool = False

    @property
    def logged_in(self) -> bool:
        return self.state is not S.LOGGED_OUT

    def idle_seconds(self, now: float) -> float:
        """Length of the current continuous ready stretch; 0 when not ready."""
        if self.state is not S.READY or self.ready_since is None:
            return 0.0
        return max(0.0, now - self.ready_since)

    def offerable(self, now: float) -> bool:
        """Ready, reachable, past any back-off and holding no call: may be offered a call now."""
        return self.state is S.READY and self.reachable and self.call_id is None and self.available_at <= now


@immutable
class AgentStateChange:
    agent_id: str
    from_state: AgentState
    to_state: AgentState
    from_reason: str | None
    reason: str | None
    at: float
    #: How long the agent spent in the state it left (for occupancy counters).
    seconds_in_previous: float
    call_id: str | None = None


def transition(
    agent: Agent,
    to: AgentState,
    now: float,
    reason: str | None = None,
    *,
    ready_since: float | None = None,
) -> AgentStateChange:
    """Move ``agent`` to ``to`` if the state machine allows it; maintain the idle clock.

    ``ready_since`` lets the engine restore an earlier idle clock when entering READY (an offer
    withdrawn because the caller hung up keeps the agent's place in line); by default a ready
    stretch starts now.
    """
    current = agent.state
    if to not in ALLOWED_MOVES[current]:
        raise IllegalTransition(agent.agent_id, current, to)
    if to is S.NOT_READY and not reason:
        raise IllegalTransition(agent.agent_id, current, to, "not-ready needs a reason code")
    if to is not S.NOT_READY:
        reason = None
    change = AgentStateChange(
        agent_id=agent.agent_id,
        from_state=current,
        to_state=to,
        from_reason=agent.reason,
        reason=reason,
        at=now,
        seconds_in_previous=max(0.0, now - agent.state_since),
        call_id=agent.call_id,
    )
    agent.index_version += 1
    agent.state = to
    agent.reason = reason
    agent.state_since = now
    if to is S.READY:
        agent.ready_since = now if ready_since is None else ready_since
    elif to is not S.OFFERED:
        # OFFERED keeps ready_since so a withdrawn offer can restore the agent's place.
        agent.ready_since = None
    if to is S.LOGGED_OUT:
        agent.pending = None
        agent.consecutive_missed = 0
        agent.available_at = 0.0
        agent.resume_ready_when_reachable = False
    return change

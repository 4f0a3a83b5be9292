"""The engine's state and the few primitives every flow uses to change it.

The engine is *sans-I/O* (see STYLE.md): ``handle(input, now)`` mutates this state and returns the
effects to carry out. It never awaits, so one owner (the runner's loop) can call it for every
event and command in turn, and "no call is offered to two agents, no agent gets two calls" holds
by construction rather than by locking. Each flow (agents, inbound, call control, outbound,
resync) lives in its own module as a mixin over this base.
"""

from __future__ import annotations

import itertools
import random
import uuid
from abc import ABC, abstractmethod
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from acd.config import EngineSettings, QueueSettings
from acd.engine.effects import (
    AgentActivityRecord,
    CallEventRecord,
    CallRecord,
    CancelTimer,
    Effect,
    Notify,
    StartTimer,
)
from acd.routing.ready import QueueAgents
from acd.routing.waiting import QueueCalls
from acd.state.agent import Agent, AgentState, AgentStateChange, transition
from acd.state.call import Call, CallState, EndReason, ExitReason, Offer

SUPERVISORS = "supervisors"


class CommandRejected(Exception):
    """A command that cannot be carried out; nothing changed. ``code`` maps to an HTTP status."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code  # "not-found" | "conflict" | "forbidden" | "invalid"
        self.message = message
        super().__init__(message)


#: Where held parties of calls without a queue (outbound) wait, with the default music on hold.
HOLD_BRIDGE = "acd-hold"


def holding_bridge_id(queue: str) -> str:
    """Queues share one holding bridge each, with a stable id so a restarted daemon finds it."""
    return f"acd-queue-{queue}"


def queue_from_holding_bridge(bridge_id: str) -> str | None:
    return bridge_id.removeprefix("acd-queue-") if bridge_id.startswith("acd-queue-") else None


def unique_ids() -> Callable[[], str]:
    """Ids unique across daemons and restarts (a random 64-bit prefix, then a counter), at a
    fraction of uuid4's cost: each call takes about ten (legs, bridges, record event ids), so the
    whole chain runs in C (``map`` over a counter), without a Python frame per id."""
    template = uuid.uuid4().hex[:16] + "{:016x}"
    return map(template.format, itertools.count(1)).__next__


class EngineBase(ABC):
    """State shared by all flows, and the primitives that keep its indexes consistent."""

    def __init__(
        self,
        queues: Sequence[QueueSettings],
        settings: EngineSettings,
        *,
        id_factory: Callable[[], str] | None = None,
        seed: int | None = None,
    ) -> None:
        self.settings = settings
        self.queue_settings: dict[str, QueueSettings] = {q.name: q for q in queues}
        self.agents: dict[str, Agent] = {}
        self.agents_by_endpoint: dict[str, str] = {}
        #: Active segments by call id; ended ones are dropped once recorded.
        self.calls: dict[str, Call] = {}
        #: Caller channel id -> its current segment's call id.
        self.call_by_channel: dict[str, str] = {}
        #: Agent legs under offer, by leg id.
        self.offers: dict[str, Offer] = {}
        #: Answered agent legs and outbound far-end legs -> call id.
        self.legs: dict[str, str] = {}
        # Empty mixing bridges kept for the next calls, and ended calls' bridges waiting for
        # their members' ends (bridge id -> (lane, channels); channel -> bridge id).
        self.spare_bridges: list[str] = []
        self.bridge_waits: dict[str, tuple[str, set[str]]] = {}
        self.bridge_of_member: dict[str, str] = {}
        # Bridges an add failed on (never handed out again), the last ones we asked Asterisk to
        # destroy (a resync's GET /bridges may predate the DELETE), and whether a resync is
        # being applied (bridges freed meanwhile are left to the resync's own reckoning).
        self.doubtful_bridges: set[str] = set()
        self.destroyed_bridges: deque[str] = deque(maxlen=1024)
        self.resyncing = False
        self.rng = random.Random(seed)
        self.queue_agents: dict[str, QueueAgents] = {
            q.name: QueueAgents(q.name, q.strategy, self.agents, self.rng) for q in queues
        }
        self.queue_calls: dict[str, QueueCalls] = {q.name: QueueCalls(q, self.calls) for q in queues}
        #: queue -> agent state -> number of member agents in that state (gauges, empty-queue rules).
        self.state_counts: dict[str, Counter[AgentState]] = {q.name: Counter() for q in queues}
        self.new_id: Callable[[], str] = id_factory or unique_ids()
        self._segments: Counter[str] = Counter()
        self._seq = 0
        self._timer_tokens: dict[tuple[str, str], int] = {}
        self._token = 0
        self._effects: list[Effect] = []
        self._dirty_calls: dict[str, None] = {}
        self._dirty_agents: dict[str, None] = {}
        self._dirty_queues: dict[str, None] = {}
        self.now = 0.0

    # ------------------------------------------------------------ ids and output

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def emit(self, effect: Effect) -> None:
        self._effects.append(effect)

    def notify(self, topic: str, kind: str, **data: Any) -> None:
        self._effects.append(Notify(topic, kind, data))

    def set_timer(self, kind: str, subject: str, at: float) -> None:
        self._token += 1
        key = (kind, subject)
        self._timer_tokens[key] = self._token
        self._effects.append(StartTimer(key, at, self._token))

    def cancel_timer(self, kind: str, subject: str) -> None:
        key = (kind, subject)
        if self._timer_tokens.pop(key, None) is not None:
            self._effects.append(CancelTimer(key))

    def take_timer(self, key: tuple[str, str], token: int) -> bool:
        """True if this expiry is the live one for its key (a replaced timer's expiry is stale)."""
        if self._timer_tokens.get(key) != token:
            return False
        del self._timer_tokens[key]
        return True

    def holding_bridges(self) -> dict[str, tuple[str, str]]:
        """Every holding bridge the engine relies on: id -> (name, music class). Made at each
        connect, and again by the engine if one goes missing in between."""
        bridges = {holding_bridge_id(n): (f"queue-{n}", q.moh_class) for n, q in self.queue_settings.items()}
        bridges[HOLD_BRIDGE] = ("hold", "default")
        return bridges

    # ------------------------------------------------------------ agents

    def agent_or_reject(self, agent_id: str) -> Agent:
        agent = self.agents.get(agent_id)
        if agent is None:
            raise CommandRejected("not-found", f"no agent {agent_id!r}")
        return agent

    def move_agent(
        self,
        agent: Agent,
        to: AgentState,
        reason: str | None = None,
        *,
        ready_since: float | None = None,
        **metadata: Any,
    ) -> AgentStateChange:
        """The one way an agent changes state: validate, re-index, count, record, notify."""
        change = transition(agent, to, self.now, reason, ready_since=ready_since)
        for queue in agent.skills:
            counts = self.state_counts.get(queue)
            if counts is not None:
                counts[change.from_state] -= 1
                counts[to] += 1
            index = self.queue_agents.get(queue)
            if index is not None:
                index.discard(agent.agent_id)
        if to is AgentState.READY:
            self.reindex_agent(agent)
        meta = {"seconds_in_previous": round(change.seconds_in_previous, 3), **metadata}
        if change.from_reason and change.from_state is AgentState.NOT_READY:
            meta["from_reason"] = change.from_reason
        if change.call_id:
            meta.setdefault("call_id", change.call_id)
        self.emit(
            AgentActivityRecord(
                event_id=self.new_id(),
                agent_id=agent.agent_id,
                activity_type="state",
                from_state=change.from_state.value,
                to_state=to.value,
                reason=change.reason,
                at=self.now,
                metadata=meta,
            )
        )
        view = self.agent_view(agent)  # one dict for both topics: consumers only read it
        self.emit(Notify(f"agent:{agent.agent_id}", "agent.state", view))
        self.emit(Notify(SUPERVISORS, "agent.state", view))
        for queue in agent.skills:
            self.notify_queue(queue)
        self.queues_changed(agent.skills)
        return change

    def reindex_agent(self, agent: Agent) -> None:
        """Put an agent that may now be offered into its queues' indexes and look for a call."""
        if agent.offerable(self.now):
            for queue in agent.skills:
                index = self.queue_agents.get(queue)
                if index is not None:
                    index.add(agent)
            self._dirty_agents[agent.agent_id] = None
        elif agent.state is AgentState.READY and agent.available_at > self.now:
            self.set_timer("available", agent.agent_id, agent.available_at)

    def agent_view(self, agent: Agent) -> dict[str, Any]:
        return {
            "agent_id": agent.agent_id,
            "name": agent.name,
            "state": agent.state.value,
            "reason": agent.reason,
            "since": agent.state_since,
            "ready_since": agent.ready_since,
            "call_id": agent.call_id,
            "wrapup_until": agent.wrapup_until,
            "disposition_required": agent.wrapup_required_disposition,
            "disposition": agent.disposition,
            "pending": None
            if agent.pending is None
            else {"state": agent.pending[0].value, "reason": agent.pending[1]},
            "reachable": agent.reachable,
            "queues": dict(agent.skills),
        }

    # ------------------------------------------------------------ calls

    def new_call_id(self, channel_id: str) -> str:
        self._segments[channel_id] += 1
        n = self._segments[channel_id]
        return channel_id if n == 1 else f"{channel_id}#{n}"

    def forget_channel(self, channel_id: str) -> None:
        """The caller's channel is gone for good: drop its mapping and its segment counter."""
        self.call_by_channel.pop(channel_id, None)
        self._segments.pop(channel_id, None)

    def call_event(self, call: Call, event_type: str, agent_id: str | None = None, **data: Any) -> None:
        self.emit(
            CallEventRecord(
                event_id=self.new_id(),
                call_id=call.call_id,
                event_type=event_type,
                at=self.now,
                queue=call.queue,
                agent_id=agent_id if agent_id is not None else call.agent_id,
                data=data,
            )
        )

    def call_record(self, call: Call, disposition: str | None = None, wrapup: float | None = None) -> None:
        # Versions order upserts of the row. Wall-clock microseconds (kept increasing per call)
        # stay ahead of rows written before a restart that lost the snapshot.
        call.version = max(call.version + 1, int(self.now * 1_000_000))
        now = self.now
        ended = call.ended_at
        self.emit(
            CallRecord(
                call_id=call.call_id,
                version=call.version,
                direction=call.direction.value,
                queue=call.queue,
                agent_id=call.agent_id,
                caller_number=call.caller_number,
                caller_name=call.caller_name,
                state=call.state.value,
                end_reason=call.end_reason.value if call.end_reason else None,
                started_at=call.started_at,
                queued_at=call.entered_at if call.queue else None,
                first_queued_at=call.first_entered_at if call.queue else None,
                answered_at=call.answered_at,
                ended_at=ended,
                wait_seconds=round(call.wait_seconds(now), 3) if call.queue else None,
                talk_seconds=round(call.talk_seconds(now), 3) if call.answered_at else None,
                hold_seconds=round(call.current_hold_seconds(now), 3) if call.answered_at else None,
                duration=round(ended - call.started_at, 3) if ended is not None else None,
                transferred_from=call.transferred_from,
                number=call.number,
                exit_reason=call.exit_reason.value if call.exit_reason else None,
                disposition=disposition,
                wrapup_seconds=wrapup,
            )
        )

    def call_view(self, call: Call) -> dict[str, Any]:
        return {
            "call_id": call.call_id,
            "direction": call.direction.value,
            "queue": call.queue,
            "state": call.state.value,
            "caller_number": call.caller_number,
            "caller_name": call.caller_name,
            "number": call.number,
            "entered_at": call.entered_at,
            "first_entered_at": call.first_entered_at,
            "answered_at": call.answered_at,
            "agent_id": call.agent_id,
            "held": call.state is CallState.HELD,
            "hold_seconds": call.hold_seconds,
        }

    def publish_call(self, call: Call, *, agent_id: str | None = None) -> None:
        """A call changed: its agent's page (if any) and the supervisors' pages get its view.

        Supervisors always get ``call.state`` (an offer included, with the offered agent), never
        ``call.offered``: that kind is the agent's own ringing popup, which pages enrich with CRM data.
        """
        view = self.call_view(call)
        if agent_id is not None:
            view["agent_id"] = agent_id
        target = agent_id or call.agent_id
        if target is not None and call.state is not CallState.OFFERED:
            self.emit(Notify(f"agent:{target}", "call.state", view))
        self.emit(Notify(SUPERVISORS, "call.state", view))

    def mark_call_dirty(self, call: Call) -> None:
        self._dirty_calls[call.call_id] = None

    def notify_queue(self, name: str) -> None:
        """The queue's counters changed; the runner publishes them a few times a second at most."""
        self._dirty_queues[name] = None

    def take_dirty_queues(self) -> list[str]:
        names = list(self._dirty_queues)
        self._dirty_queues.clear()
        return names

    # ------------------------------------------------------------ implemented by the flows

    @abstractmethod
    def queues_changed(self, queues: Iterable[str]) -> None:
        """Membership counts of these queues changed (leave-when-empty)."""

    @abstractmethod
    def withdraw_offers_of(self, agent: Agent, why: str) -> None:
        """Cancel the agent's ringing offer; its call keeps its place."""

    @abstractmethod
    def wrapup_finished(self, agent: Agent, call_id: str, seconds: float) -> None:
        """Record the wrap-up (length, disposition) of ``call_id``."""

    @abstractmethod
    def connect(self, call: Call, agent: Agent, leg_id: str) -> None:
        """Bridge the caller with the agent leg that answered."""

    @abstractmethod
    def move_to_queue(
        self, call: Call, queue_name: str, reason: EndReason, *, target_agent: str | None = None
    ) -> None:
        """End this segment with ``reason`` and continue the caller in another queue."""

    @abstractmethod
    def end_call(
        self,
        call: Call,
        reason: EndReason,
        *,
        gone: str | None = None,
        hung_up: str | None = None,
        keep_caller: bool = False,
    ) -> None:
        """Close a segment: record it, release its agent, clean up its legs and bridge."""

    @abstractmethod
    def enqueue(self, call: Call, queue_name: str, *, fresh: bool) -> None:
        """Put a call in a queue (join rules, holding bridge, routing)."""

    @abstractmethod
    def make_available(self, call: Call) -> None:
        """Let agents be offered this queued call, at its own place in line."""

    @abstractmethod
    def exit_call(self, call: Call, reason: ExitReason) -> None:
        """The call leaves its queue unanswered by a rule."""

    @abstractmethod
    def offered_leg_gone(self, offer: Offer, cause: int | None, cause_txt: str) -> None:
        """An agent leg under offer ended before answering."""

    @abstractmethod
    def bridge_call(self, call: Call, channels: tuple[str, ...]) -> None:
        """Put the call's channels in a mixing bridge of its own (a spare one if there is one)."""

    @abstractmethod
    def bridge_vanished(self, call: Call) -> None:
        """The reused bridge was gone: bridge the call's channels in a new one."""

    @abstractmethod
    def release_bridge(self, call: Call, ended: str | None, *, keep_caller: bool) -> None:
        """The call's segment ended: keep its bridge for reuse once empty, or destroy it."""

    @abstractmethod
    def distrust_bridge(self, bridge_id: str) -> None:
        """Something is wrong with the bridge (an add failed, a stranger is in it): never
        hand it out again."""

    @abstractmethod
    def held_party(self, call: Call) -> str:
        """The leg that hears music on hold: the caller (inbound) or the far end (outbound)."""

    @abstractmethod
    def bridge_member_gone(self, channel_id: str) -> None:
        """A channel ended: it has left whatever bridge it was in."""

    @abstractmethod
    def cancel_offers(self, call: Call) -> None:
        """Stop ringing the call's agents without penalising them."""

    @abstractmethod
    def caller_left_waiting(self, call: Call) -> None:
        """The caller hung up while waiting: an abandon."""

    @abstractmethod
    def start_wrapup(self, agent: Agent, seconds: float, require_disposition: bool) -> None:
        """After a call: wrap-up, or straight on when it lasts zero seconds."""

    @abstractmethod
    def finish_wrapup(self, agent: Agent, then: tuple[AgentState, str | None] | None = None) -> None:
        """Close the agent's wrap-up and move it on."""

    @abstractmethod
    def set_reachable(self, agent: Agent, reachable: bool) -> None:
        """The agent's phone registration came or went."""

    @abstractmethod
    def far_end_gone(self, call: Call, cause: int | None, cause_txt: str) -> None:
        """The far end of an outbound call ended."""

    @abstractmethod
    def outbound_agent_gone(self, call: Call) -> None:
        """The agent's own channel of an outbound call ended."""

    @abstractmethod
    def dispatch_call(self, call: Call) -> None:
        """Offer a waiting call to the agent(s) its queue picks."""

    @abstractmethod
    def dispatch_agent(self, agent: Agent) -> None:
        """Give a newly offerable agent the best call it may take."""

    # ------------------------------------------------------------ dispatch loop

    def drain_dirty(self) -> tuple[list[str], list[str]]:
        calls = list(self._dirty_calls)
        agents = list(self._dirty_agents)
        self._dirty_calls.clear()
        self._dirty_agents.clear()
        return calls, agents

    def has_dirty(self) -> bool:
        return bool(self._dirty_calls or self._dirty_agents)

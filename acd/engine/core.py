"""The engine: one deterministic function from (input, now) to effects.

``Engine.handle`` applies one input, then runs the dispatch loop: every call that became
available is offered to the best eligible agent and every agent that became offerable gets the
best call it may take, until nothing more can be matched. So after each input the invariant holds:
no call waits while an eligible agent is offerable (except during an agent's back-off).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from acd.config import AgentSettings, EngineSettings, QueueSettings
from acd.engine.base import CommandRejected
from acd.engine.bridges import BRIDGE_TIMER, CALL_BRIDGE_PREFIX
from acd.engine.effects import AddToBridge, CreateBridge, Effect, Hangup
from acd.engine.inputs import (
    ActionFailed,
    AgentProfile,
    CallerEntered,
    ChannelGone,
    ChannelSwapped,
    DtmfReceived,
    EndpointReachability,
    EndWrapUp,
    HangupCall,
    HoldCall,
    Input,
    LegAnswered,
    LegRinging,
    Login,
    Logout,
    OriginateFailed,
    OutboundRequested,
    PagePresence,
    PhoneHold,
    RemoveAgent,
    Resync,
    SetDisposition,
    SetNotReady,
    SetReady,
    TimerFired,
    TransferCall,
    UnholdCall,
    UpsertAgent,
)
from acd.engine.resync import ResyncFlow
from acd.state.agent import IllegalTransition
from acd.state.call import Call, CallState, EndReason

__all__ = ["CommandRejected", "Engine", "profile_from_settings"]


def profile_from_settings(agent: AgentSettings) -> AgentProfile:
    return AgentProfile(
        agent_id=agent.agent_id,
        name=agent.name or agent.agent_id,
        endpoint=agent.endpoint,
        skills=dict(agent.queues),
        wrapup_override=agent.wrapup_seconds,
    )


#: Call states in which a party sits in a holding bridge (waiting or ringing; on hold).
_WAITS_IN_A_HOLDING_BRIDGE = frozenset({CallState.QUEUED, CallState.OFFERED, CallState.HELD})


class Engine(ResyncFlow):
    """The single owner of agent and call state. Not thread-safe, not async: call it from one task."""

    def __init__(
        self,
        queues: Sequence[QueueSettings],
        settings: EngineSettings,
        *,
        id_factory: Callable[[], str] | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(queues, settings, id_factory=id_factory, seed=seed)
        self._handlers: dict[type[Any], Callable[[Any], None]] = {
            CallerEntered: self.on_caller_entered,
            OutboundRequested: self.on_outbound_requested,
            LegRinging: self.on_leg_ringing,
            LegAnswered: self._on_leg_answered,
            ChannelSwapped: self._on_channel_swapped,
            OriginateFailed: self._on_originate_failed,
            ChannelGone: self.on_channel_gone,
            DtmfReceived: self.on_dtmf,
            PhoneHold: self.on_phone_hold,
            EndpointReachability: self.on_endpoint_reachability,
            ActionFailed: self._on_action_failed,
            Resync: self.on_resync,
            TimerFired: self._on_timer,
            Login: self.on_login,
            Logout: self.on_logout,
            SetReady: self.on_set_ready,
            SetNotReady: self.on_set_not_ready,
            SetDisposition: self.on_set_disposition,
            EndWrapUp: self.on_end_wrapup,
            HoldCall: self.on_hold,
            UnholdCall: self.on_unhold,
            HangupCall: self.on_hangup_command,
            TransferCall: self.on_transfer,
            PagePresence: self.on_page_presence,
            UpsertAgent: self.on_upsert_agent,
            RemoveAgent: self.on_remove_agent,
        }
        self._timer_handlers: dict[str, Callable[[str], None]] = {
            "ring": self.on_ring_timer,
            "wrapup": self.on_wrapup_timer,
            "available": self.on_available_timer,
            "max-wait": self.on_max_wait_timer,
            "tier": self.on_tier_timer,
            "page-gone": self.on_page_gone_timer,
            BRIDGE_TIMER: self.on_bridge_timer,
        }

    def handle(self, inp: Input, now: float) -> list[Effect]:
        """Apply one input at time ``now``; return the effects to carry out, in order.

        A command that cannot be carried out raises :class:`CommandRejected` and changes nothing
        (commands validate before they mutate).
        """
        self.now = now
        self._effects = []
        try:
            self._handlers[type(inp)](inp)
        except IllegalTransition as exc:
            self._effects = []
            raise CommandRejected("conflict", str(exc)) from exc
        except CommandRejected:
            self._effects = []
            raise
        self._dispatch()
        effects = self._effects
        self._effects = []
        return effects

    # ------------------------------------------------------------ routing loop

    def _dispatch(self) -> None:
        while self.has_dirty():
            calls, agents = self.drain_dirty()
            for call in sorted(
                (c for c in (self.calls.get(cid) for cid in calls) if c is not None),
                key=lambda c: (-c.priority, c.entered_at, c.seq),
            ):
                self.dispatch_call(call)
            for agent_id in agents:
                agent = self.agents.get(agent_id)
                if agent is not None:
                    self.dispatch_agent(agent)

    # ------------------------------------------------------------ adapters

    def _on_leg_answered(self, event: LegAnswered) -> None:
        if event.role == "dialed":
            self.on_dialed_answered(event)
        else:
            self.on_leg_answered(event)

    def _on_channel_swapped(self, event: ChannelSwapped) -> None:
        """A stranger now sits in the bridge of one of our channels: that bridge is never
        handed to another call (it is destroyed when its call is over)."""
        bridge_id = self.bridge_of_member.get(event.replaced_id)
        if bridge_id is None:
            call_id = self.call_by_channel.get(event.replaced_id) or self.legs.get(event.replaced_id)
            call = self.calls.get(call_id) if call_id else None
            bridge_id = call.bridge_id if call else None
        if bridge_id is not None and bridge_id.startswith(CALL_BRIDGE_PREFIX):
            self.distrust_bridge(bridge_id)
        if event.then is not None:
            self._handlers[type(event.then)](event.then)

    def _on_originate_failed(self, event: OriginateFailed) -> None:
        call_id = self.legs.get(event.leg_id)
        if call_id is not None:
            call = self.calls.get(call_id)
            self.legs.pop(event.leg_id, None)
            if call is not None:
                self.far_end_gone(call, None, f"{event.status} {event.message}")
            return
        self.on_originate_failed(event)

    def _on_action_failed(self, event: ActionFailed) -> None:
        """A failed action is mostly a race (``raced``: the channel just hung up, and its
        StasisEnd that follows ends the call as what it is, an abandon rather than a failure).

        A call bridge that is missing is made again once; answering or bridging a caller that
        is still here but cannot be handled ends the call rather than leaving it in silence.
        """
        if event.call_id is None:
            return
        if (
            event.action == "add_to_bridge"
            and event.bridge_id is not None
            and event.bridge_id.startswith(CALL_BRIDGE_PREFIX)
            and not event.raced
        ):
            self.distrust_bridge(event.bridge_id)  # gone, or not usable: never handed out again
        call = self.calls.get(event.call_id)
        if call is None or call.state is CallState.ENDED:
            return
        own_bridge = event.bridge_id is not None and event.bridge_id == call.bridge_id
        if event.action == "add_to_bridge" and event.status == 404 and own_bridge:
            if not call.bridge_recreated:
                self.bridge_vanished(call)  # once: a reused bridge destroyed, a failed create
                return
        elif event.action == "add_to_bridge" and event.status == 404 and event.bridge_id is not None:
            self._holding_bridge_missing(call, event.bridge_id, event.channel_id)
            return
        elif event.raced or event.status == 404:
            return  # a gone channel
        if event.action in ("answer", "add_to_bridge") and event.channel_id == call.channel_id:
            self.call_event(call, "failed", action=event.action, status=event.status, detail=event.message)
            self.cancel_offers(call)
            self.emit(Hangup(call.call_id, call.channel_id))
            self.end_call(call, EndReason.FAILED, hung_up=call.channel_id)

    def _holding_bridge_missing(self, call: Call, bridge_id: str, channel_id: str | None) -> None:
        """A holding bridge deleted behind our back (by an operator's ARI script, say): make it
        again with its music and put the party back, once per call, rather than leave the caller
        answered in silence until the next reconnect. Several calls may each make it: the
        second creation is a 409, which the action takes as "already there"."""
        spec = self.holding_bridges().get(bridge_id)
        if spec is None or channel_id is None or call.holding_recreated:
            return
        if call.state not in _WAITS_IN_A_HOLDING_BRIDGE:
            return  # the answer came late: the party has moved on (connected, say); leave it there
        call.holding_recreated = True
        name, moh_class = spec
        self.call_event(call, "holding-bridge-recreated", bridge_id=bridge_id)
        self.emit(CreateBridge(call.call_id, bridge_id, "holding", name, moh_class))
        self.emit(AddToBridge(call.call_id, bridge_id, (channel_id,)))

    def _on_timer(self, event: TimerFired) -> None:
        if self.take_timer(event.key, event.token):
            self._timer_handlers[event.key[0]](event.key[1])

    # ------------------------------------------------------------ views (web, wallboard, metrics)

    def queue_view(self, name: str) -> dict[str, Any]:
        members = self.queue_calls[name]
        counts = self.state_counts[name]
        oldest = members.oldest_entered_at()
        return {
            "queue": name,
            "waiting": len(members.members),
            "oldest_entered_at": oldest,
            "oldest_wait": round(self.now - oldest, 3) if oldest is not None else 0.0,
            "agents": {state.value: n for state, n in counts.items() if n > 0},
        }

    def agents_view(self) -> list[dict[str, Any]]:
        return [self.agent_view(agent) for agent in self.agents.values()]

    def calls_view(self) -> list[dict[str, Any]]:
        return [self.call_view(call) for call in self.calls.values() if call.state is not CallState.ENDED]

"""Surviving restarts and lost WebSockets: snapshot export/restore and reconciliation with ARI.

Calls live in Asterisk, not in our process. Asterisk does not replay events missed while the app's
WebSocket was down (ari-traces k), so after every (re)connect the runner hands the engine the
whole truth (``GET /channels``, ``GET /bridges``) as a :class:`Resync`:

- a call whose caller channel is gone ended while we were away (an abandon if it was waiting);
- an offer whose agent leg is gone failed; one whose leg is already up was answered;
- a channel in our app that we do not know (a restarted daemon) is adopted: from its queue's
  holding bridge as a waiting caller, from a mixing bridge with an agent's phone as a connected
  call, or as a new caller from the Stasis arguments in its dialplan location.

Queue order and agent idle clocks cannot be read from Asterisk; they come from the snapshot the
runner keeps in Redis (:meth:`ResyncFlow.export_snapshot`), restored before the first resync.
"""

from __future__ import annotations

from typing import Any

from acd.engine.agents import AgentFlow
from acd.engine.base import queue_from_holding_bridge
from acd.engine.bridges import BridgePool
from acd.engine.calls import CallControlFlow
from acd.engine.effects import Hangup
from acd.engine.inbound import InboundFlow
from acd.engine.inputs import CallerEntered, ChannelGone, ChannelSnapshot, LegAnswered, Resync
from acd.engine.outbound import OutboundFlow
from acd.state.agent import AgentState
from acd.state.call import Call, CallState, Direction, Offer

S = AgentState
SNAPSHOT_VERSION = 1


def endpoint_of_channel(name: str) -> str:
    """``PJSIP/agent1-00000002`` -> ``PJSIP/agent1`` (Asterisk appends a sequence to the name)."""
    base, dash, suffix = name.rpartition("-")
    return base if dash and suffix and all(c in "0123456789abcdef" for c in suffix.lower()) else name


class ResyncFlow(AgentFlow, InboundFlow, CallControlFlow, OutboundFlow, BridgePool):
    # ------------------------------------------------------------ snapshot

    def export_snapshot(self) -> dict[str, Any]:
        """What Asterisk cannot tell us after a restart: agents' states and idle clocks, and the
        order and entry times of calls. Plain JSON-able data."""
        return {
            "version": SNAPSHOT_VERSION,
            "at": self.now,
            "seq": self._seq,
            "agents": {
                a.agent_id: {
                    "state": a.state.value,
                    "reason": a.reason,
                    "state_since": a.state_since,
                    "ready_since": a.ready_since,
                    "offer_restore_ready_since": a.offer_restore_ready_since,
                    "call_id": a.call_id,
                    "calls_answered": a.calls_answered,
                    "consecutive_missed": a.consecutive_missed,
                    "wrapup_until": a.wrapup_until,
                    "wrapup_required_disposition": a.wrapup_required_disposition,
                    "disposition": a.disposition,
                    "pending": None if a.pending is None else [a.pending[0].value, a.pending[1]],
                    "resume_ready_when_reachable": a.resume_ready_when_reachable,
                    "reachable": a.reachable,
                }
                for a in self.agents.values()
                if a.state is not S.LOGGED_OUT
            },
            "calls": [
                {
                    "call_id": c.call_id,
                    "channel_id": c.channel_id,
                    "direction": c.direction.value,
                    "queue": c.queue,
                    "priority": c.priority,
                    "caller_number": c.caller_number,
                    "caller_name": c.caller_name,
                    "state": c.state.value,
                    "started_at": c.started_at,
                    "entered_at": c.entered_at,
                    "first_entered_at": c.first_entered_at,
                    "seq": c.seq,
                    "transferred_from": c.transferred_from,
                    "agent_id": c.agent_id,
                    "agent_leg": c.agent_leg,
                    "far_leg": c.far_leg,
                    "bridge_id": c.bridge_id,
                    "answered_at": c.answered_at,
                    "hold_started_at": c.hold_started_at,
                    "hold_seconds": c.hold_seconds,
                    "hold_count": c.hold_count,
                    "number": c.number,
                    "version": c.version,
                    "offers": [[o.leg_id, o.agent_id, o.started_at] for o in c.offers.values()],
                }
                for c in self.calls.values()
                if c.state is not CallState.ENDED
            ],
            "segments": dict(self._segments),
        }

    def restore_snapshot(self, data: dict[str, Any]) -> None:
        """Rebuild agents and calls from a snapshot, without effects; a Resync must follow."""
        if data.get("version") != SNAPSHOT_VERSION:
            return
        self._seq = max(self._seq, int(data.get("seq", 0)))
        self._segments.update(data.get("segments", {}))
        for agent_id, saved in data.get("agents", {}).items():
            agent = self.agents.get(agent_id)
            if agent is None:
                continue
            for queue in agent.skills:
                if queue in self.state_counts:
                    self.state_counts[queue][agent.state] -= 1
                    self.state_counts[queue][S(saved["state"])] += 1
            agent.state = S(saved["state"])
            agent.reason = saved["reason"]
            agent.state_since = saved["state_since"]
            agent.ready_since = saved["ready_since"]
            agent.offer_restore_ready_since = saved.get("offer_restore_ready_since")
            agent.call_id = saved["call_id"]
            agent.calls_answered = saved["calls_answered"]
            agent.consecutive_missed = saved["consecutive_missed"]
            agent.wrapup_until = saved["wrapup_until"]
            agent.wrapup_required_disposition = saved["wrapup_required_disposition"]
            agent.disposition = saved["disposition"]
            pending = saved.get("pending")
            agent.pending = None if pending is None else (S(pending[0]), pending[1])
            agent.resume_ready_when_reachable = saved["resume_ready_when_reachable"]
            agent.reachable = saved["reachable"]
            agent.index_version += 1
        for saved in data.get("calls", []):
            call = Call(
                call_id=saved["call_id"],
                channel_id=saved["channel_id"],
                direction=Direction(saved["direction"]),
                queue=saved["queue"] if saved["queue"] in self.queue_settings else None,
                priority=saved["priority"],
                caller_number=saved["caller_number"],
                caller_name=saved["caller_name"],
                state=CallState(saved["state"]),
                started_at=saved["started_at"],
                entered_at=saved["entered_at"],
                first_entered_at=saved["first_entered_at"],
                seq=saved["seq"],
                transferred_from=saved["transferred_from"],
                agent_id=saved["agent_id"],
                agent_leg=saved["agent_leg"],
                far_leg=saved["far_leg"],
                bridge_id=saved["bridge_id"],
                answered_at=saved["answered_at"],
                hold_started_at=saved["hold_started_at"],
                hold_seconds=saved["hold_seconds"],
                hold_count=saved["hold_count"],
                number=saved["number"],
                version=saved["version"],
            )
            self.calls[call.call_id] = call
            self.call_by_channel[call.channel_id] = call.call_id
            for leg in (call.agent_leg, call.far_leg):
                if leg:
                    self.legs[leg] = call.call_id
            for leg_id, agent_id, started in saved["offers"]:
                offer = Offer(leg_id=leg_id, call_id=call.call_id, agent_id=agent_id, started_at=started)
                call.offers[leg_id] = offer
                self.offers[leg_id] = offer
            if call.queue is not None and call.waiting:
                self.queue_calls[call.queue].members[call.call_id] = call

    # ------------------------------------------------------------ reconciliation

    def on_resync(self, event: Resync) -> None:
        self.resyncing = True
        try:
            self._reconcile(event)
        finally:
            self.resyncing = False
        self.resync_bridges(event.bridges, {c.channel_id for c in event.channels})

    def _reconcile(self, event: Resync) -> None:
        present = {c.channel_id: c for c in event.channels}
        bridge_of: dict[str, tuple[str, str, tuple[str, ...]]] = {}
        for bridge in event.bridges:
            for channel_id in bridge.channel_ids:
                bridge_of[channel_id] = (bridge.bridge_id, bridge.bridge_type, bridge.channel_ids)
        # Offers: legs that vanished failed; legs already up in our app were answered.
        for leg_id, offer in list(self.offers.items()):
            leg = present.get(leg_id)
            if leg is None:
                self.offered_leg_gone(offer, None, "gone while disconnected")
            elif leg.state == "Up" and leg.stasis_args is not None:
                self.on_leg_answered(LegAnswered(leg_id, "agent", offer.call_id))
            else:
                self.set_timer("ring", leg_id, self.now + self.settings.ring_guard_seconds + 30.0)
        # Known calls whose legs are gone ended while we were away.
        for call in list(self.calls.values()):
            if call.state is CallState.ENDED:
                continue
            if call.channel_id not in present:
                self.on_channel_gone_id(call.channel_id)
                continue
            for other_leg in (call.agent_leg, call.far_leg):
                if other_leg and other_leg not in present and call.state.value != "ended":
                    self.on_channel_gone_id(other_leg)
        # Restored waiting calls become available again, in their saved order.
        for call in sorted(self.calls.values(), key=lambda c: (c.entered_at, c.seq)):
            if call.state is CallState.QUEUED and call.queue is not None:
                self.make_available(call)
        # Agents whose restored timers must run again.
        for agent in self.agents.values():
            if agent.state is S.WRAP_UP and agent.wrapup_until is not None:
                self.set_timer("wrapup", agent.agent_id, max(self.now, agent.wrapup_until))
            elif agent.state is S.READY:
                self.reindex_agent(agent)
            elif agent.state in (S.ON_CALL, S.ON_HOLD, S.OFFERED) and (
                agent.call_id is None or agent.call_id not in self.calls
            ):
                self.move_agent(agent, S.READY, ready_since=agent.offer_restore_ready_since)
        known = set(self.call_by_channel) | set(self.offers) | set(self.legs)
        for channel in event.channels:
            if channel.channel_id not in known and channel.stasis_args is not None:
                self.adopt(channel, bridge_of.get(channel.channel_id), present)
        if event.reachable_endpoints is not None:
            # "online" is proof of a reachable contact; "offline" is not proof of the contrary
            # (a registered, unqualified endpoint reads offline: ari-traces rule 7).
            for agent in self.agents.values():
                if agent.endpoint in event.reachable_endpoints:
                    self.set_reachable(agent, True)

    def on_channel_gone_id(self, channel_id: str) -> None:
        self.on_channel_gone(ChannelGone(channel_id, None, "gone while disconnected"))

    def adopt(
        self,
        channel: ChannelSnapshot,
        bridge: tuple[str, str, tuple[str, ...]] | None,
        present: dict[str, ChannelSnapshot],
    ) -> None:
        """A channel in our app that we do not know (we restarted): take it over."""
        args = channel.stasis_args or ()
        role = args[0] if args else ""
        if role == "inbound" and len(args) >= 2:
            queue = queue_from_holding_bridge(bridge[0]) if bridge else None
            if queue is None:
                queue = args[1]
            if (
                bridge is not None
                and bridge[1] == "mixing"
                and self._adopt_connected(channel, bridge, present, queue)
            ):
                return
            self.now, saved_now = channel.created_at or self.now, self.now
            try:
                self.on_caller_entered(
                    CallerEntered(channel.channel_id, queue, channel.caller_number, channel.caller_name)
                )
            finally:
                self.now = saved_now
            return
        if role in ("agent", "dialed"):
            # A leg of a call we no longer know: nobody will ever bridge it.
            self.emit(Hangup(channel.channel_id, channel.channel_id))

    def _adopt_connected(
        self,
        channel: ChannelSnapshot,
        bridge: tuple[str, str, tuple[str, ...]],
        present: dict[str, ChannelSnapshot],
        queue: str,
    ) -> bool:
        others = [present[c] for c in bridge[2] if c != channel.channel_id and c in present]
        for other in others:
            agent_id = self.agents_by_endpoint.get(endpoint_of_channel(other.name))
            agent = self.agents.get(agent_id) if agent_id else None
            if agent is None or agent.call_id is not None:
                continue
            call = Call(
                call_id=self.new_call_id(channel.channel_id),
                channel_id=channel.channel_id,
                direction=Direction.INBOUND,
                queue=queue if queue in self.queue_settings else None,
                priority=0,
                caller_number=channel.caller_number,
                caller_name=channel.caller_name,
                state=CallState.CONNECTED,
                started_at=channel.created_at,
                entered_at=channel.created_at,
                first_entered_at=channel.created_at,
                seq=self.next_seq(),
                agent_id=agent.agent_id,
                agent_leg=other.channel_id,
                bridge_id=bridge[0],
                answered_at=self.now,
            )
            self.calls[call.call_id] = call
            self.call_by_channel[call.channel_id] = call.call_id
            self.legs[other.channel_id] = call.call_id
            agent.call_id = call.call_id
            if agent.state is S.LOGGED_OUT:
                self.move_agent(agent, S.NOT_READY, "login")
            if agent.state is not S.ON_CALL:
                self.move_agent(agent, S.ON_CALL, adopted=True)
            self.call_event(call, "adopted", bridge_id=bridge[0])
            self.call_record(call)
            return True
        return False

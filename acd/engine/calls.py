"""Call control: connecting, hold, hang-up, blind transfer, and the end of every segment.

Hold by the engine moves the held party to a holding bridge with music (time counted); a hold
the agent's phone does by itself (SIP re-INVITE, ARI ChannelHold) is tracked the same way
without touching the media, since Asterisk already plays MOH to the bridged party.
"""

from __future__ import annotations

from acd.engine.base import HOLD_BRIDGE, SUPERVISORS, CommandRejected, EngineBase, holding_bridge_id
from acd.engine.effects import (
    AddToBridge,
    ContinueInDialplan,
    Hangup,
)
from acd.engine.inputs import ChannelGone, HangupCall, HoldCall, PhoneHold, TransferCall, UnholdCall
from acd.state.agent import Agent, AgentState
from acd.state.call import CALL_ACTIVE_STATES, Call, CallState, Direction, EndReason, ExitReason

S = AgentState


class CallControlFlow(EngineBase):
    # ------------------------------------------------------------ connect

    def connect(self, call: Call, agent: Agent, leg_id: str) -> None:
        assert call.queue is not None
        call.state = CallState.CONNECTED
        call.index_version += 1
        call.agent_id = agent.agent_id
        call.agent_leg = leg_id
        call.answered_at = self.now
        self.legs[leg_id] = call.call_id
        self.cancel_timer("max-wait", call.call_id)
        self.cancel_timer("tier", call.call_id)
        self.queue_calls[call.queue].members.pop(call.call_id, None)
        agent.consecutive_missed = 0
        agent.offer_restore_ready_since = None
        agent.calls_answered += 1
        agent.disposition = None
        self.move_agent(agent, S.ON_CALL)
        self.bridge_call(call, (call.channel_id, leg_id))
        wait = call.wait_seconds(self.now)
        self.call_event(call, "answered", wait=round(wait, 3), leg_id=leg_id, bridge_id=call.bridge_id)
        self.call_record(call)
        self.publish_call(call)
        self.notify_queue(call.queue)

    # ------------------------------------------------------------ commands

    def own_active_call(self, agent_id: str, call_id: str) -> tuple[Agent, Call]:
        """The agent's own connected call, or a refusal: an agent acts only on its own calls."""
        agent = self.agent_or_reject(agent_id)
        call = self.calls.get(call_id)
        if call is None:
            raise CommandRejected("not-found", f"no active call {call_id!r}")
        if call.agent_id != agent_id:
            raise CommandRejected("forbidden", "this call belongs to another agent")
        if call.state not in CALL_ACTIVE_STATES:
            raise CommandRejected("conflict", f"the call is {call.state}, not connected")
        return agent, call

    def on_hold(self, cmd: HoldCall) -> None:
        """The held party moves to a holding bridge with music (the queue's, or the shared hold
        bridge): it hears MOH, and the agent no longer hears it, which music on a channel that
        stays in the call's mixing bridge would not give. One request each way."""
        agent, call = self.own_active_call(cmd.agent_id, cmd.call_id)
        if call.state is CallState.HELD:
            return
        self._hold(agent, call)
        hold_bridge = holding_bridge_id(call.queue) if call.queue in self.queue_settings else HOLD_BRIDGE
        self.emit(AddToBridge(call.call_id, hold_bridge, (self.held_party(call),)))

    def on_unhold(self, cmd: UnholdCall) -> None:
        agent, call = self.own_active_call(cmd.agent_id, cmd.call_id)
        if call.state is not CallState.HELD:
            return
        self._unhold(agent, call)
        if call.bridge_id is not None:
            self.emit(AddToBridge(call.call_id, call.bridge_id, (self.held_party(call),)))

    def on_phone_hold(self, event: PhoneHold) -> None:
        call_id = self.legs.get(event.channel_id)
        call = self.calls.get(call_id) if call_id else None
        if call is None or call.agent_id is None or call.agent_leg != event.channel_id:
            return
        agent = self.agents[call.agent_id]
        if event.held and call.state is CallState.CONNECTED:
            self._hold(agent, call, by_phone=True)
        elif not event.held and call.state is CallState.HELD:
            self._unhold(agent, call)

    def held_party(self, call: Call) -> str:
        """The leg that hears music on hold: the caller (inbound) or the far end (outbound)."""
        if call.direction is Direction.OUTBOUND and call.far_leg is not None:
            return call.far_leg
        return call.channel_id

    def _hold(self, agent: Agent, call: Call, *, by_phone: bool = False) -> None:
        call.state = CallState.HELD
        call.hold_started_at = self.now
        call.hold_count += 1
        self.move_agent(agent, S.ON_HOLD)
        self.call_event(call, "held", by_phone=by_phone)
        self.publish_call(call)

    def _unhold(self, agent: Agent, call: Call) -> None:
        if call.hold_started_at is not None:
            call.hold_seconds += self.now - call.hold_started_at
        call.hold_started_at = None
        call.state = CallState.CONNECTED
        self.move_agent(agent, S.ON_CALL)
        self.call_event(call, "unheld", hold_seconds=round(call.hold_seconds, 3))
        self.publish_call(call)

    def on_hangup_command(self, cmd: HangupCall) -> None:
        _agent, call = self.own_active_call(cmd.agent_id, cmd.call_id)
        self.end_call(call, EndReason.COMPLETED_BY_AGENT)

    def on_transfer(self, cmd: TransferCall) -> None:
        agent, call = self.own_active_call(cmd.agent_id, cmd.call_id)
        if call.direction is not Direction.INBOUND:
            raise CommandRejected("conflict", "only inbound calls can be transferred")
        if cmd.kind == "queue":
            if cmd.target not in self.queue_settings:
                raise CommandRejected("not-found", f"no queue {cmd.target!r}")
            self.call_event(call, "transferred", to_kind="queue", to=cmd.target)
            self.move_to_queue(call, cmd.target, EndReason.TRANSFERRED)
        elif cmd.kind == "agent":
            target = self.agents.get(cmd.target)
            if target is None:
                raise CommandRejected("not-found", f"no agent {cmd.target!r}")
            if target.agent_id == agent.agent_id:
                raise CommandRejected("invalid", "cannot transfer a call to yourself")
            if not target.offerable(self.now):
                raise CommandRejected("conflict", f"agent {target.agent_id} is not ready")
            queue = call.queue if call.queue in target.skills else next(iter(target.skills), None)
            if queue is None:
                raise CommandRejected("conflict", f"agent {target.agent_id} is in no queue")
            self.call_event(call, "transferred", to_kind="agent", to=target.agent_id)
            self.move_to_queue(call, queue, EndReason.TRANSFERRED, target_agent=target.agent_id)
        else:
            number = cmd.target.strip()
            if not number or not all(ch.isdigit() or ch in "+*#" for ch in number) or len(number) > 32:
                raise CommandRejected("invalid", "a transfer number has only digits, +, * and #")
            self.call_event(call, "transferred", to_kind="number", to=number)
            call.exit_reason = ExitReason.TRANSFER
            call.leaving = True
            self.emit(
                ContinueInDialplan(
                    call.call_id,
                    call.channel_id,
                    context=self.settings.transfer_context,
                    extension=number,
                    priority=1,
                    variables={"ACD_TRANSFERRED_BY": agent.agent_id},
                )
            )
            self.end_call(call, EndReason.TRANSFERRED)

    def move_to_queue(
        self, call: Call, queue_name: str, reason: EndReason, *, target_agent: str | None = None
    ) -> None:
        """End this segment and continue the same caller as a new segment in ``queue_name``."""
        successor = Call(
            call_id=self.new_call_id(call.channel_id),
            channel_id=call.channel_id,
            direction=call.direction,
            queue=None,
            priority=self.queue_settings[queue_name].priority,
            caller_number=call.caller_number,
            caller_name=call.caller_name,
            state=CallState.QUEUED,
            started_at=call.started_at,
            entered_at=self.now,
            first_entered_at=call.first_entered_at,
            seq=self.next_seq(),
            transferred_from=call.call_id,
            target_agent=target_agent,
        )
        call.leaving = True
        self.end_call(call, reason, keep_caller=True)
        self.calls[successor.call_id] = successor
        self.call_by_channel[successor.channel_id] = successor.call_id
        self.enqueue(successor, queue_name, fresh=False)

    # ------------------------------------------------------------ hang-ups

    def on_channel_gone(self, event: ChannelGone) -> None:
        channel_id = event.channel_id
        self.bridge_member_gone(channel_id)
        offer = self.offers.get(channel_id)
        if offer is not None:
            self.offered_leg_gone(offer, event.cause, event.cause_txt)
            return
        call_id = self.call_by_channel.get(channel_id)
        if call_id is not None:
            call = self.calls.get(call_id)
            if call is None:
                self.forget_channel(channel_id)
            elif call.leaving:
                self.forget_caller(call)
            elif call.waiting:
                self.caller_left_waiting(call)
            elif call.direction is Direction.OUTBOUND:
                self.outbound_agent_gone(call)
            else:
                self.end_call(call, EndReason.COMPLETED_BY_CALLER, gone=channel_id)
            return
        call_id = self.legs.get(channel_id)
        if call_id is not None:
            call = self.calls.get(call_id)
            self.legs.pop(channel_id, None)
            if call is None:
                return
            if call.direction is Direction.OUTBOUND:
                self.far_end_gone(call, event.cause, event.cause_txt)
            else:
                self.end_call(call, EndReason.COMPLETED_BY_AGENT, gone=channel_id)

    def end_call(
        self,
        call: Call,
        reason: EndReason,
        *,
        gone: str | None = None,
        hung_up: str | None = None,
        keep_caller: bool = False,
    ) -> None:
        """Close a segment. ``gone`` is a leg that has ended (no DELETE for it: it saves a
        request per call and a 404); ``hung_up`` one we have just asked to hang up (no second
        DELETE, but it has not ended yet); ``keep_caller`` leaves the caller in the app."""
        if call.state is CallState.ENDED:
            return
        was_active = call.state in CALL_ACTIVE_STATES
        if call.hold_started_at is not None:
            call.hold_seconds += self.now - call.hold_started_at
            call.hold_started_at = None
        call.state = CallState.ENDED
        call.index_version += 1
        call.end_reason = reason
        call.ended_at = self.now
        for kind in ("max-wait", "tier"):
            self.cancel_timer(kind, call.call_id)
        if call.queue is not None and call.queue in self.queue_calls:
            self.queue_calls[call.queue].members.pop(call.call_id, None)
            self.notify_queue(call.queue)
        for leg in (call.agent_leg, call.far_leg):
            if leg is not None:
                self.legs.pop(leg, None)
                if leg != gone and leg != hung_up:
                    self.emit(Hangup(call.call_id, leg))
        if (
            was_active
            and not keep_caller
            and not call.leaving
            and call.channel_id != gone
            and call.channel_id != hung_up
        ):
            self.emit(Hangup(call.call_id, call.channel_id))
        self.release_bridge(call, gone, keep_caller=keep_caller)
        self.call_event(call, "ended", reason=reason.value)
        self.notify(SUPERVISORS, "call.ended", call_id=call.call_id, queue=call.queue, reason=reason.value)
        agent = self.agents.get(call.agent_id) if call.agent_id else None
        if agent is not None and agent.call_id == call.call_id and agent.state in (S.ON_CALL, S.ON_HOLD):
            # The agent's wrap-up closes the record (now, or when the wrap-up ends).
            self.notify(f"agent:{agent.agent_id}", "call.ended", call_id=call.call_id, reason=reason.value)
            self._after_call(agent, call)
            return
        self.call_record(call)
        self.calls.pop(call.call_id, None)
        if not keep_caller and not call.leaving and self.call_by_channel.get(call.channel_id) == call.call_id:
            self.forget_channel(call.channel_id)

    def _after_call(self, agent: Agent, call: Call) -> None:
        if call.direction is Direction.OUTBOUND:
            seconds = self.settings.outbound_wrapup_seconds if call.answered_at is not None else 0.0
            require = False
        else:
            queue = self.queue_settings.get(call.queue or "")
            seconds = (
                agent.wrapup_override
                if agent.wrapup_override is not None
                else (queue.wrapup_seconds if queue else 0.0)
            )
            require = bool(queue and queue.require_disposition)
        self.start_wrapup(agent, seconds, require)

    def wrapup_finished(self, agent: Agent, call_id: str, seconds: float) -> None:
        call = self.calls.pop(call_id, None)
        if call is None:
            return
        if self.call_by_channel.get(call.channel_id) == call_id:
            self.forget_channel(call.channel_id)
        self.call_event(
            call,
            "wrapup-ended",
            agent_id=agent.agent_id,
            seconds=round(seconds, 3),
            disposition=agent.disposition,
        )
        self.call_record(call, disposition=agent.disposition, wrapup=round(seconds, 3))

    def forget_caller(self, call: Call) -> None:
        """The caller we sent elsewhere has left the app; drop what still points at it."""
        if self.call_by_channel.get(call.channel_id) == call.call_id:
            self.forget_channel(call.channel_id)
        if call.state is CallState.ENDED and (call.agent_id is None or call.answered_at is None):
            self.calls.pop(call.call_id, None)

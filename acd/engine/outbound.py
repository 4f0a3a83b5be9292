"""Outbound flow: an agent's phone dials a number; the engine dials it through the trunk context.

The agent's channel enters the app with ``outbound,<number>``. The engine rings it back, dials
``Local/<number>@<outbound_context>`` (so the dialplan owns trunk selection and caller id), and
bridges the two when the far end answers. The agent counts as on call meanwhile; afterwards it
returns to what it was doing, keeping its place in the idle order unless ``outbound_resets_idle``.
"""

from __future__ import annotations

from acd.engine.base import EngineBase
from acd.engine.effects import Answer, Hangup, Originate, Ring
from acd.engine.inbound import caller_id_for
from acd.engine.inputs import LegAnswered, OutboundRequested
from acd.state.agent import AgentState
from acd.state.call import Call, CallState, Direction, EndReason

S = AgentState

_HANGUP_REASON_BY_CAUSE = {17: "busy", 18: "noanswer", 19: "noanswer", 21: "busy", 34: "congestion"}


def valid_number(number: str) -> bool:
    return 0 < len(number) <= 32 and all(ch.isdigit() or ch in "+*#" for ch in number)


class OutboundFlow(EngineBase):
    def on_outbound_requested(self, event: OutboundRequested) -> None:
        lane = event.channel_id
        if event.channel_id in self.call_by_channel:
            return
        agent_id = self.agents_by_endpoint.get(event.endpoint)
        agent = self.agents.get(agent_id) if agent_id else None
        refusal = None
        if agent is None:
            refusal = "unknown-endpoint"
        elif agent.state is S.LOGGED_OUT:
            refusal = "not-logged-in"
        elif agent.state in (S.ON_CALL, S.ON_HOLD):
            refusal = "busy"
        elif not valid_number(event.number):
            refusal = "invalid-number"
        elif agent.state is S.WRAP_UP and agent.wrapup_required_disposition and not agent.disposition:
            refusal = "disposition-required"
        if refusal is not None or agent is None:
            self.emit(Hangup(lane, event.channel_id, "congestion" if refusal != "busy" else "busy"))
            self.notify("supervisors", "call.refused", channel_id=event.channel_id, reason=refusal)
            return
        if agent.state is S.OFFERED:
            self.withdraw_offers_of(agent, "agent-dialed-out")
            self.move_agent(agent, S.READY, ready_since=agent.ready_since)
        if agent.state is S.WRAP_UP:
            self.finish_wrapup(agent)
        before = (agent.state, agent.reason, agent.ready_since)
        call = Call(
            call_id=self.new_call_id(event.channel_id),
            channel_id=event.channel_id,
            direction=Direction.OUTBOUND,
            queue=None,
            priority=0,
            caller_number=event.endpoint,
            caller_name=agent.name,
            state=CallState.DIALING,
            started_at=self.now,
            entered_at=self.now,
            first_entered_at=self.now,
            seq=self.next_seq(),
            number=event.number,
            agent_id=agent.agent_id,
        )
        call.far_leg = self.new_id()
        self.calls[call.call_id] = call
        self.call_by_channel[call.channel_id] = call.call_id
        self.legs[call.far_leg] = call.call_id
        agent.call_id = call.call_id
        agent.before_outbound = before
        self.move_agent(agent, S.ON_CALL, outbound=True)
        caller_id = self.settings.outbound_caller_id or caller_id_for(agent.name, "")
        self.emit(Ring(call.call_id, call.channel_id))
        self.emit(
            Originate(
                lane=call.call_id,
                leg_id=call.far_leg,
                endpoint=f"Local/{event.number}@{self.settings.outbound_context}",
                app_args=f"dialed,{call.call_id}",
                caller_id=caller_id,
                timeout=60,
                variables={"ACD_AGENT": agent.agent_id, "ACD_CALL_ID": call.call_id},
            )
        )
        self.call_event(call, "dialing", number=event.number)
        self.call_record(call)
        self.publish_call(call)

    def on_dialed_answered(self, event: LegAnswered) -> None:
        call = self.calls.get(event.call_id)
        if call is None or call.state is not CallState.DIALING or call.far_leg != event.leg_id:
            self.emit(Hangup(event.call_id, event.leg_id))
            return
        call.state = CallState.CONNECTED
        call.answered_at = self.now
        self.emit(Answer(call.call_id, call.channel_id))
        self.bridge_call(call, (call.channel_id, event.leg_id))
        self.call_event(call, "answered", wait=0.0, leg_id=event.leg_id, bridge_id=call.bridge_id)
        self.call_record(call)
        self.publish_call(call)

    def far_end_gone(self, call: Call, cause: int | None, cause_txt: str) -> None:
        """The dialled party hung up, was busy, did not answer, or could not be reached."""
        if call.state is CallState.DIALING:
            reason = _HANGUP_REASON_BY_CAUSE.get(cause or 0, "normal")
            self.emit(Hangup(call.call_id, call.channel_id, reason))
            self.call_event(call, "dial-failed", cause=cause, cause_txt=cause_txt)
            call.leaving = True  # we hang the agent's channel up ourselves
            self.end_call(call, EndReason.FAILED, gone=call.far_leg)
        else:
            self.end_call(call, EndReason.COMPLETED_BY_CALLER, gone=call.far_leg)

    def outbound_agent_gone(self, call: Call) -> None:
        """The agent hung up its own outbound call (before or after the far end answered)."""
        self.end_call(call, EndReason.COMPLETED_BY_AGENT, gone=call.channel_id)

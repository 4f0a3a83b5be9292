"""Inbound flow: a caller joins a queue, waits, is offered to agents, and is connected.

An offer is a reservation of exactly one agent for exactly one call, made and released only here.
Every way an offer can end (answered, rejected, rang out, originate failed, caller gone, agent
withdrew) goes through :meth:`InboundFlow.end_offer`, which returns the agent and the call to the
right state, so no failure path can leak a reservation.
"""

from __future__ import annotations

from collections.abc import Iterable

from acd.engine.base import EngineBase, holding_bridge_id
from acd.engine.effects import AddToBridge, Answer, ContinueInDialplan, Hangup, Originate
from acd.engine.inputs import CallerEntered, DtmfReceived, LegAnswered, LegRinging, OriginateFailed
from acd.routing.waiting import allowed_level, next_tier_at
from acd.state.agent import REASON_MISSED_CALL, REASON_UNREACHABLE, Agent, AgentState
from acd.state.call import Call, CallState, Direction, EndReason, ExitReason, Offer

S = AgentState

# Offer results, as counted in acd_offers_total{result}.
ANSWERED = "answered"
REJECTED = "rejected"
TIMEOUT = "timeout"
FAILED = "failed"
CANCELED = "canceled"

# Q.850 causes an agent leg ends with before answering.
_BUSY_CAUSES = frozenset({17})
_REJECT_CAUSES = frozenset({21})
_NO_ANSWER_CAUSES = frozenset({18, 19})


def classify_leg_failure(cause: int | None) -> str:
    if cause in _BUSY_CAUSES or cause in _REJECT_CAUSES:
        return REJECTED
    if cause in _NO_ANSWER_CAUSES:
        return TIMEOUT
    return FAILED


def caller_id_for(name: str, number: str) -> str:
    """An originate ``callerId`` from untrusted caller data: no quotes, brackets or controls."""
    clean_name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>\\')[:80].strip()
    clean_number = "".join(ch for ch in number if ch.isalnum() or ch in "+*#")[:40]
    return f'"{clean_name}" <{clean_number}>' if clean_name else f"<{clean_number}>"


class InboundFlow(EngineBase):
    # ------------------------------------------------------------ joining

    def on_caller_entered(self, event: CallerEntered) -> None:
        if event.channel_id in self.call_by_channel:
            return  # a duplicate StasisStart (seen again by a resync): already ours
        queue = self.queue_settings.get(event.queue)
        call = Call(
            call_id=self.new_call_id(event.channel_id),
            channel_id=event.channel_id,
            direction=Direction.INBOUND,
            queue=event.queue if queue else None,
            priority=(queue.priority if queue else 0) if event.priority is None else event.priority,
            caller_number=event.caller_number,
            caller_name=event.caller_name,
            state=CallState.QUEUED,
            started_at=self.now,
            entered_at=self.now,
            first_entered_at=self.now,
            seq=self.next_seq(),
        )
        if queue is None:
            call.state = CallState.ENDED
            call.end_reason = EndReason.FAILED
            call.ended_at = self.now
            self.call_event(call, "failed", reason="unknown-queue", requested_queue=event.queue)
            self.call_record(call)
            self.emit(
                ContinueInDialplan(call.call_id, event.channel_id, variables={"ACD_RESULT": "unknownqueue"})
            )
            return
        self.calls[call.call_id] = call
        self.call_by_channel[call.channel_id] = call.call_id
        start = len(self._effects)
        self.emit(Answer(call.call_id, call.channel_id))
        self.enqueue(call, queue.name, fresh=True)
        if call.state is CallState.QUEUED:
            self.dispatch_call(call)
            # Ring the agent first: the caller's answer and MOH do not have to delay the agent's
            # INVITE (the lane runs in order, so this saves two ARI round trips of latency).
            lane = self._effects[start:]
            originates = [e for e in lane if isinstance(e, Originate)]
            if originates:
                rest = [e for e in lane if not isinstance(e, Originate)]
                self._effects[start:] = [*originates, *rest]

    def enqueue(self, call: Call, queue_name: str, *, fresh: bool) -> None:
        """Put ``call`` in ``queue_name`` (a new caller, a transfer or an overflow)."""
        queue = self.queue_settings[queue_name]
        members = self.queue_calls[queue_name]
        counts = self.state_counts[queue_name]
        logged_in = sum(n for state, n in counts.items() if state is not S.LOGGED_OUT)
        reachable_possible = logged_in - counts[S.NOT_READY]
        exit_reason: ExitReason | None = None
        if queue.max_length is not None and len(members.members) >= queue.max_length:
            exit_reason = ExitReason.FULL
        elif (queue.join_when_empty == "no" and logged_in == 0) or (
            queue.join_when_empty == "strict" and reachable_possible <= 0
        ):
            exit_reason = ExitReason.JOIN_EMPTY
        call.queue = queue_name
        self.call_event(call, "entered-queue", priority=call.priority, first_entered_at=call.first_entered_at)
        self.call_record(call)
        if exit_reason is not None:
            self.exit_call(call, exit_reason)
            return
        members.members[call.call_id] = call
        self.emit(AddToBridge(call.call_id, holding_bridge_id(queue_name), (call.channel_id,)))
        if queue.max_wait is not None:
            self.set_timer("max-wait", call.call_id, call.entered_at + queue.max_wait)
        self.make_available(call)
        self.publish_call(call)
        self.notify_queue(queue_name)

    def make_available(self, call: Call) -> None:
        """The call waits for an agent at its own place in line; look for one now."""
        assert call.queue is not None
        call.state = CallState.QUEUED
        call.index_version += 1
        self.queue_calls[call.queue].push(call)
        self.mark_call_dirty(call)
        tier_at = next_tier_at(self.queue_settings[call.queue], call.entered_at, self.now)
        if tier_at is not None:
            self.set_timer("tier", call.call_id, tier_at)

    # ------------------------------------------------------------ matching

    def dispatch_call(self, call: Call) -> None:
        """Offer a waiting call to the best eligible agent (or, for ring-all, to all of them)."""
        if call.state is not CallState.QUEUED or call.queue is None:
            return
        queue = self.queue_settings[call.queue]
        index = self.queue_agents[call.queue]
        level = allowed_level(queue, self.now - call.entered_at)
        if call.target_agent is not None:
            agent = self.agents.get(call.target_agent)
            call.target_agent = None
            if agent is not None and agent.offerable(self.now):
                self.offer(call, agent)
                return
        if queue.strategy == "ring-all":
            agents = index.all_offerable(level, self.now)
            for agent in agents:
                self.offer(call, agent)
            return
        best = index.best(level, self.now)
        if best is not None:
            self.offer(call, best)

    def dispatch_agent(self, agent: Agent) -> None:
        """Give an agent who just became offerable the best call it may take, across its queues."""
        if not agent.offerable(self.now):
            return
        best: Call | None = None
        for queue_name, level in agent.skills.items():
            calls = self.queue_calls.get(queue_name)
            if calls is None:
                continue
            candidate = calls.head_for_level(level, self.now)
            if candidate is not None and (
                best is None
                or (-candidate.priority, candidate.entered_at, candidate.seq)
                < (-best.priority, best.entered_at, best.seq)
            ):
                best = candidate
        if best is not None:
            self.offer(best, agent)

    def offer(self, call: Call, agent: Agent) -> None:
        assert call.queue is not None
        queue = self.queue_settings[call.queue]
        leg_id = self.new_id()
        offer = Offer(leg_id=leg_id, call_id=call.call_id, agent_id=agent.agent_id, started_at=self.now)
        self.offers[leg_id] = offer
        call.offers[leg_id] = offer
        call.offer_count += 1
        call.state = CallState.OFFERED
        call.index_version += 1
        agent.offer_restore_ready_since = agent.ready_since
        agent.call_id = call.call_id
        self.queue_agents[call.queue].note_offered(agent)
        self.move_agent(agent, S.OFFERED, offer_leg=leg_id)
        if self.settings.agent_caller_id == "queue":
            caller_id = caller_id_for(queue.name, "")
        else:
            caller_id = caller_id_for(call.caller_name, call.caller_number)
        self.emit(
            Originate(
                lane=call.call_id,
                leg_id=leg_id,
                endpoint=agent.endpoint,
                app_args=f"agent,{call.call_id}",
                caller_id=caller_id,
                timeout=max(1, round(queue.ring_timeout)),
                variables={"ACD_QUEUE": queue.name, "ACD_CALL_ID": call.call_id},
            )
        )
        self.set_timer("ring", leg_id, self.now + queue.ring_timeout + self.settings.ring_guard_seconds)
        self.call_event(call, "offered", agent_id=agent.agent_id, leg_id=leg_id)
        self.notify(
            f"agent:{agent.agent_id}",
            "call.offered",
            leg_id=leg_id,
            waited=round(self.now - call.entered_at, 3),
            ring_timeout=queue.ring_timeout,
            **self.call_view(call),
        )
        self.publish_call(call, agent_id=agent.agent_id)

    # ------------------------------------------------------------ offer outcomes

    def on_leg_ringing(self, event: LegRinging) -> None:
        offer = self.offers.get(event.leg_id)
        if offer is not None and not offer.ringing:
            offer.ringing = True
            self.notify(f"agent:{offer.agent_id}", "call.ringing", call_id=offer.call_id, leg_id=event.leg_id)

    def on_leg_answered(self, event: LegAnswered) -> None:
        offer = self.offers.get(event.leg_id)
        call = self.calls.get(offer.call_id) if offer else None
        if offer is None or call is None or call.state is not CallState.OFFERED:
            # Withdrawn while it was being answered (caller hung up, agent logged out...): the
            # leg is ours to end; the agent was already released by the withdrawal.
            if offer is not None:
                self.end_offer(offer, CANCELED)
            self.emit(Hangup(event.call_id, event.leg_id))
            return
        agent = self.agents[offer.agent_id]
        self.end_offer(offer, ANSWERED)
        for other in list(call.offers.values()):  # ring-all: the first to answer wins
            self.end_offer(other, CANCELED)
            self.emit(Hangup(call.call_id, other.leg_id))
        self.connect(call, agent, event.leg_id)

    def on_originate_failed(self, event: OriginateFailed) -> None:
        offer = self.offers.get(event.leg_id)
        if offer is None:
            return
        # 500 "Allocation failed" means the endpoint has no reachable contact (ari-traces h).
        unreachable = event.status == 500 and "allocation" in event.message.lower()
        self.end_offer(offer, FAILED, unreachable=unreachable, detail=f"{event.status} {event.message}")

    def on_ring_timer(self, leg_id: str) -> None:
        """Asterisk's own originate timeout did not end the leg in time: end it ourselves."""
        offer = self.offers.get(leg_id)
        if offer is not None:
            self.end_offer(offer, TIMEOUT, detail="ring guard")
            self.emit(Hangup(offer.call_id, leg_id))

    def offered_leg_gone(self, offer: Offer, cause: int | None, cause_txt: str) -> None:
        self.end_offer(offer, classify_leg_failure(cause), detail=f"{cause} {cause_txt}".strip())

    def end_offer(self, offer: Offer, result: str, *, unreachable: bool = False, detail: str = "") -> None:
        """Release one reservation. The agent and the call go where ``result`` says."""
        self.offers.pop(offer.leg_id, None)
        self.cancel_timer("ring", offer.leg_id)
        call = self.calls.get(offer.call_id)
        agent = self.agents.get(offer.agent_id)
        if call is not None:
            call.offers.pop(offer.leg_id, None)
            event = {ANSWERED: "answered-by-agent", REJECTED: "rejected", TIMEOUT: "rang-out"}.get(
                result, "offer-" + result
            )
            if result != ANSWERED:
                self.call_event(call, event, agent_id=offer.agent_id, leg_id=offer.leg_id, detail=detail)
        if (
            result != ANSWERED
            and agent is not None
            and agent.call_id == offer.call_id
            and agent.state is S.OFFERED
        ):
            self._release_agent(agent, result, unreachable)
        if call is not None and result != ANSWERED and call.state is CallState.OFFERED and not call.offers:
            self.make_available(call)  # same key: the caller keeps its place at the head

    def _release_agent(self, agent: Agent, result: str, unreachable: bool) -> None:
        agent.call_id = None
        restore = agent.offer_restore_ready_since
        agent.offer_restore_ready_since = None
        if result == CANCELED:
            self.move_agent(agent, S.READY, ready_since=restore)
            return
        if unreachable:
            agent.reachable = False
            agent.resume_ready_when_reachable = True
            self.move_agent(agent, S.NOT_READY, REASON_UNREACHABLE)
            return
        if result in (REJECTED, TIMEOUT):
            agent.consecutive_missed += 1
            if agent.consecutive_missed >= self.settings.max_no_answer:
                agent.consecutive_missed = 0
                self.move_agent(agent, S.NOT_READY, REASON_MISSED_CALL)
                return
            delay = self.settings.reject_delay if result == REJECTED else self.settings.no_answer_delay
        else:
            delay = self.settings.busy_delay
        agent.available_at = self.now + delay
        self.move_agent(agent, S.READY, offer_result=result)

    def withdraw_offers_of(self, agent: Agent, why: str) -> None:
        for offer in [o for o in self.offers.values() if o.agent_id == agent.agent_id]:
            call = self.calls.get(offer.call_id)
            if call is not None:
                self.call_event(
                    call, "offer-withdrawn", agent_id=agent.agent_id, leg_id=offer.leg_id, reason=why
                )
            self.offers.pop(offer.leg_id, None)
            self.cancel_timer("ring", offer.leg_id)
            self.emit(Hangup(offer.call_id, offer.leg_id))
            if call is not None:
                call.offers.pop(offer.leg_id, None)
                if call.state is CallState.OFFERED and not call.offers:
                    self.make_available(call)
        agent.call_id = None
        agent.offer_restore_ready_since = None

    # ------------------------------------------------------------ leaving the queue unanswered

    def cancel_offers(self, call: Call) -> None:
        """Stop ringing the call's agents: they did nothing wrong and keep their place in line."""
        for offer in list(call.offers.values()):
            self.end_offer(offer, CANCELED)
            self.emit(Hangup(call.call_id, offer.leg_id))

    def caller_left_waiting(self, call: Call) -> None:
        """The caller hung up while waiting or while an agent rang: an abandon."""
        self.cancel_offers(call)
        waited = self.now - call.entered_at
        short = waited < self.settings.short_abandon_seconds
        self.call_event(call, "abandoned", wait=round(waited, 3), short=short)
        self.end_call(call, EndReason.ABANDONED)

    def exit_call(self, call: Call, reason: ExitReason) -> None:
        """The call leaves its queue unanswered by a rule; overflow or back to the dialplan."""
        self.cancel_offers(call)
        assert call.queue is not None
        queue = self.queue_settings[call.queue]
        waited = self.now - call.entered_at
        call.exit_reason = reason
        self.call_event(call, "exited", reason=reason.value, wait=round(waited, 3))
        target = (
            queue.overflow
            if reason in (ExitReason.TIMEOUT, ExitReason.FULL, ExitReason.JOIN_EMPTY, ExitReason.LEAVE_EMPTY)
            else None
        )
        if target is not None and target.startswith("queue:"):
            self.move_to_queue(call, target.removeprefix("queue:"), EndReason.OVERFLOWED)
            return
        result = {
            ExitReason.TIMEOUT: "timeout",
            ExitReason.FULL: "full",
            ExitReason.JOIN_EMPTY: "joinempty",
            ExitReason.LEAVE_EMPTY: "leaveempty",
            ExitReason.EXIT_KEY: "exitkey",
        }.get(reason, reason.value)
        if target is not None and target.startswith("extension:"):
            context, _, rest = target.removeprefix("extension:").partition(",")
            exten, _, prio = rest.partition(",")
            self.emit(
                ContinueInDialplan(
                    call.call_id,
                    call.channel_id,
                    context=context,
                    extension=exten,
                    priority=int(prio) if prio else 1,
                    variables={"ACD_RESULT": result, "ACD_QUEUE": call.queue},
                )
            )
            call.leaving = True
            self.end_call(call, EndReason.OVERFLOWED)
            return
        self.emit(
            ContinueInDialplan(
                call.call_id, call.channel_id, variables={"ACD_RESULT": result, "ACD_QUEUE": call.queue}
            )
        )
        call.leaving = True
        self.end_call(call, EndReason.TIMEOUT if reason is ExitReason.TIMEOUT else EndReason.EXITED)

    def on_max_wait_timer(self, call_id: str) -> None:
        call = self.calls.get(call_id)
        if call is not None and call.waiting:
            self.exit_call(call, ExitReason.TIMEOUT)

    def on_tier_timer(self, call_id: str) -> None:
        call = self.calls.get(call_id)
        if call is None or call.state is not CallState.QUEUED or call.queue is None:
            return
        self.mark_call_dirty(call)
        tier_at = next_tier_at(self.queue_settings[call.queue], call.entered_at, self.now)
        if tier_at is not None:
            self.set_timer("tier", call.call_id, tier_at)

    def on_dtmf(self, event: DtmfReceived) -> None:
        call_id = self.call_by_channel.get(event.channel_id)
        call = self.calls.get(call_id) if call_id else None
        if call is None or not call.waiting or call.queue is None:
            return
        if self.queue_settings[call.queue].exit_key == event.digit:
            self.exit_call(call, ExitReason.EXIT_KEY)

    def queues_changed(self, queues: Iterable[str]) -> None:
        """Leave-when-empty: when nobody can answer any more, waiting callers leave."""
        for name in queues:
            queue = self.queue_settings.get(name)
            if queue is None or queue.leave_when_empty == "no":
                continue
            counts = self.state_counts[name]
            logged_in = sum(n for state, n in counts.items() if state is not S.LOGGED_OUT)
            possible = logged_in - counts[S.NOT_READY]
            empty = logged_in == 0 if queue.leave_when_empty == "yes" else possible <= 0
            if empty:
                for call in list(self.queue_calls[name].members.values()):
                    if call.waiting:
                        self.exit_call(call, ExitReason.LEAVE_EMPTY)

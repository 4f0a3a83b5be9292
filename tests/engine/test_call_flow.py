"""The inbound call flow and its races, on the sans-I/O engine (no sockets, a hand-driven clock)."""

from __future__ import annotations

from acd.config import EngineSettings, QueueSettings, Strategy
from acd.engine.effects import (
    AddToBridge,
    Answer,
    CallRecord,
    ContinueInDialplan,
    CreateBridge,
    DestroyBridge,
)
from acd.engine.inputs import (
    ActionFailed,
    EndWrapUp,
    HangupCall,
    HoldCall,
    Logout,
    OriginateFailed,
    SetNotReady,
    UnholdCall,
)
from acd.state.agent import AgentState
from acd.state.call import CallState

from .harness import Harness

S = AgentState


def test_first_routed_call_rings_agent_before_answering_caller() -> None:
    h = Harness()
    h.add_agent("alice")
    out = h.caller("c1", name="Ann", number="+15550001")
    kinds = [type(e).__name__ for e in out if type(e).__name__ in ("Originate", "Answer", "AddToBridge")]
    assert kinds == ["Originate", "Answer", "AddToBridge"]
    originate = h.originates(out)[0]
    assert originate.endpoint == "PJSIP/alice"
    assert originate.app_args == "agent,c1"
    assert originate.caller_id == '"Ann" <+15550001>'
    assert originate.timeout == 15
    assert h.of(AddToBridge, out)[0].bridge_id == "acd-queue-support"
    assert h.state("alice") is S.OFFERED


def test_answered_offer_bridges_caller_and_agent_and_caller_hangup_cleans_up() -> None:
    h = Harness()
    h.add_agent("alice")
    h.caller("c1")
    leg = h.last_originate_to("alice").leg_id
    h.advance(1.5)
    out = h.answer(leg)
    bridge = h.of(CreateBridge, out)[0]
    assert bridge.bridge_type == "mixing"
    assert h.of(AddToBridge, out)[0].channel_ids == ("c1", leg)
    assert h.state("alice") is S.ON_CALL
    h.advance(30)
    out = h.gone("c1")
    assert h.hangups(out) == [leg]  # the caller's own leg is gone already: no DELETE for it
    assert not h.of(DestroyBridge, out)  # kept for the next call once the agent leg has left
    assert h.state("alice") is S.WRAP_UP
    assert h.call_events("c1")[-1] == "ended"
    # the agent leg's own StasisEnd that follows only frees the bridge
    out = h.gone(leg)
    assert h.hangups(out) == [] and not h.of(DestroyBridge, out)
    assert h.engine.spare_bridges == [bridge.bridge_id]


def test_agent_hangup_ends_the_call_completed_by_agent() -> None:
    h = Harness()
    h.add_agent("alice")
    h.caller("c1")
    leg = h.last_originate_to("alice").leg_id
    h.answer(leg)
    h.advance(10)
    out = h.gone(leg)
    assert h.hangups(out) == ["c1"]
    rows = [r for r in h.of(CallRecord, out) if r.call_id == "c1"]
    assert not rows  # the row is final when wrap-up ends
    h.advance(10)  # default wrap-up of 10 s
    final = h.call_rows("c1")[-1]
    assert final.end_reason == "completed-by-agent"
    assert final.talk_seconds == 10.0
    assert final.wrapup_seconds == 10.0
    assert h.state("alice") is S.READY


def test_caller_hangs_up_while_agent_rings_agent_keeps_its_place() -> None:
    h = Harness()
    h.add_agent("alice")
    h.advance(5)
    h.add_agent("bob")
    ready_since = h.agent("alice").ready_since
    h.caller("c1")
    leg = h.last_originate_to("alice").leg_id
    h.advance(2.5)
    out = h.gone("c1")
    assert h.hangups(out) == [leg]
    assert h.state("alice") is S.READY
    assert h.agent("alice").ready_since == ready_since  # still the longest idle
    assert "abandoned" in h.call_events("c1")
    h.caller("c2")
    assert h.last_originate_to("alice").app_args == "agent,c2"


def test_agent_answers_in_the_same_instant_the_caller_hangs_up() -> None:
    h = Harness()
    h.add_agent("alice")
    h.caller("c1")
    leg = h.last_originate_to("alice").leg_id
    h.gone("c1")  # the caller's StasisEnd is processed first...
    out = h.answer(leg)  # ...then the agent leg's StasisStart
    assert h.hangups(out) == [leg]
    assert not h.of(CreateBridge, out)
    assert h.state("alice") is S.READY
    assert h.engine.offers == {}


def test_agent_answer_processed_before_caller_hangup_ends_as_a_short_call() -> None:
    h = Harness()
    h.add_agent("alice")
    h.caller("c1")
    leg = h.last_originate_to("alice").leg_id
    h.answer(leg)
    out = h.gone("c1")
    assert h.hangups(out) == [leg]
    assert h.state("alice") is S.WRAP_UP


def test_reject_busy_tries_next_agent_at_once_and_caller_keeps_place() -> None:
    h = Harness()
    h.add_agent("alice")
    h.advance(1)
    h.add_agent("bob")
    h.caller("c1")
    h.advance(0.001)
    h.caller("c2")
    leg = h.last_originate_to("alice").leg_id
    assert h.last_originate_to("bob").app_args == "agent,c2"
    h.advance(0.5)
    out = h.gone(leg, cause=17, cause_txt="User busy")
    # nobody else is free; c1 waits at the head of the line
    assert not h.originates(out)
    assert h.state("alice") is S.READY and not h.agent("alice").offerable(h.now)
    assert [c.call_id for c in h.engine.queue_calls["support"].available()] == ["c1"]
    assert "rejected" in h.call_events("c1")


def test_reject_offers_the_next_ready_agent_immediately() -> None:
    h = Harness()
    h.add_agent("alice")
    h.advance(1)
    h.add_agent("bob")
    h.caller("c1")
    leg = h.last_originate_to("alice").leg_id
    out = h.gone(leg, cause=21, cause_txt="Call Rejected")
    assert [o.endpoint for o in h.originates(out)] == ["PJSIP/bob"]


def test_back_off_then_rejecting_agent_is_offered_again() -> None:
    h = Harness(settings=EngineSettings(reject_delay=3.0, busy_delay=3.0))
    h.add_agent("alice")
    h.caller("c1")
    h.gone(h.last_originate_to("alice").leg_id, cause=17)
    assert len(h.originates()) == 1
    h.advance(2.9)
    assert len(h.originates()) == 1
    h.advance(0.2)
    assert len(h.originates()) == 2


def test_rona_takes_agent_to_not_ready_after_max_no_answer() -> None:
    h = Harness(settings=EngineSettings(max_no_answer=2, no_answer_delay=0.0))
    h.add_agent("alice")
    h.caller("c1")
    h.gone(h.last_originate_to("alice").leg_id, cause=19, cause_txt="User alerting, no answer")
    assert h.state("alice") is S.OFFERED  # no back-off configured: offered again at once
    h.gone(h.last_originate_to("alice").leg_id, cause=19, cause_txt="User alerting, no answer")
    assert h.state("alice") is S.NOT_READY
    assert h.agent("alice").reason == "missed-call"
    assert h.engine.calls["c1"].state is CallState.QUEUED


def test_ring_guard_ends_an_offer_asterisk_never_ended() -> None:
    h = Harness(queues=[QueueSettings(name="support", ring_timeout=8)])
    h.add_agent("alice")
    h.caller("c1")
    leg = h.last_originate_to("alice").leg_id
    h.advance(8 + 5 + 0.1)
    assert leg in h.hangups()
    assert "rang-out" in h.call_events("c1")


def test_two_calls_in_the_same_millisecond_with_one_agent() -> None:
    h = Harness()
    h.add_agent("alice")
    h.caller("c1")
    h.caller("c2")
    assert [o.app_args for o in h.originates()] == ["agent,c1"]
    assert h.engine.calls["c2"].state is CallState.QUEUED
    h.answer(h.last_originate_to("alice").leg_id)
    h.gone("c1")
    h.advance(10)  # wrap-up
    assert [o.app_args for o in h.originates()] == ["agent,c1", "agent,c2"]


def test_not_ready_while_ringing_withdraws_offer_and_reoffers_at_once() -> None:
    h = Harness()
    h.add_agent("alice")
    h.advance(1)
    h.add_agent("bob")
    h.caller("c1")
    leg = h.last_originate_to("alice").leg_id
    out = h.feed(SetNotReady("alice", "break"))
    assert leg in h.hangups(out)
    assert [o.endpoint for o in h.originates(out)] == ["PJSIP/bob"]
    assert h.state("alice") is S.NOT_READY
    # the withdrawn leg answering anyway is hung up and changes nothing
    out = h.answer(leg)
    assert h.hangups(out) == [leg]
    assert h.state("alice") is S.NOT_READY


def test_logout_while_ringing_releases_reservation() -> None:
    h = Harness()
    h.add_agent("alice")
    h.caller("c1")
    leg = h.last_originate_to("alice").leg_id
    h.feed(Logout("alice"))
    assert h.state("alice") is S.LOGGED_OUT
    assert leg in h.hangups()
    assert h.engine.offers == {}
    assert h.engine.calls["c1"].state is CallState.QUEUED


def test_logout_during_a_call_is_applied_after_wrap_up() -> None:
    h = Harness()
    h.add_agent("alice")
    h.caller("c1")
    h.answer(h.last_originate_to("alice").leg_id)
    h.feed(Logout("alice"))
    assert h.state("alice") is S.ON_CALL
    h.gone("c1")
    assert h.state("alice") is S.WRAP_UP
    h.advance(10)
    assert h.state("alice") is S.LOGGED_OUT


def test_originate_failure_unregistered_agent_goes_unreachable_and_next_is_tried() -> None:
    h = Harness()
    h.add_agent("alice")
    h.advance(1)
    h.add_agent("bob")
    h.caller("c1")
    leg = h.last_originate_to("alice").leg_id
    out = h.feed(OriginateFailed(leg, 500, "Allocation failed"))
    assert h.state("alice") is S.NOT_READY
    assert h.agent("alice").reason == "unreachable"
    assert [o.endpoint for o in h.originates(out)] == ["PJSIP/bob"]


def test_originate_failure_server_error_or_timeout_backs_off_without_blame() -> None:
    for status in (404, 503, None):
        h = Harness()
        h.add_agent("alice")
        h.caller("c1")
        leg = h.last_originate_to("alice").leg_id
        h.feed(OriginateFailed(leg, status, "boom"))
        assert h.state("alice") is S.READY
        assert h.agent("alice").consecutive_missed == 0
        assert h.engine.calls["c1"].state is CallState.QUEUED


def test_longest_idle_picks_who_became_ready_first_then_agent_id() -> None:
    h = Harness()
    h.add_agent("carol")
    h.add_agent("bob")  # same instant as carol: tie broken by id
    h.advance(1)
    h.add_agent("alice")
    h.caller("c1")
    assert h.originates()[-1].endpoint == "PJSIP/bob"


def test_not_ready_time_does_not_count_as_idle() -> None:
    h = Harness()
    h.add_agent("alice")
    h.advance(1)
    h.add_agent("bob")
    h.advance(1)
    h.feed(SetNotReady("alice", "break"))
    h.advance(1)
    from acd.engine.inputs import SetReady

    h.feed(SetReady("alice"))  # alice's ready stretch starts now: bob has idled longer
    h.caller("c1")
    assert h.originates()[-1].endpoint == "PJSIP/bob"


def test_hold_and_unhold_count_hold_time_and_play_moh() -> None:
    h = Harness()
    h.add_agent("alice")
    h.caller("c1")
    h.answer(h.last_originate_to("alice").leg_id)
    h.advance(5)
    h.feed(HoldCall("alice", "c1"))
    assert h.state("alice") is S.ON_HOLD
    h.advance(7)
    h.feed(UnholdCall("alice", "c1"))
    h.advance(3)
    h.feed(HangupCall("alice", "c1"))
    h.feed(EndWrapUp("alice"))
    final = h.call_rows("c1")[-1]
    assert final.hold_seconds == 7.0
    assert final.talk_seconds == 8.0
    assert "held" in h.call_events("c1") and "unheld" in h.call_events("c1")


def test_unknown_queue_continues_in_dialplan_with_a_result() -> None:
    h = Harness()
    out = h.caller("c1", queue="nope")
    cont = h.of(ContinueInDialplan, out)[0]
    assert cont.variables["ACD_RESULT"] == "unknownqueue"
    assert not h.of(Answer, out)


def test_max_wait_without_overflow_continues_in_dialplan_as_timeout() -> None:
    h = Harness(queues=[QueueSettings(name="support", max_wait=30)])
    h.caller("c1")
    h.advance(30)
    cont = h.of(ContinueInDialplan)[-1]
    assert cont.variables["ACD_RESULT"] == "timeout"
    assert h.call_rows("c1")[-1].end_reason == "timeout"
    assert h.gone("c1") == []  # the StasisEnd of the caller we sent away is not an abandon


def test_round_robin_rotates() -> None:
    h = Harness(queues=[QueueSettings(name="support", strategy=Strategy.ROUND_ROBIN, wrapup_seconds=0)])
    for agent_id in ("a1", "a2", "a3"):
        h.add_agent(agent_id)
    picked = []
    for n in range(6):
        h.caller(f"c{n}")
        leg = h.originates()[-1]
        picked.append(leg.endpoint)
        h.answer(leg.leg_id)
        h.gone(f"c{n}")
    assert picked == ["PJSIP/a1", "PJSIP/a2", "PJSIP/a3"] * 2


def test_ring_all_offers_everyone_and_first_answer_wins() -> None:
    h = Harness(queues=[QueueSettings(name="support", strategy=Strategy.RING_ALL)])
    for agent_id in ("a1", "a2", "a3"):
        h.add_agent(agent_id)
    h.caller("c1")
    legs = [o.leg_id for o in h.originates()]
    assert len(legs) == 3
    out = h.answer(legs[1])
    assert sorted(h.hangups(out)) == sorted([legs[0], legs[2]])
    assert h.state("a2") is S.ON_CALL
    assert h.state("a1") is S.READY and h.state("a3") is S.READY


def ringing_alice() -> tuple[Harness, float, str]:
    """Alice ready since a moment ago, and c1 ringing her: the harness, her ready_since, the leg."""
    h = Harness()
    h.add_agent("alice")
    ready_since = h.engine.agents["alice"].ready_since
    assert ready_since is not None
    h.advance(0.2)
    h.caller("c1")
    return h, ready_since, h.last_originate_to("alice").leg_id


def test_caller_gone_before_its_holding_bridge_add_is_an_abandon_and_the_agent_keeps_its_place() -> None:
    """The CI race: the agent rings first, the caller hangs up while Answer/AddToBridge are in
    flight, and the 400 of the bridge add reaches the engine before the caller's StasisEnd."""
    h, ready_since, leg = ringing_alice()
    gone = ActionFailed("c1", "add_to_bridge", "c1", 400, "Channel not found", "acd-queue-x", raced=True)
    assert h.feed(gone) == []
    assert h.state("alice") is S.OFFERED
    out = h.gone("c1")
    assert h.hangups(out) == [leg]
    assert h.call_rows("c1")[-1].end_reason == "abandoned"
    assert h.state("alice") is S.READY
    assert h.engine.agents["alice"].ready_since == ready_since
    assert not h.engine.offers


def test_a_failed_answer_while_an_agent_rings_stops_the_ringing_without_penalty() -> None:
    h, ready_since, leg = ringing_alice()
    out = h.feed(ActionFailed("c1", "answer", "c1", 500, "Internal Server Error"))
    assert sorted(h.hangups(out)) == sorted([leg, "c1"])
    assert h.call_rows("c1")[-1].end_reason == "failed"
    agent = h.engine.agents["alice"]
    assert agent.state is S.READY and agent.ready_since == ready_since and agent.available_at <= h.now
    assert not h.engine.offers and "c1" not in h.engine.calls


def test_a_failed_answer_ends_the_call_rather_than_leaving_the_caller_in_silence() -> None:
    h = Harness()
    h.caller("c1")
    out = h.feed(ActionFailed("c1", "answer", "c1", 500, "Internal Server Error"))
    assert h.hangups(out) == ["c1"]
    assert h.call_rows("c1")[-1].end_reason == "failed"
    # a 404 is the normal race of a caller who just hung up: its StasisEnd follows, nothing to do
    h.caller("c2")
    assert h.feed(ActionFailed("c2", "answer", "c2", 404, "Channel not found", raced=True)) == []
    assert h.engine.calls["c2"].state is CallState.QUEUED

"""A holding bridge deleted behind our back is made again, with its music, and the party put back."""

from __future__ import annotations

from acd.config import QueueSettings
from acd.engine.base import HOLD_BRIDGE
from acd.engine.effects import AddToBridge, CreateBridge
from acd.engine.inputs import ActionFailed, HoldCall
from acd.state.call import CallState

from .harness import Harness


def test_a_missing_queue_bridge_is_made_again_with_the_queues_music_and_the_caller_put_back() -> None:
    h = Harness(queues=[QueueSettings(name="support", moh_class="jazz")])
    h.caller("c1")
    out = h.feed(ActionFailed("c1", "add_to_bridge", "c1", 404, "Bridge not found", "acd-queue-support"))
    assert h.of(CreateBridge, out) == [
        CreateBridge("c1", "acd-queue-support", "holding", "queue-support", "jazz")
    ]
    assert h.of(AddToBridge, out) == [AddToBridge("c1", "acd-queue-support", ("c1",))]
    assert "holding-bridge-recreated" in h.call_events("c1")
    assert h.engine.calls["c1"].state is CallState.QUEUED


def test_it_is_made_again_once_per_call_and_the_caller_keeps_waiting() -> None:
    h = Harness()
    h.caller("c1")
    h.feed(ActionFailed("c1", "add_to_bridge", "c1", 404, "Bridge not found", "acd-queue-support"))
    out = h.feed(ActionFailed("c1", "add_to_bridge", "c1", 404, "Bridge not found", "acd-queue-support"))
    assert not h.of(CreateBridge, out) and not h.of(AddToBridge, out)  # no loop
    assert not h.hangups(out)
    assert h.engine.calls["c1"].state is CallState.QUEUED  # still routed when an agent is free
    h.add_agent("alice")
    assert h.last_originate_to("alice")


def test_a_caller_put_on_hold_goes_back_into_a_remade_holding_bridge() -> None:
    h = Harness()
    h.add_agent("alice", wrapup=0)
    h.caller("c1")
    h.answer(h.last_originate_to("alice").leg_id)
    h.feed(HoldCall("alice", "c1"))
    out = h.feed(ActionFailed("c1", "add_to_bridge", "c1", 404, "Bridge not found", "acd-queue-support"))
    assert h.of(AddToBridge, out) == [AddToBridge("c1", "acd-queue-support", ("c1",))]
    assert h.engine.calls["c1"].state is CallState.HELD


def test_the_bridges_made_at_connect_and_on_loss_are_the_same_list() -> None:
    h = Harness(queues=[QueueSettings(name="support", moh_class="jazz"), QueueSettings(name="sales")])
    assert h.engine.holding_bridges() == {
        "acd-queue-support": ("queue-support", "jazz"),
        "acd-queue-sales": ("queue-sales", "default"),
        HOLD_BRIDGE: ("hold", "default"),
    }


def test_a_late_404_does_not_pull_a_connected_caller_back_into_the_music() -> None:
    h = Harness()
    h.add_agent("alice", wrapup=0)
    h.caller("c1")
    h.answer(h.last_originate_to("alice").leg_id)  # connected before the holding add's answer came
    out = h.feed(ActionFailed("c1", "add_to_bridge", "c1", 404, "Bridge not found", "acd-queue-support"))
    assert not h.of(CreateBridge, out) and not h.of(AddToBridge, out)
    assert h.engine.calls["c1"].state is CallState.CONNECTED


def test_a_bridge_that_is_not_a_holding_bridge_is_left_to_its_own_rules() -> None:
    h = Harness()
    h.caller("c1")
    out = h.feed(ActionFailed("c1", "add_to_bridge", "c1", 404, "Bridge not found", "someone-elses"))
    assert not h.of(CreateBridge, out)

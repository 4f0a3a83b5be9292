"""Call bridges are reused once provably empty, and destroyed whenever that is not certain."""

from __future__ import annotations

from acd.config import EngineSettings, QueueSettings
from acd.engine.bridges import BRIDGE_TIMER, CALL_BRIDGE_PREFIX
from acd.engine.effects import AddToBridge, CreateBridge, DestroyBridge
from acd.engine.inputs import ActionFailed, BridgeSnapshot, Resync, TransferCall

from .harness import Harness


def connected_call(h: Harness, caller: str, agent: str = "alice") -> str:
    """A caller answered by ``agent``; returns the agent leg."""
    h.caller(caller)
    leg = h.last_originate_to(agent).leg_id
    h.answer(leg)
    return leg


def test_a_call_reuses_the_bridge_of_the_previous_call_once_both_legs_have_ended() -> None:
    h = Harness(settings=EngineSettings(spare_bridges=4))
    h.add_agent("alice", wrapup=0)
    leg = connected_call(h, "c1")
    bridge = h.engine.calls["c1"].bridge_id
    assert bridge is not None and bridge.startswith(CALL_BRIDGE_PREFIX)
    h.gone("c1")
    assert h.engine.spare_bridges == []  # the agent leg is still in it
    h.gone(leg)
    assert h.engine.spare_bridges == [bridge]

    start = len(h.effects)
    leg2 = connected_call(h, "c2")
    second = h.effects[start:]
    assert not h.of(CreateBridge, second)
    assert h.of(AddToBridge, second)[-1] == AddToBridge("c2", bridge, ("c2", leg2))
    assert h.engine.spare_bridges == []
    assert not h.of(DestroyBridge)


def test_without_spares_every_call_creates_and_destroys_its_bridge() -> None:
    h = Harness(settings=EngineSettings(spare_bridges=0))
    h.add_agent("alice", wrapup=0)
    leg = connected_call(h, "c1")
    bridge = h.engine.calls["c1"].bridge_id
    out = h.gone("c1")
    assert h.of(DestroyBridge, out) == [DestroyBridge("c1", str(bridge))]
    h.gone(leg)
    assert h.engine.spare_bridges == [] and not h.engine.bridge_waits


def test_more_empty_bridges_than_spares_are_destroyed() -> None:
    h = Harness(settings=EngineSettings(spare_bridges=1))
    h.add_agent("alice", wrapup=0)
    h.add_agent("bob", wrapup=0)
    leg1 = connected_call(h, "c1", "alice")
    leg2 = connected_call(h, "c2", "bob")
    b1, b2 = h.engine.calls["c1"].bridge_id, h.engine.calls["c2"].bridge_id
    for channel in ("c1", leg1, "c2"):
        h.gone(channel)
    out = h.gone(leg2)
    assert h.engine.spare_bridges == [b1]
    assert h.of(DestroyBridge, out) == [DestroyBridge("c2", str(b2))]


def test_a_member_whose_end_never_comes_gets_the_bridge_destroyed_not_reused() -> None:
    h = Harness(settings=EngineSettings(spare_bridges=4, bridge_release_seconds=10))
    h.add_agent("alice", wrapup=0)
    connected_call(h, "c1")
    bridge = str(h.engine.calls["c1"].bridge_id)
    h.gone("c1")  # the agent leg's StasisEnd is lost
    assert (BRIDGE_TIMER, bridge) in h.timers
    h.advance(10)
    assert h.of(DestroyBridge)[-1] == DestroyBridge("c1", bridge)
    assert h.engine.spare_bridges == [] and not h.engine.bridge_waits
    assert not h.engine.bridge_of_member


def test_a_transfer_destroys_the_bridge_because_the_caller_lives_on_elsewhere() -> None:
    h = Harness(
        queues=[QueueSettings(name="support"), QueueSettings(name="sales")],
        settings=EngineSettings(spare_bridges=4),
    )
    h.add_agent("alice")
    connected_call(h, "c1")
    bridge = str(h.engine.calls["c1"].bridge_id)
    out = h.feed(TransferCall("alice", "c1", "queue", "sales"))
    assert DestroyBridge("c1", bridge) in h.of(DestroyBridge, out)
    assert h.engine.spare_bridges == []


def test_a_reused_bridge_that_vanished_is_replaced_and_the_call_still_bridged() -> None:
    h = Harness(settings=EngineSettings(spare_bridges=4))
    h.add_agent("alice", wrapup=0)
    leg = connected_call(h, "c1")
    old = str(h.engine.calls["c1"].bridge_id)
    h.gone("c1")
    h.gone(leg)
    leg2 = connected_call(h, "c2")
    assert h.engine.calls["c2"].bridge_id == old
    out = h.feed(ActionFailed("c2", "add_to_bridge", "c2", 404, "Bridge not found", old))
    created = h.of(CreateBridge, out)
    assert len(created) == 1 and created[0].bridge_id != old
    assert h.of(AddToBridge, out) == [AddToBridge("c2", created[0].bridge_id, ("c2", leg2))]
    assert h.engine.calls["c2"].bridge_id == created[0].bridge_id
    # a 404 for a bridge created for this very call is not retried (no loop)
    out = h.feed(ActionFailed("c2", "add_to_bridge", "c2", 404, "Bridge not found", created[0].bridge_id))
    assert not h.of(CreateBridge, out)


def test_resync_takes_spares_from_what_asterisk_has_and_leaves_other_apps_bridges_alone() -> None:
    h = Harness(settings=EngineSettings(spare_bridges=2))
    h.engine.spare_bridges[:] = [CALL_BRIDGE_PREFIX + "vanished"]
    bridges = (
        BridgeSnapshot(CALL_BRIDGE_PREFIX + "a", "mixing", "acd-call", ()),
        BridgeSnapshot(CALL_BRIDGE_PREFIX + "busy", "mixing", "acd-call", ("x",)),
        BridgeSnapshot("someone-elses", "mixing", "", ()),
        BridgeSnapshot(CALL_BRIDGE_PREFIX + "b", "mixing", "acd-call", ()),
        BridgeSnapshot(CALL_BRIDGE_PREFIX + "c", "mixing", "acd-call", ()),
    )
    out = h.feed(Resync(channels=(), bridges=bridges))
    assert h.engine.spare_bridges == [CALL_BRIDGE_PREFIX + "a", CALL_BRIDGE_PREFIX + "b"]
    destroyed = [d.bridge_id for d in h.of(DestroyBridge, out)]
    assert destroyed == [CALL_BRIDGE_PREFIX + "c"]
    # the one still holding a channel no call of ours owns is freed when that channel ends
    assert h.engine.bridge_of_member == {"x": CALL_BRIDGE_PREFIX + "busy"}
    h.engine.spare_bridges.pop()
    h.gone("x")
    assert h.engine.spare_bridges == [CALL_BRIDGE_PREFIX + "a", CALL_BRIDGE_PREFIX + "busy"]


def test_resync_frees_a_bridge_whose_last_member_ended_while_disconnected() -> None:
    h = Harness(settings=EngineSettings(spare_bridges=2))
    h.add_agent("alice", wrapup=0)
    connected_call(h, "c1")
    bridge = str(h.engine.calls["c1"].bridge_id)
    h.gone("c1")
    h.feed(Resync(channels=(), bridges=(BridgeSnapshot(bridge, "mixing", "acd-call", ()),)))
    assert h.engine.spare_bridges == [bridge]
    assert not h.engine.bridge_waits and not h.engine.bridge_of_member

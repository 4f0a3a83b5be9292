"""Call bridges are reused once provably empty, and destroyed whenever that is not certain.

The tests after "found by review" are scenarios a review of the first version found (each
failed then).
"""

from __future__ import annotations

import json

from acd.ari.events import parse_event
from acd.config import EngineSettings, QueueSettings
from acd.engine.bridges import BRIDGE_TIMER, CALL_BRIDGE_PREFIX
from acd.engine.effects import AddToBridge, CreateBridge, DestroyBridge, Originate
from acd.engine.inputs import (
    ActionFailed,
    BridgeSnapshot,
    CallerEntered,
    ChannelSnapshot,
    ChannelSwapped,
    HoldCall,
    LegAnswered,
    OutboundRequested,
    Resync,
    TransferCall,
    UnholdCall,
)
from acd.telephony.translate import translate
from tests.ari.samples import CHANNEL, stasis_start

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
    # a second 404 is not retried (no loop): the call ends rather than leave both in silence
    out = h.feed(ActionFailed("c2", "add_to_bridge", "c2", 404, "Bridge not found", created[0].bridge_id))
    assert not h.of(CreateBridge, out)
    assert sorted(h.hangups(out)) == sorted(["c2", leg2])
    assert h.call_rows("c2")[-1].end_reason == "failed"


def test_a_new_bridge_whose_creation_failed_is_created_again_once() -> None:
    h = Harness(settings=EngineSettings(spare_bridges=4))
    h.add_agent("alice", wrapup=0)
    leg = connected_call(h, "c1")
    first = str(h.engine.calls["c1"].bridge_id)
    out = h.feed(ActionFailed("c1", "add_to_bridge", "c1", 404, "Bridge not found", first))
    second = h.engine.calls["c1"].bridge_id
    assert second != first
    assert h.of(AddToBridge, out) == [AddToBridge("c1", str(second), ("c1", leg))]


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


# ---------------------------------------------------------------- found by review


def destroyed(h: Harness) -> set[str]:
    return {d.bridge_id for d in h.of(DestroyBridge)}


def test_reconnect_with_a_full_pool_destroys_a_bridge_and_also_keeps_it_spare() -> None:
    """WebSocket drop; c1 ends while we are away; spares already full. The first loop of
    resync_bridges emits DestroyBridge(B1) (pool full), then the rebuild from GET /bridges, taken
    before that DELETE ran, puts B1 back in the pool. The next call's AddToBridge(B1) (lane c2)
    races the DestroyBridge(B1) (lane c1, behind a Hangup): caller and agent can be ejected."""
    h = Harness(settings=EngineSettings(spare_bridges=1))
    h.add_agent("alice", wrapup=0)
    h.add_agent("bob", wrapup=0)
    leg0 = connected_call(h, "c0", "alice")
    connected_call(h, "c1", "bob")
    b0, b1 = h.engine.calls["c0"].bridge_id, h.engine.calls["c1"].bridge_id
    h.gone("c0")
    h.gone(leg0)
    assert h.engine.spare_bridges == [b0]  # pool full
    # reconnect: c1 and its leg ended while disconnected; both bridges are empty now
    h.feed(
        Resync(
            channels=(),
            bridges=(
                BridgeSnapshot(str(b1), "mixing", "acd-call", ()),
                BridgeSnapshot(str(b0), "mixing", "acd-call", ()),
            ),
        )
    )
    both = destroyed(h) & set(h.engine.spare_bridges)
    assert not both, f"{both} is being destroyed and is spare at once"


def test_stale_snapshot_restart_destroys_a_live_calls_bridge() -> None:
    """Crash at load: the Redis snapshot (saved every 0.25 s) still shows c2 in B2, but c2 ended
    and B2 was reused by c3 (adopted at resync). Freeing stale waits in resync_bridges' first
    loop fills the (empty, fresh) pool and then destroys B2, which c3 is talking in."""
    h1 = Harness(settings=EngineSettings(spare_bridges=1))
    for a in ("alice", "bob", "carol"):
        h1.add_agent(a, wrapup=0)
    connected_call(h1, "c1", "alice")
    leg2 = connected_call(h1, "c2", "bob")
    b1, b2 = h1.engine.calls["c1"].bridge_id, h1.engine.calls["c2"].bridge_id
    snapshot = h1.engine.export_snapshot()
    # after the last save: c2 ends, B2 is reused by c3 (carol)
    h1.gone("c2")
    h1.gone(leg2)
    h1.caller("c3")
    offer = next(iter(h1.engine.calls["c3"].offers.values()))
    leg3, agent3 = offer.leg_id, offer.agent_id
    h1.answer(leg3)
    assert h1.engine.calls["c3"].bridge_id == b2
    # crash; restart from the stale snapshot; c1 ended during the downtime
    h2 = Harness(settings=EngineSettings(spare_bridges=1))
    for a in ("alice", "bob", "carol"):
        h2.add_agent(a, wrapup=0)
    h2.engine.restore_snapshot(snapshot)
    channels = (
        ChannelSnapshot("c3", "PJSIP/trunk-00000003", "Up", "+1555", "Caller", ("inbound", "support"), 1.0),
        ChannelSnapshot(leg3, f"PJSIP/{agent3}-00000004", "Up", "", "", ("agent", "c3"), 2.0),
    )
    h2.feed(
        Resync(
            channels=channels,
            bridges=(
                BridgeSnapshot(str(b1), "mixing", "acd-call", ()),
                BridgeSnapshot(str(b2), "mixing", "acd-call", ("c3", leg3)),
            ),
        )
    )
    call = next(c for c in h2.engine.calls.values() if c.channel_id == "c3")
    assert call.bridge_id == b2  # adopted in B2
    assert b2 not in destroyed(h2), "the live call's bridge was destroyed"


def test_failed_answer_on_outbound_frees_the_bridge_before_the_agent_channel_ended() -> None:
    """_on_action_failed passes gone=<caller> for a channel it has only *asked* to hang up; the
    AddToBridge after the failed Answer still ran (same lane, runner goes on), so that channel
    may be in the bridge. The bridge becomes spare once the far leg ends, before it has left."""
    h = Harness(settings=EngineSettings(spare_bridges=4))
    h.add_agent("alice", wrapup=0)
    h.feed(OutboundRequested("a1", "PJSIP/alice", "+15551234"))
    far = [o for o in h.of(Originate) if o.endpoint.startswith("Local/")][-1].leg_id
    h.feed(LegAnswered(far, "dialed", "a1"))
    bridge = h.engine.calls["a1"].bridge_id
    assert h.of(AddToBridge)[-1] == AddToBridge("a1", str(bridge), ("a1", far))
    h.feed(ActionFailed("a1", "answer", "a1", 500, "Internal Server Error"))
    h.gone(far)
    # "a1" has not ended yet (no ChannelGone), but its bridge is already handed out
    assert bridge not in h.engine.spare_bridges, "spare while a1 may still be in it"


def test_a_foreign_bridge_of_an_adopted_call_is_pooled() -> None:
    """release_bridge pools any bridge, e.g. a pre-upgrade call bridge (no acd-call- prefix) of a
    call restored/adopted across the upgrade; resync later forgets it (prefix filter): a leak,
    and 'bridges of other applications are never touched' does not hold for reuse."""
    h = Harness(settings=EngineSettings(spare_bridges=4))
    h.add_agent("alice", wrapup=0)
    channels = (
        ChannelSnapshot("c9", "PJSIP/trunk-00000009", "Up", "+1555", "Caller", ("inbound", "support"), 1.0),
        ChannelSnapshot("l9", "PJSIP/alice-0000000a", "Up", "", "", ("agent", "old"), 2.0),
    )
    h.feed(
        Resync(channels=channels, bridges=(BridgeSnapshot("legacy-1", "mixing", "call-old", ("c9", "l9")),))
    )
    h.gone("c9")
    h.gone("l9")
    assert "legacy-1" not in h.engine.spare_bridges


def test_a_reused_bridge_whose_add_failed_goes_back_to_the_pool() -> None:
    """Only a 404 on a reused bridge is recovered; any other failure of the add (409 'Bridge not
    in Stasis application', 500) hangs the caller up as FAILED and the bridge is pooled again."""
    h = Harness(settings=EngineSettings(spare_bridges=4))
    h.add_agent("alice", wrapup=0)
    leg = connected_call(h, "c1", "alice")
    b = h.engine.calls["c1"].bridge_id
    h.gone("c1")
    h.gone(leg)
    leg2 = connected_call(h, "c2", "alice")
    assert h.engine.calls["c2"].bridge_id == b
    h.feed(ActionFailed("c2", "add_to_bridge", "c2", 409, "Bridge not in Stasis application", b))
    h.gone(leg2)
    h.gone("c2")
    assert b not in h.engine.spare_bridges, "a bridge that just failed an add is handed out again"


def reused_bridge_call(h: Harness) -> tuple[str, str]:
    """c1 connected and ended, then c2 connected in c1's bridge; returns (bridge, c2's leg)."""
    h.add_agent("alice", wrapup=0)
    leg = connected_call(h, "c1")
    first = h.engine.calls["c1"].bridge_id
    h.gone("c1")
    h.gone(leg)
    leg2 = connected_call(h, "c2")
    bridge = h.engine.calls["c2"].bridge_id
    assert bridge is not None and bridge == first
    return bridge, leg2


def test_a_404_that_arrives_after_the_call_ended_keeps_the_bridge_out_of_the_pool() -> None:
    h = Harness(settings=EngineSettings(spare_bridges=4))
    bridge, leg2 = reused_bridge_call(h)
    h.gone("c2")
    h.gone(leg2)
    assert h.engine.spare_bridges == [bridge]
    h.feed(ActionFailed("c2", "add_to_bridge", "c2", 404, "Bridge not found", bridge))
    assert h.engine.spare_bridges == []


def test_a_vanished_bridge_replaced_during_hold_leaves_the_held_caller_with_its_music() -> None:
    h = Harness(settings=EngineSettings(spare_bridges=4))
    bridge, leg2 = reused_bridge_call(h)
    h.feed(HoldCall("alice", "c2"))
    out = h.feed(ActionFailed("c2", "add_to_bridge", "c2", 404, "Bridge not found", bridge))
    new = h.engine.calls["c2"].bridge_id
    assert h.of(AddToBridge, out) == [AddToBridge("c2", str(new), (leg2,))]
    out = h.feed(UnholdCall("alice", "c2"))
    assert h.of(AddToBridge, out) == [AddToBridge("c2", str(new), ("c2",))]


def test_a_stranger_swapped_into_the_bridge_by_a_phone_transfer_keeps_it_out_of_the_pool() -> None:
    """A SIP transfer done on the agent's phone makes Asterisk swap a new channel into the
    bridge in the agent leg's place; its StasisStart names the replaced channel. That bridge
    may hold a channel whose end we will not see: it is destroyed, never reused."""
    h = Harness(settings=EngineSettings(spare_bridges=4))
    h.add_agent("alice", wrapup=0)
    leg = connected_call(h, "c1")
    bridge = str(h.engine.calls["c1"].bridge_id)
    out = h.feed(ChannelSwapped("local-1", leg, LegAnswered("local-1", "agent", "c1")))
    assert h.hangups(out) == ["local-1"]  # not an offer of ours: as any unknown agent leg
    h.gone(leg)  # the transferring agent leaves
    h.gone("c1")
    assert DestroyBridge("c1", bridge) in h.of(DestroyBridge)
    assert h.engine.spare_bridges == [] and not h.engine.bridge_waits


def test_a_stasis_start_with_replace_channel_becomes_channel_swapped() -> None:
    raw = json.loads(stasis_start("local-1", "agent", "c1"))
    raw["replace_channel"] = {**raw["channel"], "id": "leg-1"}
    event = parse_event(json.dumps(raw))
    assert translate(event) == ChannelSwapped("local-1", "leg-1", LegAnswered("local-1", "agent", "c1"))
    assert translate(parse_event(stasis_start("c2", "inbound", "support"))) == CallerEntered(
        "c2", "support", CHANNEL["caller"]["number"], CHANNEL["caller"]["name"], None
    )

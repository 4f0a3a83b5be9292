"""Mixing bridges for connected calls, reused instead of created and destroyed for every call.

Creating a bridge and destroying it again are two of the ARI requests a call costs; a bridge
whose members have all left is as good as new, so the engine keeps a few empty ones and hands
them to the next calls. A bridge is known to be empty when every channel that was in it has
ended: Asterisk sends ``ChannelLeftBridge`` before ``StasisEnd`` (ari-traces a and b), so a
channel's end proves it has left. Anything less certain is destroyed as before:

* a segment that keeps its caller (a transfer or an overflow moves the caller on, alive);
* a member whose end does not arrive within ``bridge_release_seconds`` (a lost event);
* a bridge something went wrong with: an add failed on it, or Asterisk swapped a channel we
  do not track into it (``StasisStart`` with ``replace_channel``, e.g. a transfer on a phone);
* more empty bridges than ``spare_bridges``.

While a resync is applied, freed bridges are left to it: Asterisk's own list, read after the
reconnect, decides which empty ones become spares (never one we have asked to destroy, whose
DELETE the list may predate, nor one a call adopted by that resync sits in).

Spare bridges carry the ``acd-call-`` prefix, so a restarted daemon finds its empty ones in the
resync (and takes them back) without touching bridges that other applications own.
"""

from __future__ import annotations

from acd.engine.base import EngineBase
from acd.engine.effects import AddToBridge, CreateBridge, DestroyBridge
from acd.engine.inputs import BridgeSnapshot
from acd.state.call import Call, CallState

CALL_BRIDGE_PREFIX = "acd-call-"
BRIDGE_TIMER = "bridge-release"


class BridgePool(EngineBase):
    def bridge_call(self, call: Call, channels: tuple[str, ...]) -> None:
        """Put ``channels`` in a mixing bridge of the call's own: a spare one, or a new one."""
        if self.spare_bridges:
            call.bridge_id = self.spare_bridges.pop()
        else:
            call.bridge_id = CALL_BRIDGE_PREFIX + self.new_id()
            self.emit(CreateBridge(call.call_id, call.bridge_id, "mixing", "acd-call"))
        self.emit(AddToBridge(call.call_id, call.bridge_id, channels))

    def bridge_vanished(self, call: Call) -> None:
        """The call's bridge was not there when its channels were added (a reused one destroyed
        behind our back, or its creation failed): a new bridge for them, once, so that caller
        and agent are not left apart in silence. A party on hold stays with its music."""
        held = self.held_party(call) if call.state is CallState.HELD else None
        parties = (call.channel_id, call.agent_leg or call.far_leg)
        channels = tuple(c for c in parties if c and c != held)
        if call.bridge_id is not None:
            self.doubtful_bridges.discard(call.bridge_id)  # gone: nothing left to destroy
        call.bridge_id = CALL_BRIDGE_PREFIX + self.new_id()
        call.bridge_recreated = True
        self.emit(CreateBridge(call.call_id, call.bridge_id, "mixing", "acd-call"))
        self.emit(AddToBridge(call.call_id, call.bridge_id, channels))
        self.call_event(call, "bridge-recreated", bridge_id=call.bridge_id)

    def distrust_bridge(self, bridge_id: str) -> None:
        """Something is wrong with ``bridge_id`` (an add failed, a stranger was swapped in): it
        is not handed out again (its call's release destroys it instead of keeping it)."""
        self.doubtful_bridges.add(bridge_id)
        if bridge_id in self.spare_bridges:
            self.spare_bridges.remove(bridge_id)
            self.emit(DestroyBridge(bridge_id, bridge_id))

    def release_bridge(self, call: Call, ended: str | None, *, keep_caller: bool) -> None:
        """The call's segment ended: its bridge becomes spare once its members have ended.
        ``ended`` is the one channel whose end has been seen (not one we only asked to hang up)."""
        bridge_id = call.bridge_id
        if bridge_id is None:
            return
        if (
            keep_caller
            or call.leaving
            or self.settings.spare_bridges == 0
            or not bridge_id.startswith(CALL_BRIDGE_PREFIX)  # adopted: not ours to keep
            or bridge_id in self.doubtful_bridges
        ):
            self.doubtful_bridges.discard(bridge_id)
            self._destroy(call.call_id, bridge_id)
            return
        members = {c for c in (call.channel_id, call.agent_leg, call.far_leg) if c and c != ended}
        if not members:
            self._bridge_empty(call.call_id, bridge_id)
            return
        self.bridge_waits[bridge_id] = (call.call_id, members)
        for channel_id in members:
            self.bridge_of_member[channel_id] = bridge_id
        self.set_timer(BRIDGE_TIMER, bridge_id, self.now + self.settings.bridge_release_seconds)

    def bridge_member_gone(self, channel_id: str) -> None:
        bridge_id = self.bridge_of_member.pop(channel_id, None)
        if bridge_id is None:
            return
        lane, members = self.bridge_waits[bridge_id]
        members.discard(channel_id)
        if not members:
            del self.bridge_waits[bridge_id]
            self.cancel_timer(BRIDGE_TIMER, bridge_id)
            self._bridge_empty(lane, bridge_id)

    def on_bridge_timer(self, bridge_id: str) -> None:
        """A member's end never came: the bridge is not known to be empty, so it goes."""
        waiting = self.bridge_waits.pop(bridge_id, None)
        if waiting is None:
            return
        lane, members = waiting
        for channel_id in members:
            self.bridge_of_member.pop(channel_id, None)
        self._destroy(lane, bridge_id)

    def _bridge_empty(self, lane: str, bridge_id: str) -> None:
        if self.resyncing:
            return  # Asterisk's own list decides, once the resync has adopted what it finds
        if bridge_id in self.doubtful_bridges:
            self.doubtful_bridges.discard(bridge_id)
            self._destroy(lane, bridge_id)
        elif len(self.spare_bridges) < self.settings.spare_bridges:
            self.spare_bridges.append(bridge_id)
        else:
            self._destroy(lane, bridge_id)

    def _destroy(self, lane: str, bridge_id: str) -> None:
        self.destroyed_bridges.append(bridge_id)
        self.emit(DestroyBridge(lane, bridge_id))

    def _bridges_in_use(self) -> set[str | None]:
        return {c.bridge_id for c in self.calls.values() if c.state is not CallState.ENDED}

    def resync_bridges(self, bridges: tuple[BridgeSnapshot, ...], present: set[str]) -> None:
        """After a reconnect, the spares are what Asterisk says: our empty call bridges (ours
        from before a restart too), but none we have asked to destroy (``GET /bridges`` may
        predate the DELETE) and none a live call uses; one that vanished is forgotten, one too
        many is destroyed. One of ours that no live call uses but that still holds channels (a
        call that ended as we restarted) waits for them to end like any released bridge."""
        for bridge_id, (_lane, members) in list(self.bridge_waits.items()):
            members.intersection_update(present)
            if not members:  # its members ended while we were away: Asterisk's list decides
                del self.bridge_waits[bridge_id]
                self.cancel_timer(BRIDGE_TIMER, bridge_id)
        self.bridge_of_member = {
            c: b for c, b in self.bridge_of_member.items() if c in present and b in self.bridge_waits
        }
        listed = {b.bridge_id for b in bridges}
        self.doubtful_bridges.intersection_update(listed)
        skip = (
            self._bridges_in_use()
            | set(self.bridge_waits)
            | set(self.destroyed_bridges)
            | self.doubtful_bridges
        )
        self.spare_bridges.clear()
        for bridge in bridges:
            bridge_id = bridge.bridge_id
            if not bridge_id.startswith(CALL_BRIDGE_PREFIX) or bridge_id in skip:
                continue
            if bridge.channel_ids:
                self.bridge_waits[bridge_id] = (bridge_id, set(bridge.channel_ids))
                for channel_id in bridge.channel_ids:
                    self.bridge_of_member[channel_id] = bridge_id
                self.set_timer(BRIDGE_TIMER, bridge_id, self.now + self.settings.bridge_release_seconds)
            elif len(self.spare_bridges) < self.settings.spare_bridges:
                self.spare_bridges.append(bridge_id)
            else:
                self._destroy(bridge_id, bridge_id)

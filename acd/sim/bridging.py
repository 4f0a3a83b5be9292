"""Stasis bridges: create, join, leave, destroy, music on hold, as recorded in traces a-k.

A two-party mixing bridge is where most of the noise comes from: when it forms, Asterisk sets
``BRIDGEPEER``/``BRIDGEPVTCALLID`` on both channels three times and swaps their connected lines
(``ChannelConnectedLine`` for each), and it reports ``native_rtp`` as the technology until one of
them leaves. A channel leaving a mixing bridge it had a peer in gets those variables cleared.
A holding bridge with MOH has an internal announcer channel that sometimes shows up in its channel
list; no event is ever sent for it.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from acd.sim import events as ev
from acd.sim.model import Bridge, Channel, Kind, Party, stamp

if TYPE_CHECKING:
    from acd.sim.pbx import Pbx

_RTP_KINDS = (Kind.CALLER, Kind.AGENT_LEG, Kind.AGENT_OUT)
# Real seconds Asterisk takes to drop the last bridge subscription of a channel that hung up in it.
_UNWIND_SECONDS = 0.02


class BridgeTypeError(ValueError):
    """A bridge type without (or with both) mixing and holding: 500 "Unable to create bridge"."""


class Bridging:
    """Bridge operations of one :class:`~acd.sim.pbx.Pbx`."""

    def __init__(self, pbx: Pbx) -> None:
        self.pbx = pbx

    def create(self, bridge_id: str | None, type_: str, name: str) -> Bridge:
        # stasis_app_bridge_create(): other words are ignored, but it takes exactly one of
        # "mixing" and "holding" (an empty type means mixing).
        kinds = {t.strip() for t in (type_ or "mixing").split(",")}
        holding = "holding" in kinds
        if holding == ("mixing" in kinds):
            raise BridgeTypeError(type_)
        br = Bridge(
            id=bridge_id or self.pbx.ids.uuid(),
            name=name,
            bridge_type="holding" if holding else "mixing",
            technology="holding_bridge" if holding else "simple_bridge",
            creationtime=stamp(),
        )
        self.pbx.bridges[br.id] = br
        # The creating app is not subscribed to a bridge it creates: only subscribeAll sees this.
        self.pbx.router.publish(ev.bridge_event("BridgeCreated", br, stamp()), bridges=[br.id])
        return br

    def peer(self, ch: Channel) -> Channel | None:
        """The other party of a two-party mixing bridge (Asterisk's ast_channel_bridge_peer)."""
        br = ch.bridge
        if br is None or br.bridge_type != "mixing" or len(br.channels) != 2:
            return None
        first, second = br.channels
        return second if first is ch else first

    # --- joining --------------------------------------------------------------------------------

    def add(self, br: Bridge, chans: list[Channel], inhibit_colp: bool = False) -> None:
        """addChannel: each channel leaves its current bridge by itself, then joins ``br``."""
        joined: list[Channel] = []
        for ch in chans:
            if not ch.alive:
                continue
            if ch.bridge is not None:
                self.leave(ch, hangup=False)
            br.channels.append(ch)
            ch.bridge = br
            if ch.app is not None:
                # control_swap_channel_in_bridge() and the Stasis loop each subscribe once.
                self.pbx.router.subscribe_bridge(ch.app, br.id, 2)
            self.pbx.router.publish(
                ev.bridge_channel_event("ChannelEnteredBridge", br, ch, stamp()),
                channels=[ch.id],
                bridges=[br.id],
            )
            joined.append(ch)
        if joined and br.bridge_type == "mixing":
            self._mixing_settle(br, joined[-1], inhibit_colp)
        self.pbx.actors.on_bridge_changed(br)

    def _mixing_settle(self, br: Bridge, newest: Channel, inhibit_colp: bool) -> None:
        chans = br.channels
        if len(chans) == 2:
            older = chans[0] if chans[1] is newest else chans[1]
            self._two_party(older, newest, inhibit_colp)
        elif len(chans) > 2:
            for ch in chans:
                others = ",".join(c.name for c in chans if c is not ch)
                self.pbx.varset(ch, "BRIDGEPEER", others)
        br.technology = self._technology(br)

    def _two_party(self, a: Channel, b: Channel, inhibit_colp: bool) -> None:
        """BRIDGEPEER/BRIDGEPVTCALLID twice, a connected line, once more, the other connected line."""
        pbx = self.pbx

        def peer_vars() -> None:
            for x, y in ((b, a), (a, b)):
                pbx.varset(x, "BRIDGEPEER", y.name)
                if y.protocol_id:
                    pbx.varset(x, "BRIDGEPVTCALLID", y.protocol_id)

        def connected_line(x: Channel) -> None:
            other = a if x is b else b
            x.connected = Party(other.caller.name, other.caller.number)
            pbx.publish_ch(ev.channel_event("ChannelConnectedLine", x, stamp()), x)

        first, second = (a, b) if pbx.variant(5) == 4 else (b, a)  # trace a: a first; b, f, g, j: b
        peer_vars()
        peer_vars()
        if not inhibit_colp:
            connected_line(first)
        peer_vars()
        if not inhibit_colp:
            connected_line(second)

    @staticmethod
    def _technology(br: Bridge) -> str:
        if br.bridge_type == "holding":
            return "holding_bridge"
        count = len(br.channels)
        if count >= 3:
            return "softmix"
        if count == 2 and all(c.kind in _RTP_KINDS for c in br.channels):
            return "native_rtp"
        return "simple_bridge"

    # --- leaving --------------------------------------------------------------------------------

    def leave(self, ch: Channel, hangup: bool) -> None:
        """ChannelLeftBridge; after a hang-up the app stays subscribed to the bridge a moment longer."""
        br = ch.bridge
        if br is None:
            return
        if br.bridge_type == "mixing" and ch.variables.get("BRIDGEPEER"):
            self.pbx.varset(ch, "BRIDGEPEER", "")
            if ch.variables.get("BRIDGEPVTCALLID"):
                self.pbx.varset(ch, "BRIDGEPVTCALLID", "")
        technology = br.technology
        br.channels.remove(ch)
        ch.bridge = None
        self.pbx.router.publish(
            ev.bridge_channel_event("ChannelLeftBridge", br, ch, stamp(), technology),
            channels=[ch.id],
            bridges=[br.id],
        )
        if ch.app is not None:
            router = self.pbx.router
            if hangup:
                router.unsubscribe_bridge(ch.app, br.id)
                loop = asyncio.get_running_loop()
                loop.call_later(_UNWIND_SECONDS, router.unsubscribe_bridge, ch.app, br.id)
            else:
                router.unsubscribe_bridge(ch.app, br.id, 2)
        br.technology = self._technology(br)
        self.pbx.actors.on_bridge_changed(br)

    def destroy(self, br: Bridge, watchers: list[str] | None = None) -> None:
        """DELETE /bridges/{id}: channels are pushed out (they stay in Stasis), BridgeDestroyed to
        the apps subscribed to the bridge (or to ``watchers`` when a restart decides)."""
        router = self.pbx.router
        if watchers is None:
            watchers = [a.name for a in router.apps.values() if a.wants((), (br.id,), None, None)]
        for ch in list(br.channels):
            self.leave(ch, hangup=False)
        br.alive = False
        br.announcer_id = None
        br.moh_class = None
        body = ev.bridge_event("BridgeDestroyed", br, stamp())
        for name in watchers:
            router.send_direct(name, body)
        self.pbx.bridges.pop(br.id, None)
        router.forget_bridge(br.id)
        self.pbx.media.bridge_gone(br)

    # --- music on hold --------------------------------------------------------------------------

    def moh_start(self, br: Bridge, moh_class: str | None) -> None:
        """The first MOH start creates the announcer (an Announcer/ pair: two channel ids)."""
        if br.announcer_id is None:
            self.pbx.ids.uniqueid()
            br.announcer_id = self.pbx.ids.uniqueid()
            br.announcer_visible = self.pbx.rng.random() < self.pbx.config.announcer_visible
        br.moh_class = moh_class or "default"

    def moh_stop(self, br: Bridge) -> bool:
        if br.moh_class is None:
            return False
        br.moh_class = None
        br.announcer_id = None
        return True

"""The simulated Asterisk: channels' lives from creation to ``ChannelDestroyed``, in Stasis and out.

:class:`Pbx` owns the state (channels, bridges, endpoints) and the event sequences that do not
belong to bridging (:mod:`acd.sim.bridging`), dialling (:mod:`acd.sim.dialing`), media
(:mod:`acd.sim.media`) or the scripted parties (:mod:`acd.sim.actors`). Every operation is
synchronous: it mutates state and publishes events in the order Asterisk does (traces a-k), and a
REST handler's events are held by the router until its answer is written (rule 4).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from acd.sim import events as ev
from acd.sim.actors import Actors, CallerScript, PhoneBehaviour, Stats
from acd.sim.bridging import Bridging
from acd.sim.clock import SimClock
from acd.sim.dialing import Dialing
from acd.sim.dialplan import Dialplan
from acd.sim.media import Media
from acd.sim.model import Bridge, Channel, Endpoint, IdFactory, Kind, Party, stamp
from acd.sim.presence import Presence
from acd.sim.stasis import StasisRouter

# The RTP statistics Asterisk sets as channel variables at every hang-up of a channel with media
# (rule 6), and the zero-valued statistics a silent SIPp call produces.
_QOS_ZERO = {
    "RTPAUDIOQOSJITTER": "minrxjitter=000.000000;maxrxjitter=000.000000;avgrxjitter=000.000000;"
    "stdevrxjitter=000.000000;mintxjitter=000.000000;maxtxjitter=000.000000;avgtxjitter=000.000000;"
    "stdevtxjitter=000.000000;",
    "RTPAUDIOQOSLOSS": "  minrxlost=000.000000;  maxrxlost=000.000000;  avgrxlost=000.000000;  "
    "stdevrxlost=000.000000;  mintxlost=000.000000;  maxtxlost=000.000000;  avgtxlost=000.000000;  "
    "stdevtxlost=000.000000;",
    "RTPAUDIOQOSRTT": "     minrtt=000.000000;     maxrtt=000.000000;     avgrtt=000.000000;     "
    "stdevrtt=000.000000;",
    "RTPAUDIOQOSMES": "   minrxmes=000.000000;   maxrxmes=000.000000;   avgrxmes=000.000000;   "
    "stdevrxmes=000.000000;   mintxmes=000.000000;   maxtxmes=000.000000;   avgtxmes=000.000000;   "
    "stdevtxmes=000.000000;",
}


@dataclass(slots=True)
class PbxConfig:
    """What differs between one simulated Asterisk and another."""

    asterisk_id: str = "02:fc:00:00:00:01"
    version: str = "22.10.1"
    trunk: str = "trunk"  # the PJSIP endpoint inbound calls arrive on
    trunk_context: str = "from-trunk"
    # Pick one of the interleavings the traces recorded (Dial vs ChannelStateChange, which
    # ChannelConnectedLine first) at random from the seeded generator; False: always the first.
    vary: bool = True
    # Probability that a bridge's MOH announcer shows in its channel list (traces e, g: yes).
    announcer_visible: float = 0.3
    playback_seconds: float = 2.0
    # After "core restart now", how long events keep flowing before the socket dies (trace j).
    restart_grace: float = 1.1
    far_end: PhoneBehaviour | None = None  # who answers Local/<number>@<context> originates


class Pbx:
    """One simulated Asterisk. Reset by :meth:`reset` when it "restarts"."""

    def __init__(self, config: PbxConfig, clock: SimClock, router: StasisRouter, seed: int) -> None:
        self.config = config
        self.clock = clock
        self.router = router
        self.rng = random.Random(seed)
        self.ids = IdFactory(self.rng)
        self.channels: dict[str, Channel] = {}
        self.bridges: dict[str, Bridge] = {}
        self.endpoints: dict[str, Endpoint] = {}
        self.device_states: dict[str, str] = {}  # Stasis:<name> states set over ARI
        self.startup = time.time()
        self.stats = Stats()
        self.far_end = config.far_end or PhoneBehaviour.answer(delay=1.0)
        self.bridging = Bridging(self)
        self.dialing = Dialing(self)
        self.media = Media(self)
        self.actors = Actors(self)
        self.dialplan = Dialplan(self)
        self.presence = Presence(self)
        self._sip_call = 0
        self.shutting_down = False

    # --- helpers ---------------------------------------------------------------------------------

    def variant(self, count: int) -> int:
        """Which recorded interleaving to produce this time (0 when variation is off)."""
        return self.rng.randrange(count) if self.config.vary else 0

    def publish_ch(self, body: ev.JsonObj, *chans: Channel) -> None:
        self.router.publish(body, channels=[c.id for c in chans])

    def find(self, channel_id: str) -> Channel | None:
        return self.channels.get(channel_id)

    def new_channel(
        self,
        kind: Kind,
        name: str,
        *,
        endpoint: Endpoint | None,
        state: str,
        caller: Party,
        connected: Party,
        context: str,
        exten: str,
        protocol_id: str,
        channel_id: str | None = None,
        app_name: str = "",
        app_data: str = "",
    ) -> Channel:
        ch = Channel(
            id=channel_id or self.ids.uniqueid(),
            name=name,
            kind=kind,
            state=state,
            creationtime=stamp(),
            protocol_id=protocol_id,
            caller=caller,
            connected=connected,
            context=context,
            exten=exten,
            app_name=app_name,
            app_data=app_data,
            endpoint=endpoint,
        )
        self.channels[ch.id] = ch
        if self.router.wants(channels=(ch.id,)):  # only subscribeAll apps know it yet
            self.router.publish(ev.channel_event("ChannelCreated", ch, stamp()), channels=[ch.id])
        if endpoint is not None:
            endpoint.channels[ch.id] = ch
            self.presence.endpoint_changed(endpoint)
        return ch

    def set_state(self, ch: Channel, state: str) -> None:
        if ch.state == state:
            return
        ch.state = state
        if state == "Up":
            ch.ever_up = True
        self.publish_ch(ev.channel_event("ChannelStateChange", ch, stamp()), ch)
        if ch.endpoint is not None:
            self.presence.update_device_state(ch.endpoint)

    def varset(self, ch: Channel, variable: str, value: str) -> None:
        ch.variables[variable] = value
        self.publish_ch(ev.varset(ch, variable, value, stamp()), ch)

    # --- calls arriving ---------------------------------------------------------------------------

    def inbound_call(
        self, app: str, queue: str, number: str, name: str, exten: str, script: CallerScript
    ) -> Channel:
        """A PSTN call on the trunk reaches ``Stasis(app,inbound,<queue>)`` at priority 2."""
        trunk = self.endpoints[f"PJSIP/{self.config.trunk}"]
        self._sip_call += 1
        ch = self.new_channel(
            Kind.CALLER,
            self.ids.pjsip_name(trunk.resource),
            endpoint=trunk,
            state="Ring",
            caller=Party(name, number),
            connected=Party(),
            context=self.config.trunk_context,
            exten=exten,
            protocol_id=f"{self._sip_call}-{4000 + self.rng.randrange(6000)}@127.0.0.1",
        )
        ch.script = script
        ch.priority = 2
        self.stats.placed += 1
        if self.enter_stasis(ch, app, ["inbound", queue]):
            self.actors.on_caller_arrived(ch)
        else:
            # The dialplan's fallback after a failed Stasis() hangs the caller up.
            self.stats.failed += 1
            self.destroy(ch)
        return ch

    def agent_dials_out(self, ep: Endpoint, app: str, number: str) -> Channel:
        """An agent phone calls ``number``: its dialplan sends the call to Stasis(app,outbound,N)."""
        ch = self.new_channel(
            Kind.AGENT_OUT,
            self.ids.pjsip_name(ep.resource),
            endpoint=ep,
            state="Ring",
            caller=Party(ep.caller.name, ep.caller.number),
            connected=Party(),
            context=ep.context,
            exten=number,
            protocol_id=self.ids.uuid(),
        )
        if not self.enter_stasis(ch, app, ["outbound", number]):
            self.destroy(ch)
        return ch

    # --- Stasis ---------------------------------------------------------------------------------

    def enter_stasis(self, ch: Channel, app: str, args: list[str]) -> bool:
        ch.app_name = "Stasis"
        ch.app_data = ",".join([app, *args])
        if not self.router.is_active(app):
            self.varset(ch, "STASISSTATUS", "FAILED")
            return False
        self.varset(ch, "STASISSTATUS", "")
        ch.app = app
        ch.args = list(args)
        ch.in_stasis_once = True
        self.router.send_direct(app, ev.stasis_start(ch, ch.args, stamp()))
        self.router.subscribe_channel(app, ch.id)
        return True

    def leave_stasis(self, ch: Channel) -> None:
        app = ch.app
        if app is None:
            return
        ch.app = None
        self.router.send_direct(app, ev.channel_event("StasisEnd", ch, stamp()))
        self.router.unsubscribe_channel(app, ch.id)

    # --- ending ---------------------------------------------------------------------------------

    def hangup(self, ch: Channel, mode: str, cause: int = 16, tech_cause: int | None = None) -> None:
        """End ``ch``: ``mode`` is "remote" (its party hung up) or "app" (DELETE /channels/{id})."""
        if not ch.alive or self.shutting_down:
            return
        if ch.dialing:
            self.dialing.leg_failed(ch, mode, cause, tech_cause)
            return
        ch.cancel_timers()
        ch.hangup_cause = cause
        ch.tech_cause = tech_cause
        ch.remote_ended = mode == "remote"
        if mode == "app":
            self.rtp_qos(ch)
            self.publish_ch(ev.hangup_request(ch, stamp(), ev.SOFTHANGUP_EXPLICIT, True, None), ch)
        else:
            self.rtp_qos(ch)
            in_mixing = ch.bridge is not None and ch.bridge.bridge_type == "mixing"
            self.publish_ch(ev.hangup_request(ch, stamp(), cause if in_mixing else None, False, None), ch)
        if ch.bridge is not None:
            self.bridging.leave(ch, hangup=True)
        was_in_stasis = ch.app is not None
        self.leave_stasis(ch)
        if was_in_stasis:
            self.varset(ch, "STASISSTATUS", "SUCCESS")
        self.destroy(ch)

    def rtp_qos(self, ch: Channel, bridged_peer: bool = True) -> None:
        """RTPAUDIOQOS* on the channel, *BRIDGED on its two-party bridge peer (traces a, b, f, g)."""
        has_media = ch.kind in (Kind.CALLER, Kind.AGENT_OUT) or (ch.kind == Kind.AGENT_LEG and ch.ever_up)
        if not has_media:
            return
        peer = self.bridging.peer(ch) if bridged_peer else None
        summary = (
            f"ssrc={self.ids.ssrc()};themssrc=0;lp=0;rxjitter=0.000000;rxcount=0;txjitter=0.000000;"
            "txcount=0;rlp=0;rtt=0.000000;rxmes=0.000000;txmes=0.000000"
        )
        values = [("RTPAUDIOQOS", summary), *_QOS_ZERO.items()]
        for variable, value in values:
            self.varset(ch, variable, value)
            if peer is not None:
                self.varset(peer, variable + "BRIDGED", value)

    def destroy(self, ch: Channel) -> None:
        """The channel is gone: ChannelDestroyed reaches apps still subscribed (originated legs)."""
        if not ch.alive:
            return
        ch.alive = False
        ch.dialing = False
        ch.cancel_timers()
        if ch.kind == Kind.AGENT_LEG and not ch.created_by_ari:
            ch.app_name, ch.app_data = "AppDial2", "(Outgoing Line)"
            ch.context = ch.endpoint.context if ch.endpoint is not None else ch.context
            ch.exten, ch.priority = "s", 1
        self.publish_ch(ev.channel_destroyed(ch, stamp()), ch)
        self.channels.pop(ch.id, None)
        self.router.forget_channel(ch.id)
        if ch.endpoint is not None and ch.endpoint.channels.pop(ch.id, None) is not None:
            self.presence.endpoint_changed(ch.endpoint)
        self.media.channel_gone(ch)
        self.actors.channel_gone(ch)
        peer = ch.local_peer
        if peer is not None and peer.alive:
            self.hangup(peer, "remote", ch.hangup_cause)

    def shutdown(self) -> dict[str, list[str]]:
        """``core restart now``: every channel gets a soft hang-up with cause 4 (trace j).

        Returns, per bridge, the apps subscribed to it when the restart began: they are the ones
        told ``BridgeDestroyed`` when the dying Asterisk takes the bridges down.
        """
        watchers = {bid: self.router.bridge_watchers(bid) for bid in self.bridges}
        chans = list(self.channels.values())
        self.channels.clear()  # REST no longer finds them: DELETE answers 404 (trace j)
        self.shutting_down = True
        for ch in chans:
            ch.cancel_timers()
            ch.local_peer = None
            self.publish_ch(ev.hangup_request(ch, stamp(), ev.SOFTHANGUP_SHUTDOWN, True, None), ch)
        for ch in chans:
            if ch.bridge is not None:
                self.bridging.leave(ch, hangup=True)
        stasis = [ch for ch in chans if ch.app is not None]
        for ch in stasis:
            self.leave_stasis(ch)
        for ch in chans:
            if ch in stasis:
                self.varset(ch, "STASISSTATUS", "SUCCESS")
            self.rtp_qos(ch, bridged_peer=False)
            ch.hangup_cause = 16
            self.destroy(ch)
        self.shutting_down = False
        return watchers

    # --- things parties do ----------------------------------------------------------------------

    def answer(self, ch: Channel) -> None:
        if ch.state != "Up":
            self.set_state(ch, "Up")
            self.actors.on_channel_up(ch)

    def dtmf_from_party(self, ch: Channel, digits: str, duration_ms: int = 100, gap: float = 0.25) -> None:
        """The party on ``ch`` presses keys: ChannelDtmfReceived, only while in Stasis."""
        for index, digit in enumerate(digits):
            if index == 0:
                self._dtmf(ch, digit, duration_ms)
            else:
                ch.timers.append(self.clock.later(gap * index, self._dtmf, ch, digit, duration_ms))

    def _dtmf(self, ch: Channel, digit: str, duration_ms: int) -> None:
        if ch.alive and ch.app is not None:
            self.publish_ch(ev.dtmf_received(ch, digit, duration_ms, stamp()), ch)

    def phone_hold(self, ch: Channel, on: bool, musicclass: str | None = None) -> None:
        """The phone puts the call on hold (re-INVITE sendonly): ChannelHold / ChannelUnhold."""
        if ch.held_by_phone == on:
            return
        ch.held_by_phone = on
        if on:
            self.publish_ch(ev.channel_hold(ch, stamp(), musicclass), ch)
        else:
            self.publish_ch(ev.channel_event("ChannelUnhold", ch, stamp()), ch)
        if ch.endpoint is not None:
            self.presence.update_device_state(ch.endpoint)

    def reset(self) -> None:
        """State after a restart: nothing but configuration survives; counters start again."""
        self.channels.clear()
        self.bridges.clear()
        self.device_states.clear()
        self.media.reset()
        self.ids = IdFactory(self.rng)
        self.startup = time.time()
        for ep in self.endpoints.values():
            ep.channels.clear()
            ep.device_state = ep.current_device_state()

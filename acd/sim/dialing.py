"""Outgoing legs: originate (``POST /channels[/{id}]``), create + dial, and Local channels.

An originated leg is created ``Down`` with ``AppDial2 (Outgoing Line)`` as its dialplan, the app is
subscribed to it at once, and it reports ``Dial`` and ``ChannelStateChange`` before it ever enters
Stasis (rule 2). Its end depends on how it ends (main/dial.c, traces c, d, e):

* the phone answers: ``Up``, ``Dial ANSWER``, ``STASISSTATUS ""``, ``StasisStart(appArgs)``;
* 486 / 603: ``ChannelHangupRequest`` (cause 17 / 21 and the SIP code as ``tech_cause``), ``Dial``
  (``BUSY`` / ``NOANSWER``), ``ChannelDestroyed``;
* the originate ``timeout`` runs out: only ``ChannelDestroyed`` (cause 19, tech_cause 480);
* the app deletes it while it rings: soft hang-up (cause 32), ``Dial NOANSWER``, ``ChannelDestroyed``.

REST handlers call a ``prepare_*`` method, build their answer from the ``Down`` snapshot, then call
:meth:`Dialing.launch`, so the answer describes the channel as Asterisk's does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from acd.sim import events as ev
from acd.sim.errors import SimRestError
from acd.sim.model import Channel, Endpoint, Kind, Party, stamp

if TYPE_CHECKING:
    from acd.sim.pbx import Pbx


@dataclass(slots=True)
class OriginateRequest:
    """The parameters of ``POST /channels`` that the simulator honours."""

    endpoint: str = ""
    app: str = ""
    app_args: str = ""
    caller_id: str = ""
    timeout: int = 30
    variables: dict[str, str] = field(default_factory=dict)
    channel_id: str = ""
    other_channel_id: str = ""
    extension: str = ""
    context: str = ""
    priority: int = 0


def parse_callerid(text: str) -> Party:
    """ast_callerid_parse(): ``"Name" <num>``, ``Name <num>``, a bare number, or a bare name."""
    text = text.strip()
    if "<" in text and text.endswith(">"):
        lt = text.index("<")
        name = text[:lt].strip().strip('"').strip()
        number = text[lt + 1 : -1].strip()
        return Party(name, _shrink(number))
    if text and all(c in "0123456789+*#()-. " for c in text):
        return Party("", _shrink(text))
    return Party(text, "")


def _shrink(number: str) -> str:
    """ast_shrink_phone_number(): drop the punctuation people write in numbers."""
    return "".join(c for c in number if c not in "()-. ")


def _timeout_seconds(timeout: int) -> float:
    """The originate ``timeout``: >0 seconds, -1 none, anything else Asterisk's 30 s."""
    if timeout > 0:
        return float(timeout)
    return 0.0 if timeout == -1 else 30.0


class Dialing:
    """Outgoing legs of one :class:`~acd.sim.pbx.Pbx`."""

    def __init__(self, pbx: Pbx) -> None:
        self.pbx = pbx

    # --- creating legs --------------------------------------------------------------------------

    def _split(self, endpoint: str) -> tuple[str, str]:
        if not endpoint:
            raise SimRestError.message(400, "Endpoint must be specified")
        tech, _, resource = endpoint.partition("/")
        if not tech or not resource:
            raise SimRestError.message(400, "Invalid endpoint specified")
        return tech, resource

    def _check_ids(self, *ids: str) -> None:
        for cid in ids:
            if cid and cid in self.pbx.channels:
                raise SimRestError.message(409, "Channel with given unique ID already exists")

    def _pjsip_endpoint(self, resource: str) -> tuple[Endpoint, str]:
        """``agent1`` or ``<number>@trunk``; no endpoint or no contact: Allocation failed (rule 1)."""
        name = resource.partition("@")[2] or resource
        ep = self.pbx.endpoints.get(f"PJSIP/{name}")
        if ep is None or not ep.registered:
            raise SimRestError(500, dict(ev.ALLOCATION_FAILED))
        return ep, resource

    def prepare_originate(self, req: OriginateRequest) -> Channel:
        tech, resource = self._split(req.endpoint)
        if not req.app and not req.extension:
            raise SimRestError.message(400, "Application or extension must be specified")
        self._check_ids(req.channel_id, req.other_channel_id)
        party = parse_callerid(req.caller_id)
        if tech.lower() == "local":
            leg = self._prepare_local(req, resource, party)
        elif tech.upper() == "PJSIP":
            ep, dialstring = self._pjsip_endpoint(resource)
            leg = self.pbx.new_channel(
                Kind.AGENT_LEG,
                self.pbx.ids.pjsip_name(ep.resource),
                endpoint=ep,
                state="Down",
                caller=Party(party.name, party.number),
                connected=Party(party.name, party.number),
                context=ep.context,
                exten="s",
                protocol_id=self.pbx.ids.uuid(),
                channel_id=req.channel_id or None,
                app_name="AppDial2",
                app_data="(Outgoing Line)",
            )
            leg.dialstring = dialstring
            leg.behaviour = ep.behaviour
        else:
            raise SimRestError(500, dict(ev.ALLOCATION_FAILED))
        for name, value in req.variables.items():
            self.pbx.dialplan.write(leg, name, value, emit=False)
        if req.app:
            leg.pending_app = req.app
            leg.pending_args = req.app_args.split(",") if req.app_args else []
            for ch in (leg, leg.local_peer):
                if ch is not None:
                    ch.originated_for = req.app
                    self.pbx.router.subscribe_channel(req.app, ch.id)
        else:
            leg.pending_dialplan = (req.context or "default", req.extension, req.priority or 1)
        leg.dial_timeout = _timeout_seconds(req.timeout)
        return leg

    def _prepare_local(self, req: OriginateRequest, dest: str, party: Party) -> Channel:
        number, _, context = dest.partition("@")
        if not number:
            raise SimRestError(500, dict(ev.ALLOCATION_FAILED))
        context = context or "default"
        base = self.pbx.ids.local_name(dest)
        one = self.pbx.new_channel(
            Kind.LOCAL,
            base + ";1",
            endpoint=None,
            state="Down",
            caller=Party(party.name, party.number),
            connected=Party(party.name, party.number),
            context=context,
            exten=number,
            protocol_id="",
            channel_id=req.channel_id or None,
            app_name="AppDial2",
            app_data="(Outgoing Line)",
        )
        two = self.pbx.new_channel(
            Kind.LOCAL,
            base + ";2",
            endpoint=None,
            state="Ring",
            caller=Party(party.name, party.number),
            connected=Party(),
            context=context,
            exten=number,
            protocol_id="",
            channel_id=req.other_channel_id or None,
            app_name="Dial",
            app_data=f"PJSIP/{number}@{self.pbx.config.trunk}",
        )
        one.local_peer, two.local_peer = two, one
        one.dialstring = dest
        one.behaviour = self.pbx.far_end
        return one

    def prepare_create(
        self, endpoint: str, app: str, app_args: str, channel_id: str, other_id: str
    ) -> Channel:
        """POST /channels/create: a Down channel that enters Stasis at once and waits for /dial."""
        tech, resource = self._split(endpoint)
        if not app:
            raise SimRestError.message(400, "Application must be specified")
        self._check_ids(channel_id, other_id)
        if tech.upper() != "PJSIP":
            raise SimRestError(500, dict(ev.ALLOCATION_FAILED))
        ep, dialstring = self._pjsip_endpoint(resource)
        ch = self.pbx.new_channel(
            Kind.AGENT_LEG,
            self.pbx.ids.pjsip_name(ep.resource),
            endpoint=ep,
            state="Down",
            caller=Party(),
            connected=Party(),
            context="default",
            exten="s",
            protocol_id=self.pbx.ids.uuid(),
            channel_id=channel_id or None,
        )
        ch.created_by_ari = True
        ch.dialstring = dialstring
        ch.behaviour = ep.behaviour
        ch.originated_for = app
        ch.pending_app = app
        ch.pending_args = app_args.split(",") if app_args else []
        self.pbx.router.subscribe_channel(app, ch.id)
        return ch

    def launch(self, leg: Channel) -> None:
        """Start what was prepared: a created channel enters Stasis, an originated one rings."""
        if leg.created_by_ari:
            app, args = leg.pending_app, leg.pending_args
            leg.pending_app = None
            if app is None or not self.pbx.enter_stasis(leg, app, args):
                self.pbx.destroy(leg)
            return
        self._ring(leg, leg.dial_timeout)

    def dial(self, ch: Channel, caller: Channel | None, timeout: int) -> None:
        """POST /channels/{id}/dial on a created channel."""
        if ch.state != "Down":
            raise SimRestError.message(409, "Channel is not in the 'Down' state")
        if not ch.created_by_ari:
            raise SimRestError.message(409, "Dialing a channel not created by ARI")
        ch.dial_caller = caller
        if caller is not None:
            ch.connected = Party(caller.caller.name, caller.caller.number)
        self._ring(ch, float(timeout) if timeout > 0 else 0.0)

    # --- the life of a ringing leg ----------------------------------------------------------------

    def _publish_dial(self, leg: Channel, status: str) -> None:
        caller = leg.dial_caller
        ids = [leg.id] if caller is None else [leg.id, caller.id]
        self.pbx.router.publish(ev.dial(leg, status, leg.dialstring, stamp(), caller), channels=ids)

    def _ring(self, leg: Channel, timeout: float) -> None:
        leg.dialing = True
        if timeout > 0:
            leg.timers.append(self.pbx.clock.later(timeout, self._timed_out, leg))
        variant = self.pbx.variant(3)  # 0: traces a, c, d, e, j; 1: b, g; 2: f
        if variant == 2:
            self.pbx.set_state(leg, "Ringing")
        self._publish_dial(leg, "")
        if variant == 1:
            self._publish_dial(leg, "RINGING")
        if variant != 2:
            self.pbx.set_state(leg, "Ringing")
        if variant != 1:
            self._publish_dial(leg, "RINGING")
        self.pbx.actors.on_ringing(leg)

    def answered(self, leg: Channel) -> None:
        """The phone (or the far end of a Local channel) answered."""
        if not leg.alive or not leg.dialing:
            return
        leg.cancel_timers()
        leg.dialing = False
        peer = leg.local_peer
        if leg.kind == Kind.LOCAL and peer is not None and peer.alive:
            self.pbx.set_state(peer, "Up")
        self.pbx.set_state(leg, "Up")
        self._publish_dial(leg, "ANSWER")
        if leg.pending_app is not None:
            app, args = leg.pending_app, leg.pending_args
            leg.pending_app = None
            if not self.pbx.enter_stasis(leg, app, args):
                self.pbx.hangup(leg, "remote")
                return
        elif leg.pending_dialplan is not None:
            leg.context, leg.exten, leg.priority = leg.pending_dialplan
            leg.app_name, leg.app_data = "", ""
        self.pbx.actors.on_channel_up(leg)

    def _timed_out(self, leg: Channel) -> None:
        if leg.alive and leg.dialing:
            self.leg_failed(leg, "timeout", 19, 480)

    def leg_failed(self, leg: Channel, mode: str, cause: int, tech_cause: int | None) -> None:
        """A ringing leg ends without an answer: how depends on who ended it (module docstring)."""
        if not leg.alive:
            return
        leg.cancel_timers()
        leg.dialing = False
        if mode == "timeout" and leg.app is None:
            leg.hangup_cause, leg.tech_cause = cause, tech_cause
            self.pbx.destroy(leg)  # ast_dial hangs the channel up itself: no request, no Dial
            return
        soft = mode in ("app", "timeout")
        leg.hangup_cause = cause
        leg.tech_cause = None if soft else tech_cause
        request = ev.hangup_request(
            leg, stamp(), ev.SOFTHANGUP_EXPLICIT if soft else cause, soft, None if soft else tech_cause
        )
        self.pbx.publish_ch(request, leg)
        self._publish_dial(leg, ev.dial_status_for_cause(cause))
        if leg.bridge is not None:
            self.pbx.bridging.leave(leg, hangup=True)
        self.pbx.leave_stasis(leg)
        self.pbx.destroy(leg)

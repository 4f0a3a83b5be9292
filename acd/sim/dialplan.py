"""What the simulated dialplan does around Stasis: variables and functions, continue, move, redirect.

There is no real dialplan: a channel sent back to it (``/continue``) stays alive for a while, as if
it talked to whatever the dialplan reached (a transfer destination: the caller's ``talk_time``, else
``linger`` seconds), then hangs up. A redirect ends the channel on this PBX at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from acd.sim import events as ev
from acd.sim.model import Channel, stamp

if TYPE_CHECKING:
    from acd.sim.pbx import Pbx


class FunctionError(Exception):
    """A dialplan function the simulator does not know: Asterisk answers 500."""


class Dialplan:
    """Dialplan-side operations of one :class:`~acd.sim.pbx.Pbx`."""

    def __init__(self, pbx: Pbx, linger: float = 1.0) -> None:
        self.pbx = pbx
        self.linger = linger

    # --- variables and functions ------------------------------------------------------------------

    def read(self, ch: Channel, name: str) -> str | None:
        """A variable's value (None: not set) or a function's result."""
        if not name.endswith(")"):
            return ch.variables.get(name)
        func, _, arg = name[:-1].partition("(")
        func, arg = func.strip().upper(), arg.strip().lower()
        if func in ("CALLERID", "CONNECTEDLINE"):
            party = ch.caller if func == "CALLERID" else ch.connected
            if arg in ("num", "number"):
                return party.number
            if arg == "name":
                return party.name
            if arg == "all":
                return f'"{party.name}" <{party.number}>'
        if func == "CHANNEL":
            values = {"name": ch.name, "uniqueid": ch.id, "state": ch.state, "language": ch.language}
            if arg in values:
                return values[arg]
        raise FunctionError(name)

    def write(self, ch: Channel, name: str, value: str, emit: bool = True) -> None:
        """Set a variable (ChannelVarset) or apply a CALLERID()/CONNECTEDLINE() function."""
        if name.endswith(")"):
            func, _, arg = name[:-1].partition("(")
            func, arg = func.strip().upper(), arg.strip().lower()
            if func in ("CALLERID", "CONNECTEDLINE"):
                party = ch.caller if func == "CALLERID" else ch.connected
                if arg in ("num", "number"):
                    party.number = value
                elif arg == "name":
                    party.name = value
                if func == "CONNECTEDLINE" and emit:
                    self.pbx.publish_ch(ev.channel_event("ChannelConnectedLine", ch, stamp()), ch)
                return
            ch.variables[name] = value
            return
        if emit:
            self.pbx.varset(ch, name, value)
        else:
            ch.variables[name] = value

    # --- leaving Stasis -----------------------------------------------------------------------------

    def continue_(self, ch: Channel, context: str, exten: str, priority: int) -> None:
        """``/continue``: out of the bridge, ``StasisEnd``, then the dialplan has the channel."""
        if ch.bridge is not None:
            self.pbx.bridging.leave(ch, hangup=False)
        if not context and not exten and not priority:
            ch.priority += 1
        else:
            if context:
                ch.context = context
                exten = exten or "s"
            ch.exten = exten or ch.exten
            ch.priority = priority or 1
        subscribed = ch.originated_for is not None
        self.pbx.leave_stasis(ch)
        if subscribed:
            self.pbx.varset(ch, "STASISSTATUS", "SUCCESS")
        script = ch.script
        stay = script.talk_time if script is not None and script.talk_time is not None else self.linger
        ch.timers.append(self.pbx.clock.later(stay, self._dialplan_done, ch))

    def _dialplan_done(self, ch: Channel) -> None:
        if ch.alive:
            ch.remote_ended = True
            self.pbx.destroy(ch)

    def move(self, ch: Channel, app: str, args: list[str]) -> None:
        """``/move``: StasisEnd here, StasisStart there; ApplicationMoveFailed if ``app`` is absent."""
        current = ch.app
        if current is None:
            return
        if not self.pbx.router.is_active(app):
            self.pbx.router.send_direct(current, ev.application_move_failed(ch, app, args, stamp()))
            return
        if ch.bridge is not None:
            self.pbx.bridging.leave(ch, hangup=False)
        self.pbx.leave_stasis(ch)
        if not self.pbx.enter_stasis(ch, app, args):
            self.pbx.destroy(ch)

    def redirect(self, ch: Channel) -> None:
        """``/redirect``: the SIP 302 sends the call elsewhere; on this PBX the channel ends."""
        self.pbx.hangup(ch, "remote")

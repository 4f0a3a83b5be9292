"""The scripted people: agent phones that answer or refuse, callers who wait, press keys, hang up.

A phone's :class:`PhoneBehaviour` decides what it does when a leg to it rings; a caller's
:class:`CallerScript` decides how long they wait, what they press and when they hang up. Both only
schedule actions on the :class:`~acd.sim.clock.SimClock`, so a seeded run is reproducible and a
time scale speeds everything up alike. ``manual`` phones do nothing on their own: a test or the demo
page answers or refuses each ringing leg.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from acd.sim.model import Bridge, Channel, Kind

if TYPE_CHECKING:
    from acd.sim.pbx import Pbx

# SIP answers a phone gives when refusing, by Q.850 cause (what chan_pjsip maps them back to).
SIP_CODE_FOR_CAUSE = {17: 486, 21: 603, 19: 480, 34: 503, 1: 404}
_TALKING_KINDS = (Kind.AGENT_LEG, Kind.AGENT_OUT, Kind.LOCAL)


class Action(StrEnum):
    ANSWER = "answer"
    BUSY = "busy"  # 486 Busy Here
    DECLINE = "decline"  # 603 Decline
    NEVER = "never"  # rings until the originate timeout or the app gives up
    MANUAL = "manual"  # waits for PbxSimulator.answer()/reject() or the control API


@dataclass(frozen=True, slots=True)
class PhoneBehaviour:
    """What a phone does with a ringing leg: act after ``delay`` s; hang up ``talk_time`` s later."""

    action: Action = Action.ANSWER
    delay: float = 1.5
    talk_time: float | None = None

    @classmethod
    def answer(cls, delay: float = 1.5, talk_time: float | None = None) -> PhoneBehaviour:
        return cls(Action.ANSWER, delay, talk_time)

    @classmethod
    def busy(cls, delay: float = 0.5) -> PhoneBehaviour:
        return cls(Action.BUSY, delay)

    @classmethod
    def decline(cls, delay: float = 0.5) -> PhoneBehaviour:
        return cls(Action.DECLINE, delay)

    @classmethod
    def never(cls) -> PhoneBehaviour:
        return cls(Action.NEVER, 0.0)

    @classmethod
    def manual(cls, talk_time: float | None = None) -> PhoneBehaviour:
        return cls(Action.MANUAL, 0.0, talk_time)

    def to_json(self) -> dict[str, Any]:
        return {"action": self.action.value, "delay": self.delay, "talk_time": self.talk_time}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PhoneBehaviour:
        talk = data.get("talk_time")
        return cls(
            Action(data.get("action", "answer")),
            float(data.get("delay", 1.5)),
            None if talk is None else float(talk),
        )


@dataclass(frozen=True, slots=True)
class CallerScript:
    """A caller: abandons after ``patience`` s unless talking to an agent by then; hangs up
    ``talk_time`` s after first reaching an agent; hangs up at ``hangup_after`` s whatever happens;
    presses ``dtmf`` digits at given seconds after the app answers."""

    patience: float | None = None
    talk_time: float | None = None
    hangup_after: float | None = None
    dtmf: tuple[tuple[float, str], ...] = ()


@dataclass(slots=True)
class Stats:
    """Counters a load test reads: what happened to the callers."""

    placed: int = 0
    failed: int = 0  # Stasis() failed: no app connected
    answered: int = 0  # reached an agent
    abandoned: int = 0  # hung up before reaching an agent
    completed: int = 0  # left after talking to an agent
    ended_by_app: int = 0  # the app hung the caller up before any agent

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class Actors:
    """Drives the scripted parties of one :class:`~acd.sim.pbx.Pbx`."""

    def __init__(self, pbx: Pbx) -> None:
        self.pbx = pbx
        self._patience: dict[str, asyncio.TimerHandle] = {}

    def _later(self, ch: Channel, delay: float, callback: Any, *args: Any) -> asyncio.TimerHandle:
        handle = self.pbx.clock.later(delay, callback, *args)
        ch.timers.append(handle)
        return handle

    # --- phones ---------------------------------------------------------------------------------

    def on_ringing(self, leg: Channel) -> None:
        behaviour = leg.behaviour or PhoneBehaviour()
        if behaviour.action == Action.ANSWER:
            self._later(leg, behaviour.delay, self.pbx.dialing.answered, leg)
        elif behaviour.action == Action.BUSY:
            self._later(leg, behaviour.delay, self.reject, leg, 17)
        elif behaviour.action == Action.DECLINE:
            self._later(leg, behaviour.delay, self.reject, leg, 21)

    def answer(self, leg: Channel) -> bool:
        """Answer a ringing leg now (manual phones, tests, the demo page)."""
        if not leg.alive or not leg.dialing:
            return False
        self.pbx.dialing.answered(leg)
        return True

    def reject(self, leg: Channel, cause: int = 17) -> bool:
        """Refuse a ringing leg now: 17 is 486 Busy Here, 21 is 603 Decline."""
        if not leg.alive or not leg.dialing:
            return False
        self.pbx.dialing.leg_failed(leg, "remote", cause, SIP_CODE_FOR_CAUSE.get(cause))
        return True

    def on_channel_up(self, ch: Channel) -> None:
        """An outgoing leg was answered, or the app answered a caller."""
        if ch.kind == Kind.CALLER:
            script = ch.script
            if script is not None:
                for delay, digits in script.dtmf:
                    self._later(ch, delay, self.pbx.dtmf_from_party, ch, digits)
            return
        behaviour = ch.behaviour
        if behaviour is not None and behaviour.talk_time is not None:
            # A Local channel's far end is its ;2 half: hanging that up ends ;1 as a remote hang-up.
            target = ch.local_peer if ch.kind == Kind.LOCAL and ch.local_peer is not None else ch
            self._later(ch, behaviour.talk_time, self._party_hangs_up, target)

    def _party_hangs_up(self, ch: Channel) -> None:
        if ch.alive:
            self.pbx.hangup(ch, "remote")

    # --- callers --------------------------------------------------------------------------------

    def on_caller_arrived(self, ch: Channel) -> None:
        script = ch.script
        if script is None:
            return
        if script.patience is not None:
            self._patience[ch.id] = self._later(ch, script.patience, self._patience_ran_out, ch)
        if script.hangup_after is not None:
            self._later(ch, script.hangup_after, self._party_hangs_up, ch)

    def _patience_ran_out(self, ch: Channel) -> None:
        self._patience.pop(ch.id, None)
        if ch.alive and not ch.talk_partner_seen:
            self.pbx.hangup(ch, "remote")

    def on_bridge_changed(self, br: Bridge) -> None:
        """A caller sharing a mixing bridge with an answered agent (or far end) is talking."""
        if br.bridge_type != "mixing" or len(br.channels) < 2:
            return
        for ch in br.channels:
            if ch.kind != Kind.CALLER or ch.talk_partner_seen:
                continue
            if any(o is not ch and o.kind in _TALKING_KINDS and o.state == "Up" for o in br.channels):
                ch.talk_partner_seen = True
                self.pbx.stats.answered += 1
                handle = self._patience.pop(ch.id, None)
                if handle is not None:
                    handle.cancel()
                script = ch.script
                if script is not None and script.talk_time is not None:
                    self._later(ch, script.talk_time, self._party_hangs_up, ch)

    def channel_gone(self, ch: Channel) -> None:
        self._patience.pop(ch.id, None)
        if ch.kind != Kind.CALLER or not ch.in_stasis_once:
            return
        stats = self.pbx.stats
        if ch.talk_partner_seen:
            stats.completed += 1
        elif ch.remote_ended:
            stats.abandoned += 1
        else:
            stats.ended_by_app += 1

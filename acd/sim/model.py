"""The simulated PBX's objects: channels, bridges, endpoints, playbacks, and how their ids are made.

Plain mutable dataclasses owned by one :class:`~acd.sim.pbx.Pbx`; nothing here sends events. Ids and
names follow Asterisk's own formats so that a client cannot grow to depend on a simulator quirk:
channel ids are ``<epoch seconds at creation>.<global counter>`` (``1795478757.3``), PJSIP channel
names ``PJSIP/<endpoint>-<8 hex digits of a driver-wide counter>``, bridge and playback ids UUIDs.
"""

from __future__ import annotations

import asyncio
import functools
import random
import time
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from acd.sim.actors import CallerScript, PhoneBehaviour


class Kind(StrEnum):
    """What a channel is in the simulated world; decides which scripted party drives it."""

    CALLER = "caller"  # inbound PSTN call from the trunk
    AGENT_LEG = "agent_leg"  # a channel to an agent phone (originate or create+dial)
    AGENT_OUT = "agent_out"  # an agent phone dialling out into Stasis(app, outbound, <number>)
    LOCAL = "local"  # Local/<number>@<context>;1 or ;2
    SNOOP = "snoop"


@dataclass(slots=True)
class Party:
    """A caller id (``caller`` or ``connected`` of a channel)."""

    name: str = ""
    number: str = ""


@dataclass(slots=True, eq=False)
class Channel:
    """One channel, with everything its JSON snapshot and its scripted party need."""

    id: str
    name: str
    kind: Kind
    state: str
    creationtime: str
    protocol_id: str
    caller: Party
    connected: Party
    context: str
    exten: str
    priority: int = 1
    app_name: str = ""
    app_data: str = ""
    language: str = "en"
    accountcode: str = ""
    endpoint: Endpoint | None = None
    variables: dict[str, str] = field(default_factory=dict)
    # Stasis: the app the channel is in (None outside Stasis) and how it got there.
    app: str | None = None
    args: list[str] = field(default_factory=list)
    # App named in an originate/create: the app stays subscribed after StasisEnd (rule 3).
    originated_for: str | None = None
    bridge: Bridge | None = None
    hangup_cause: int = 16
    tech_cause: int | None = None
    ever_up: bool = False
    alive: bool = True
    dialing: bool = False  # an outgoing leg not yet answered or failed
    dialstring: str = ""
    created_by_ari: bool = False  # POST /channels/create: may be dialled with /dial
    held_by_app: bool = False
    held_by_phone: bool = False
    muted: str = ""
    moh_class: str | None = None
    local_peer: Channel | None = None
    script: CallerScript | None = None
    behaviour: PhoneBehaviour | None = None
    talk_partner_seen: bool = False
    snapshot_cache: tuple[tuple[object, ...], dict[str, object]] | None = None
    in_stasis_once: bool = False
    remote_ended: bool = False  # its own party hung up (not the app, not a restart)
    # What happens when an outgoing leg is answered: enter Stasis(pending_app, pending_args) or
    # run the dialplan at pending_dialplan; dial_caller is /dial's ``caller`` (Dial events name it).
    pending_app: str | None = None
    pending_args: list[str] = field(default_factory=list)
    pending_dialplan: tuple[str, str, int] | None = None
    dial_caller: Channel | None = None
    dial_timeout: float = 0.0
    timers: list[asyncio.TimerHandle] = field(default_factory=list)

    @property
    def in_stasis(self) -> bool:
        return self.app is not None

    def cancel_timers(self) -> None:
        """Cancel every scripted action still pending on this channel."""
        for handle in self.timers:
            handle.cancel()
        self.timers.clear()


@dataclass(slots=True, eq=False)
class Bridge:
    """A Stasis bridge; ``channels`` keeps join order (Asterisk lists in hash order: do not rely)."""

    id: str
    name: str
    bridge_type: str  # "mixing" or "holding"
    technology: str
    creationtime: str
    channels: list[Channel] = field(default_factory=list)
    # The MOH announcer (an internal Announcer/ channel). Asterisk shows its id in the bridge's
    # channel list only sometimes (traces e and g, not a, c, k): ``announcer_visible`` decides.
    announcer_id: str | None = None
    announcer_visible: bool = False
    moh_class: str | None = None
    alive: bool = True

    def channel_ids(self) -> list[str]:
        ids = [c.id for c in self.channels]
        if self.announcer_id is not None and self.announcer_visible:
            ids.append(self.announcer_id)
        return ids


@dataclass(slots=True, eq=False)
class Endpoint:
    """A PJSIP endpoint: an agent phone, the trunk, or any other configured device."""

    tech: str
    resource: str
    context: str
    registered: bool
    qualify: bool
    port: int
    behaviour: PhoneBehaviour
    caller: Party = field(default_factory=Party)
    # Live channels by id, in creation order (a dict: the trunk may carry hundreds at once).
    channels: dict[str, Channel] = field(default_factory=dict)
    device_state: str = "UNAVAILABLE"  # as last reported in DeviceStateChanged

    @property
    def key(self) -> str:
        return f"{self.tech}/{self.resource}"

    @property
    def uri(self) -> str:
        return f"sip:{self.resource}@127.0.0.1:{self.port}"

    @property
    def state(self) -> str:
        """ARI's endpoint state: ``online`` only when a contact is qualified reachable (rule 7)."""
        return "online" if self.registered and self.qualify else "offline"

    def current_device_state(self) -> str:
        """What ast_device_state() would say for ``PJSIP/<resource>`` now."""
        if not self.registered:
            return "UNAVAILABLE"
        states = [(c.state, c.held_by_phone) for c in self.channels.values()]
        if ("Up", True) in states:
            return "ONHOLD"
        if any(state == "Up" for state, _ in states):
            return "INUSE"
        if any(state in ("Ringing", "Ring") for state, _ in states):
            return "RINGING"
        return "NOT_INUSE"


@dataclass(slots=True, eq=False)
class Playback:
    """A playback on a channel or a bridge (``target_uri`` ``channel:<id>`` / ``bridge:<id>``)."""

    id: str
    media: list[str]
    target_uri: str
    language: str
    state: str = "queued"
    handle: asyncio.TimerHandle | None = None


class IdFactory:
    """Makes ids the way Asterisk does; restarting the PBX makes a fresh factory (counters at 0)."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._unique = 0
        self._pjsip = 0
        self._local = 0
        self._snoop = 0

    def uniqueid(self) -> str:
        """``<epoch seconds>.<counter>``: the counter is global to the PBX, never reused."""
        number = self._unique
        self._unique += 1
        return f"{int(time.time())}.{number}"

    def pjsip_name(self, resource: str) -> str:
        number = self._pjsip
        self._pjsip += 1
        return f"PJSIP/{resource}-{number:08x}"

    def local_name(self, dest: str) -> str:
        number = self._local
        self._local += 1
        return f"Local/{dest}-{number:08x}"

    def snoop_name(self, target_id: str) -> str:
        number = self._snoop
        self._snoop += 1
        return f"Snoop/{target_id}-{number:08x}"

    def uuid(self) -> str:
        """A version-4 UUID drawn from the seeded generator, so runs are reproducible."""
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def ssrc(self) -> int:
        return self._rng.getrandbits(31)


@functools.lru_cache(maxsize=8)
def _second(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))


def stamp(moment: float | None = None) -> str:
    """Asterisk's timestamp format: ``2026-11-24T00:05:57.640+0000`` (UTC, milliseconds)."""
    if moment is None:
        moment = time.time()
    seconds = int(moment)
    return f"{_second(seconds)}.{int((moment - seconds) * 1000):03d}+0000"

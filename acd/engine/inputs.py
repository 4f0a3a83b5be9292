"""What the engine reacts to: telephony events, commands from people, and its own timers.

These are plain values in the call center's own words, not ARI shapes: the telephony adapter
(:mod:`acd.telephony`) translates ARI events into them, the web server and CLI build commands, and
the runner feeds timer expiries back. The engine never sees a socket.
"""

from __future__ import annotations

from dataclasses import field
from typing import Literal

from acd.immutable import immutable

# ---------------------------------------------------------------- telephony events


@immutable
class CallerEntered:
    """A caller entered the app with ``inbound,<queue>[,<priority>]`` (StasisStart)."""

    channel_id: str
    queue: str
    caller_number: str
    caller_name: str
    priority: int | None = None


@immutable
class OutboundRequested:
    """An agent's phone dialled out: its channel entered the app with ``outbound,<number>``."""

    channel_id: str
    endpoint: str
    number: str


@immutable
class LegRinging:
    leg_id: str


@immutable
class LegAnswered:
    """A leg the engine originated answered and entered the app (StasisStart with our args)."""

    leg_id: str
    role: Literal["agent", "dialed"]
    call_id: str


@immutable
class ChannelSwapped:
    """A channel entered the app in place of one of ours (StasisStart with ``replace_channel``:
    Asterisk swapped it into that channel's bridge, e.g. for a transfer done on a phone).
    ``then`` is what its StasisStart means otherwise."""

    channel_id: str
    replaced_id: str
    then: Input | None


@immutable
class OriginateFailed:
    """The originate request itself failed (500 Allocation failed, 404, 5xx, no answer)."""

    leg_id: str
    status: int | None
    message: str


@immutable
class ChannelGone:
    """A channel left the app or was destroyed (StasisEnd, or ChannelDestroyed before Stasis)."""

    channel_id: str
    cause: int | None = None
    cause_txt: str = ""


@immutable
class DtmfReceived:
    channel_id: str
    digit: str


@immutable
class PhoneHold:
    """An agent's phone put the call on hold (or took it off hold) itself (ChannelHold/Unhold)."""

    channel_id: str
    held: bool


@immutable
class EndpointReachability:
    """An agent phone's registration became reachable or unreachable."""

    endpoint: str
    reachable: bool


@immutable
class ActionFailed:
    """A telephony action the engine asked for failed; the engine decides what it means."""

    call_id: str | None
    action: str
    channel_id: str | None
    status: int | None
    message: str
    bridge_id: str | None = None
    #: The channel hung up while the request was in flight (its StasisEnd follows): a normal race.
    raced: bool = False


@immutable
class ChannelSnapshot:
    """What resync learned of one channel from ``GET /channels``."""

    channel_id: str
    name: str
    state: str
    caller_number: str
    caller_name: str
    #: The Stasis args from the channel's dialplan ``app_data`` ("acd,inbound,support" -> the rest).
    stasis_args: tuple[str, ...] | None
    created_at: float


@immutable
class BridgeSnapshot:
    bridge_id: str
    bridge_type: str
    name: str
    channel_ids: tuple[str, ...]


@immutable
class Resync:
    """The whole truth from Asterisk after a (re)connect; the engine reconciles its picture."""

    channels: tuple[ChannelSnapshot, ...]
    bridges: tuple[BridgeSnapshot, ...]
    #: Endpoints Asterisk reports "online" (a qualified, reachable contact).
    reachable_endpoints: frozenset[str] | None = None


# ---------------------------------------------------------------- timers


@immutable
class TimerFired:
    key: tuple[str, str]
    token: int


# ---------------------------------------------------------------- commands (people)


@immutable
class Login:
    agent_id: str


@immutable
class Logout:
    agent_id: str
    by_supervisor: bool = False


@immutable
class SetReady:
    agent_id: str


@immutable
class SetNotReady:
    agent_id: str
    reason: str
    by_supervisor: bool = False


@immutable
class SetDisposition:
    agent_id: str
    disposition: str


@immutable
class EndWrapUp:
    agent_id: str
    disposition: str | None = None


@immutable
class HoldCall:
    agent_id: str
    call_id: str


@immutable
class UnholdCall:
    agent_id: str
    call_id: str


@immutable
class HangupCall:
    agent_id: str
    call_id: str


@immutable
class TransferCall:
    """Blind transfer of a connected call to a queue, a named agent, or a number."""

    agent_id: str
    call_id: str
    kind: Literal["queue", "agent", "number"]
    target: str


@immutable
class PagePresence:
    """The agent's page opened or lost its live stream (grace period before ``disconnected``)."""

    agent_id: str
    connected: bool


@immutable
class AgentProfile:
    """An agent as configured (config file or ``cc_agents``/``cc_queue_members``)."""

    agent_id: str
    name: str
    endpoint: str
    skills: dict[str, int] = field(default_factory=dict)
    wrapup_override: float | None = None


@immutable
class UpsertAgent:
    profile: AgentProfile


@immutable
class RemoveAgent:
    agent_id: str


Command = (
    Login
    | Logout
    | SetReady
    | SetNotReady
    | SetDisposition
    | EndWrapUp
    | HoldCall
    | UnholdCall
    | HangupCall
    | TransferCall
    | PagePresence
    | UpsertAgent
    | RemoveAgent
)

TelephonyEvent = (
    CallerEntered
    | OutboundRequested
    | LegRinging
    | LegAnswered
    | ChannelSwapped
    | OriginateFailed
    | ChannelGone
    | DtmfReceived
    | PhoneHold
    | EndpointReachability
    | ActionFailed
    | Resync
)

Input = TelephonyEvent | TimerFired | Command

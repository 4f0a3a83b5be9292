"""ARI events in, engine inputs out: the only place that knows what an ARI event means to us.

Most of Asterisk's events are noise to an ACD (the daemon asks Asterisk to send only
``WANTED_EVENT_TYPES``); the few that matter become the engine's own vocabulary.
StasisEnd ends a leg that was in our app, ChannelDestroyed one that never got there (an agent
leg that rang and failed): ari-traces rules 2 and 3.
"""

from __future__ import annotations

from datetime import datetime

from acd.ari.events import (
    AriEvent,
    ChannelDestroyed,
    ChannelDtmfReceived,
    ChannelHold,
    ChannelStateChange,
    ChannelUnhold,
    ContactStatusChange,
    EndpointStateChange,
    StasisEnd,
    StasisStart,
)
from acd.ari.models import Bridge, Channel, Endpoint
from acd.engine.inputs import (
    BridgeSnapshot,
    CallerEntered,
    ChannelGone,
    ChannelSnapshot,
    ChannelSwapped,
    DtmfReceived,
    EndpointReachability,
    Input,
    LegAnswered,
    LegRinging,
    OutboundRequested,
    PhoneHold,
)
from acd.engine.resync import endpoint_of_channel

#: The only event types the daemon asks Asterisk to send (PUT /applications/{app}/eventFilter,
#: an allowed list). Everything else (ChannelVarset, Dial, bridge enter/leave, hang-up requests...)
#: means nothing to the engine, and at 150 calls/s it would be most of the socket's traffic and of
#: the daemon's CPU: a call brings 8 events instead of 60. Asterisk applies the filter to
#: every message on the app's socket, ApplicationReplaced included, so that one is listed too.
#: EndpointStateChange is left out: Asterisk sends one whenever an agent's endpoint gains or loses
#: a channel (two per call), and its one useful news, "online", comes with a ContactStatusChange
#: ``Reachable`` anyway (an endpoint is online only once a qualified contact is reachable; a
#: registered but unqualified one stays "offline": ari-traces rule 7). Should one still arrive
#: (an older filter), it is translated as before.
WANTED_EVENT_TYPES = (
    "StasisStart",
    "StasisEnd",
    "ChannelDestroyed",
    "ChannelStateChange",
    "ChannelDtmfReceived",
    "ChannelHold",
    "ChannelUnhold",
    "ContactStatusChange",
    "ApplicationReplaced",
)

_REACHABLE = frozenset({"Reachable", "NonQualified"})
_UNREACHABLE = frozenset({"Unreachable", "Removed"})


def endpoint_name(endpoint: Endpoint) -> str:
    return f"{endpoint.technology}/{endpoint.resource}"


def _priority(arg: str) -> int | None:
    """A caller priority from the dialplan's third Stasis argument; anything else is no priority
    (``"--5"`` or ``"²"`` pass ``isdigit`` checks but not ``int``)."""
    try:
        return int(arg, 10)
    except ValueError:
        return None


def stasis_start_input(event: StasisStart) -> Input | None:
    """Our dialplan's and our originates' Stasis arguments say what a new channel is."""
    args = event.args
    channel = event.channel
    role = args[0] if args else ""
    if role == "inbound" and len(args) >= 2 and args[1]:
        priority = _priority(args[2]) if len(args) >= 3 else None
        return CallerEntered(channel.id, args[1], channel.caller.number, channel.caller.name, priority)
    if role == "outbound":
        number = args[1] if len(args) >= 2 and args[1] else channel.dialplan.exten if channel.dialplan else ""
        return OutboundRequested(channel.id, endpoint_of_channel(channel.name), number)
    if role in ("agent", "dialed") and len(args) >= 2:
        return LegAnswered(channel.id, "agent" if role == "agent" else "dialed", args[1])
    return None


def translate(event: AriEvent) -> Input | None:
    """The engine input an ARI event stands for, or None when it means nothing to the engine."""
    if isinstance(event, StasisStart):
        if event.replace_channel is not None:
            return ChannelSwapped(event.channel.id, event.replace_channel.id, stasis_start_input(event))
        return stasis_start_input(event)
    if isinstance(event, StasisEnd):
        return ChannelGone(event.channel.id)
    if isinstance(event, ChannelDestroyed):
        return ChannelGone(event.channel.id, event.cause, event.cause_txt)
    if isinstance(event, ChannelStateChange):
        return LegRinging(event.channel.id) if event.channel.state == "Ringing" else None
    if isinstance(event, ChannelDtmfReceived):
        return DtmfReceived(event.channel.id, event.digit)
    if isinstance(event, ChannelHold):
        return PhoneHold(event.channel.id, True)
    if isinstance(event, ChannelUnhold):
        return PhoneHold(event.channel.id, False)
    if isinstance(event, ContactStatusChange):
        status = event.contact_info.contact_status
        if status in _REACHABLE:
            return EndpointReachability(endpoint_name(event.endpoint), True)
        if status in _UNREACHABLE:
            return EndpointReachability(endpoint_name(event.endpoint), False)
        return None
    if isinstance(event, EndpointStateChange) and event.endpoint.state == "online":
        # "offline" is not evidence: a registered endpoint that is not qualified stays "offline"
        # (ari-traces rule 7). Losing a contact shows as ContactStatusChange instead.
        return EndpointReachability(endpoint_name(event.endpoint), True)
    return None


def _epoch(value: datetime | None) -> float:
    return value.timestamp() if value is not None else 0.0


def channel_snapshot(channel: Channel, app: str) -> ChannelSnapshot:
    """A channel from ``GET /channels``; Stasis args only when it sits in *our* app."""
    args: tuple[str, ...] | None = None
    dialplan = channel.dialplan
    if dialplan is not None and dialplan.app_name == "Stasis":
        parts = tuple(dialplan.app_data.split(","))
        if parts and parts[0] == app:
            args = parts[1:]
    return ChannelSnapshot(
        channel_id=channel.id,
        name=channel.name,
        state=channel.state,
        caller_number=channel.caller.number,
        caller_name=channel.caller.name,
        stasis_args=args,
        created_at=_epoch(channel.creationtime),
    )


def bridge_snapshot(bridge: Bridge) -> BridgeSnapshot:
    return BridgeSnapshot(
        bridge_id=bridge.id,
        bridge_type=bridge.bridge_type,
        name=bridge.name or "",
        channel_ids=tuple(bridge.channels),
    )

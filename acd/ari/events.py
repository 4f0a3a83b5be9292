"""ARI WebSocket events as typed models, and ``parse_event``, the one way to read them.

Every ``Event`` subtype of Asterisk 22's ``events.json`` is modelled except those in
``UNMODELLED_EVENT_TYPES``; a type we do not model (or one a newer Asterisk adds) becomes an
``UnknownEvent`` that keeps the raw message, never an exception: the stream must go on. A message that
is not JSON, or a known type with missing or mistyped fields, raises ``MalformedEvent``.

Speed matters (150 new calls/s x ~60 events each), so known types are validated straight from the
JSON bytes in one pydantic-core pass, dispatched on the ``type`` key by a tagged union. A callable
discriminator would also catch unknown types, but pydantic-core then converts every whole message to
Python objects first (measured ~1.6x slower); here only an unknown type, which is rare, costs a second
pass.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import Field, TypeAdapter, ValidationError

from acd.ari.models import (
    AriModel,
    Bridge,
    Channel,
    ContactInfo,
    DeviceState,
    Endpoint,
    LiveRecording,
    Peer,
    Playback,
    TextMessage,
)

# Not events of a Stasis application: answers to REST-over-WebSocket requests (which this client does
# not send) and the error Asterisk sends when the connect request lacks ``app``.
UNMODELLED_EVENT_TYPES = frozenset({"RESTResponse", "MissingParams"})


class MalformedEvent(ValueError):
    """A WebSocket message that is not JSON, or a known event type whose fields do not fit the model."""


class BaseEvent(AriModel):
    """Fields every ARI event carries."""

    application: str
    timestamp: datetime
    asterisk_id: str | None = None


# --- channels in and out of the application ---
class StasisStart(BaseEvent):
    """A channel entered the app; ``args`` are the ``Stasis()`` or originate ``appArgs`` arguments."""

    type: Literal["StasisStart"] = "StasisStart"
    args: tuple[str, ...]
    channel: Channel
    replace_channel: Channel | None = None


class StasisEnd(BaseEvent):
    """The channel left the app: often the last event the app gets for it (no ChannelDestroyed)."""

    type: Literal["StasisEnd"] = "StasisEnd"
    channel: Channel


class ApplicationMoveFailed(BaseEvent):
    type: Literal["ApplicationMoveFailed"] = "ApplicationMoveFailed"
    channel: Channel
    destination: str
    args: tuple[str, ...]


class ApplicationRegistered(BaseEvent):
    type: Literal["ApplicationRegistered"] = "ApplicationRegistered"


class ApplicationUnregistered(BaseEvent):
    type: Literal["ApplicationUnregistered"] = "ApplicationUnregistered"


class ApplicationReplaced(BaseEvent):
    """Another WebSocket took this app over: this connection will get nothing more."""

    type: Literal["ApplicationReplaced"] = "ApplicationReplaced"


# --- channel life ---
class ChannelCreated(BaseEvent):
    type: Literal["ChannelCreated"] = "ChannelCreated"
    channel: Channel


class ChannelStateChange(BaseEvent):
    type: Literal["ChannelStateChange"] = "ChannelStateChange"
    channel: Channel


class ChannelDestroyed(BaseEvent):
    """``cause_txt`` says why a leg failed ("User busy", "User alerting, no answer")."""

    type: Literal["ChannelDestroyed"] = "ChannelDestroyed"
    cause: int
    cause_txt: str
    tech_cause: int | None = None
    channel: Channel


class ChannelHangupRequest(BaseEvent):
    """``cause`` is absent when the far end simply hung up."""

    type: Literal["ChannelHangupRequest"] = "ChannelHangupRequest"
    cause: int | None = None
    tech_cause: int | None = None
    soft: bool | None = None
    channel: Channel


class Dial(BaseEvent):
    """Progress of a dialled leg; ``dialstatus`` is "" at first, then RINGING, ANSWER, BUSY, NOANSWER..."""

    type: Literal["Dial"] = "Dial"
    caller: Channel | None = None
    peer: Channel
    forward: str | None = None
    forwarded: Channel | None = None
    dialstring: str | None = None
    dialstatus: str


class ChannelDialplan(BaseEvent):
    type: Literal["ChannelDialplan"] = "ChannelDialplan"
    channel: Channel
    dialplan_app: str
    dialplan_app_data: str


class ChannelCallerId(BaseEvent):
    type: Literal["ChannelCallerId"] = "ChannelCallerId"
    caller_presentation: int
    caller_presentation_txt: str
    channel: Channel


class ChannelConnectedLine(BaseEvent):
    type: Literal["ChannelConnectedLine"] = "ChannelConnectedLine"
    channel: Channel


class ChannelVarset(BaseEvent):
    """Mostly noise (RTPAUDIOQOS* at every hang-up); ``channel`` is absent for global variables."""

    type: Literal["ChannelVarset"] = "ChannelVarset"
    variable: str
    value: str
    channel: Channel | None = None


class ChannelHold(BaseEvent):
    type: Literal["ChannelHold"] = "ChannelHold"
    channel: Channel
    musicclass: str | None = None


class ChannelUnhold(BaseEvent):
    type: Literal["ChannelUnhold"] = "ChannelUnhold"
    channel: Channel


class ChannelDtmfReceived(BaseEvent):
    type: Literal["ChannelDtmfReceived"] = "ChannelDtmfReceived"
    digit: str
    duration_ms: int
    channel: Channel


class ChannelToneDetected(BaseEvent):
    type: Literal["ChannelToneDetected"] = "ChannelToneDetected"
    channel: Channel


class ChannelTalkingStarted(BaseEvent):
    type: Literal["ChannelTalkingStarted"] = "ChannelTalkingStarted"
    channel: Channel


class ChannelTalkingFinished(BaseEvent):
    type: Literal["ChannelTalkingFinished"] = "ChannelTalkingFinished"
    channel: Channel
    duration: int


class ChannelUserevent(BaseEvent):
    type: Literal["ChannelUserevent"] = "ChannelUserevent"
    eventname: str
    channel: Channel | None = None
    bridge: Bridge | None = None
    endpoint: Endpoint | None = None
    userevent: dict[str, Any]


# --- bridges ---
class ChannelEnteredBridge(BaseEvent):
    type: Literal["ChannelEnteredBridge"] = "ChannelEnteredBridge"
    bridge: Bridge
    channel: Channel | None = None


class ChannelLeftBridge(BaseEvent):
    type: Literal["ChannelLeftBridge"] = "ChannelLeftBridge"
    bridge: Bridge
    channel: Channel


class BridgeCreated(BaseEvent):
    type: Literal["BridgeCreated"] = "BridgeCreated"
    bridge: Bridge


class BridgeDestroyed(BaseEvent):
    type: Literal["BridgeDestroyed"] = "BridgeDestroyed"
    bridge: Bridge


class BridgeMerged(BaseEvent):
    type: Literal["BridgeMerged"] = "BridgeMerged"
    bridge: Bridge
    bridge_from: Bridge


class BridgeVideoSourceChanged(BaseEvent):
    type: Literal["BridgeVideoSourceChanged"] = "BridgeVideoSourceChanged"
    bridge: Bridge
    old_video_source_id: str | None = None


class BridgeBlindTransfer(BaseEvent):
    type: Literal["BridgeBlindTransfer"] = "BridgeBlindTransfer"
    channel: Channel
    replace_channel: Channel | None = None
    transferee: Channel | None = None
    exten: str
    context: str
    result: str
    is_external: bool
    bridge: Bridge | None = None


class BridgeAttendedTransfer(BaseEvent):
    type: Literal["BridgeAttendedTransfer"] = "BridgeAttendedTransfer"
    transferer_first_leg: Channel
    transferer_second_leg: Channel
    replace_channel: Channel | None = None
    transferee: Channel | None = None
    transfer_target: Channel | None = None
    result: str
    is_external: bool
    transferer_first_leg_bridge: Bridge | None = None
    transferer_second_leg_bridge: Bridge | None = None
    destination_type: str
    destination_bridge: str | None = None
    destination_application: str | None = None
    destination_link_first_leg: Channel | None = None
    destination_link_second_leg: Channel | None = None
    destination_threeway_channel: Channel | None = None
    destination_threeway_bridge: Bridge | None = None


class AdditionalParam(AriModel):
    parameter_name: str
    parameter_value: str


class RequiredDestination(AriModel):
    protocol_id: str | None = None
    destination: str | None = None
    additional_protocol_params: tuple[AdditionalParam, ...] | None = None


class ReferTo(AriModel):
    requested_destination: RequiredDestination
    destination_channel: Channel | None = None
    connected_channel: Channel | None = None
    bridge: Bridge | None = None


class ReferredBy(AriModel):
    source_channel: Channel
    connected_channel: Channel | None = None
    bridge: Bridge | None = None


class ChannelTransfer(BaseEvent):
    """A SIP REFER seen by a channel in Stasis (the app decides what to do with it)."""

    type: Literal["ChannelTransfer"] = "ChannelTransfer"
    state: str | None = None
    refer_to: ReferTo
    referred_by: ReferredBy


# --- endpoints and devices: agent presence ---
class EndpointStateChange(BaseEvent):
    type: Literal["EndpointStateChange"] = "EndpointStateChange"
    endpoint: Endpoint


class ContactStatusChange(BaseEvent):
    """Delivered only for endpoints the app subscribed to (``endpoint:PJSIP/<name>``)."""

    type: Literal["ContactStatusChange"] = "ContactStatusChange"
    endpoint: Endpoint
    contact_info: ContactInfo


class PeerStatusChange(BaseEvent):
    type: Literal["PeerStatusChange"] = "PeerStatusChange"
    endpoint: Endpoint
    peer: Peer


class DeviceStateChanged(BaseEvent):
    type: Literal["DeviceStateChanged"] = "DeviceStateChanged"
    device_state: DeviceState


class TextMessageReceived(BaseEvent):
    type: Literal["TextMessageReceived"] = "TextMessageReceived"
    message: TextMessage
    endpoint: Endpoint | None = None


# --- media ---
class PlaybackStarted(BaseEvent):
    type: Literal["PlaybackStarted"] = "PlaybackStarted"
    playback: Playback


class PlaybackContinuing(BaseEvent):
    type: Literal["PlaybackContinuing"] = "PlaybackContinuing"
    playback: Playback


class PlaybackFinished(BaseEvent):
    type: Literal["PlaybackFinished"] = "PlaybackFinished"
    playback: Playback


class RecordingStarted(BaseEvent):
    type: Literal["RecordingStarted"] = "RecordingStarted"
    recording: LiveRecording


class RecordingFinished(BaseEvent):
    type: Literal["RecordingFinished"] = "RecordingFinished"
    recording: LiveRecording


class RecordingFailed(BaseEvent):
    type: Literal["RecordingFailed"] = "RecordingFailed"
    recording: LiveRecording


# --- calls offered to several applications (Asterisk 22's "call broadcast") ---
class CallBroadcast(BaseEvent):
    type: Literal["CallBroadcast"] = "CallBroadcast"
    channel: Channel
    caller: str | None = None
    called: str | None = None


class CallClaimed(BaseEvent):
    type: Literal["CallClaimed"] = "CallClaimed"
    channel: Channel
    winner_app: str


class UnknownEvent(AriModel):
    """A message of a type we do not model, kept whole so that nothing Asterisk said is lost."""

    type: str
    raw: dict[str, Any]


KnownEvent: TypeAlias = (
    StasisStart | StasisEnd | ApplicationMoveFailed | ApplicationRegistered | ApplicationUnregistered
    | ApplicationReplaced | ChannelCreated | ChannelStateChange | ChannelDestroyed | ChannelHangupRequest
    | Dial | ChannelDialplan | ChannelCallerId | ChannelConnectedLine | ChannelVarset | ChannelHold
    | ChannelUnhold | ChannelDtmfReceived | ChannelToneDetected | ChannelTalkingStarted
    | ChannelTalkingFinished | ChannelUserevent | ChannelEnteredBridge | ChannelLeftBridge | BridgeCreated
    | BridgeDestroyed | BridgeMerged | BridgeVideoSourceChanged | BridgeBlindTransfer
    | BridgeAttendedTransfer | ChannelTransfer | EndpointStateChange | ContactStatusChange
    | PeerStatusChange | DeviceStateChanged | TextMessageReceived | PlaybackStarted | PlaybackContinuing
    | PlaybackFinished | RecordingStarted | RecordingFinished | RecordingFailed | CallBroadcast
    | CallClaimed
)  # fmt: skip
AriEvent: TypeAlias = KnownEvent | UnknownEvent

_KNOWN: TypeAdapter[KnownEvent] = TypeAdapter(Annotated[KnownEvent, Field(discriminator="type")])

EVENT_CLASSES: dict[str, type[BaseEvent]] = {
    cls.model_fields["type"].default: cls for cls in BaseEvent.__subclasses__()
}
"""Event type name -> model class, for every modelled type."""


def parse_event(data: bytes | str) -> AriEvent:
    """Parse one WebSocket message; unknown types come back as ``UnknownEvent``.

    Raises ``MalformedEvent`` for a message that is not a JSON object with a string ``type``, or a
    known type with missing or mistyped fields.
    """
    try:
        return _KNOWN.validate_json(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        if errors[0]["type"] != "union_tag_invalid":
            raise MalformedEvent(_describe(errors)) from None
    return _unknown(data)


def _unknown(data: bytes | str) -> UnknownEvent:
    raw = json.loads(data)  # valid JSON: the tagged union got far enough to read its "type"
    kind = raw.get("type") if isinstance(raw, dict) else None
    if not isinstance(kind, str):
        raise MalformedEvent(f"ARI message has a non-string type: {kind!r}")
    return UnknownEvent(type=kind, raw=raw)


def _describe(errors: list[Any]) -> str:
    first = errors[0]
    if first["type"] == "union_tag_not_found":
        return "malformed ARI event: no 'type' field"
    where = ".".join(str(part) for part in first["loc"]) or "message"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"malformed ARI event: {where}: {first['msg']}{more}"

"""The REST objects an ACD reads from Asterisk, typed after ARI's own Swagger (``ari-api-docs``).

Field names, types and required-ness follow the Swagger, so a simulator that gets them wrong fails
here rather than in production. Extra fields are ignored (newer Asterisk versions add some), fields the
Swagger marks optional default to None, and the models are frozen: they describe what Asterisk said
at one moment, and freezing costs nothing when validating.

Enumerations (``Channel.state``, ``Endpoint.state``...) stay plain strings: an unexpected value from a
newer Asterisk must not make a whole event unreadable. The values the Swagger lists are in the
``*_STATES`` constants.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

CHANNEL_STATES = (
    "Down", "Rsrved", "OffHook", "Dialing", "Ring", "Ringing", "Up", "Busy", "Dialing Offhook", "Pre-ring",
    "Unknown",
)  # fmt: skip
ENDPOINT_STATES = ("unknown", "offline", "online")
DEVICE_STATES = (
    "UNKNOWN", "NOT_INUSE", "INUSE", "BUSY", "INVALID", "UNAVAILABLE", "RINGING", "RINGINUSE", "ONHOLD",
)  # fmt: skip
CONTACT_STATUSES = ("Unreachable", "Reachable", "Unknown", "NonQualified", "Removed")


class AriModel(BaseModel):
    """Base of every ARI object: frozen, unknown fields ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class CallerID(AriModel):
    name: str
    number: str


class DialplanCEP(AriModel):
    """Where the channel is in the dialplan; ``app_data`` of ``Stasis`` carries the app's arguments."""

    context: str
    exten: str
    priority: int
    app_name: str
    app_data: str


class Channel(AriModel):
    id: str
    # Required by the Swagger of Asterisk 22; older versions do not send it, and nothing depends on it.
    protocol_id: str = ""
    name: str
    state: str
    caller: CallerID
    connected: CallerID
    accountcode: str
    dialplan: DialplanCEP
    creationtime: datetime
    language: str
    channelvars: dict[str, Any] | None = None
    caller_rdnis: str | None = None
    tenantid: str | None = None


class Bridge(AriModel):
    id: str
    technology: str
    bridge_type: str
    bridge_class: str
    creator: str
    name: str
    # May list channels the app never saw: a holding bridge playing MOH holds an announcer channel.
    channels: tuple[str, ...]
    video_mode: str | None = None
    video_source_id: str | None = None
    creationtime: datetime
    bridgevars: dict[str, Any] | None = None


class Endpoint(AriModel):
    """A device; ``state`` is coarse (a registered but unqualified contact still reads ``offline``)."""

    technology: str
    resource: str
    state: str | None = None
    channel_ids: tuple[str, ...]


class ContactInfo(AriModel):
    """One registered contact of an endpoint: the real presence signal for PJSIP agents."""

    uri: str
    contact_status: str
    aor: str
    roundtrip_usec: str | None = None


class Peer(AriModel):
    peer_status: str
    cause: str | None = None
    address: str | None = None
    port: str | None = None
    time: str | None = None


class DeviceState(AriModel):
    name: str
    state: str


class Application(AriModel):
    """What Asterisk holds for the app: the ids to resync from after a (re)connect."""

    name: str
    channel_ids: tuple[str, ...]
    bridge_ids: tuple[str, ...]
    endpoint_ids: tuple[str, ...]
    device_names: tuple[str, ...]
    events_allowed: tuple[dict[str, Any], ...]
    events_disallowed: tuple[dict[str, Any], ...]


class Playback(AriModel):
    id: str
    media_uri: str
    next_media_uri: str | None = None
    target_uri: str
    language: str | None = None
    state: str


class LiveRecording(AriModel):
    name: str
    format: str
    target_uri: str
    state: str
    duration: int | None = None
    talking_duration: int | None = None
    silence_duration: int | None = None
    cause: str | None = None


class TextMessage(AriModel):
    model_config = ConfigDict(frozen=True, extra="ignore", validate_by_name=True, validate_by_alias=True)

    from_: str = Field(alias="from")
    to: str
    body: str
    variables: dict[str, Any] | None = None


class Variable(AriModel):
    value: str


# /asterisk/info is informational (version, start time): every part is optional so that asking for
# one section (``only=``) or talking to another version never fails.
class BuildInfo(AriModel):
    os: str | None = None
    kernel: str | None = None
    options: str | None = None
    machine: str | None = None
    date: str | None = None
    user: str | None = None


class SystemInfo(AriModel):
    version: str | None = None
    entity_id: str | None = None


class SetId(AriModel):
    user: str | None = None
    group: str | None = None


class ConfigInfo(AriModel):
    name: str | None = None
    default_language: str | None = None
    max_channels: int | None = None
    max_open_files: int | None = None
    max_load: float | None = None
    setid: SetId | None = None


class StatusInfo(AriModel):
    startup_time: datetime | None = None
    last_reload_time: datetime | None = None


class AsteriskInfo(AriModel):
    build: BuildInfo | None = None
    system: SystemInfo | None = None
    config: ConfigInfo | None = None
    status: StatusInfo | None = None


class AsteriskPing(AriModel):
    asterisk_id: str
    ping: str
    timestamp: str

"""JSON shapes exactly as Asterisk 22 writes them: objects, event bodies and error bodies.

Every builder returns a dict whose keys are already in the order the recorded traces show
(alphabetical at every level), so a message is serialised once with no sorting. Event bodies leave
out ``application`` and ``asterisk_id``: :func:`envelope` adds them per application, which keeps one
body shareable between applications.
"""

from __future__ import annotations

import json
from typing import Any

from acd.sim.model import Bridge, Channel, Endpoint, Playback

JsonObj = dict[str, Any]

# Asterisk's ast_cause2str() table (main/channel.c), the subset a call center meets.
CAUSE_TEXT: dict[int, str] = {
    0: "Unknown",
    1: "Unallocated (unassigned) number",
    3: "No route to destination",
    16: "Normal Clearing",
    17: "User busy",
    18: "No user responding",
    19: "User alerting, no answer",
    20: "Subscriber absent",
    21: "Call Rejected",
    26: "Answered elsewhere",
    27: "Destination out of order",
    28: "Invalid number format",
    31: "Normal, unspecified",
    34: "Circuit/channel congestion",
    38: "Network out of order",
    41: "Temporary failure",
    42: "Switching equipment congestion",
    44: "Requested channel not available",
    58: "Bearer capability not available",
    127: "Interworking, unspecified",
}

# DELETE /channels/{id}?reason=...: resource_channels.c convert_reason_to_hangup_code().
HANGUP_REASONS: dict[str, int] = {
    "normal": 16,
    "busy": 17,
    "congestion": 34,
    "no_answer": 19,
    "timeout": 18,
    "rejected": 21,
    "unallocated": 1,
    "normal_unspecified": 31,
    "number_incomplete": 28,
    "codec_mismatch": 58,
    "interworking": 127,
    "failure": 38,
    "answered_elsewhere": 26,
}

# ast_softhangup() flags, published as the "cause" of a soft ChannelHangupRequest.
SOFTHANGUP_SHUTDOWN = 4
SOFTHANGUP_EXPLICIT = 32

_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
encode = _encoder.encode
_quote = json.encoder.encode_basestring  # the C string escaper json.dumps uses


def cause_text(cause: int) -> str:
    return CAUSE_TEXT.get(cause, "Unknown")


def dial_status_for_cause(cause: int) -> str:
    """main/dial.c ast_hangup_cause_to_dial_status(): what a Dial event says when a leg dies."""
    if cause == 17:
        return "BUSY"
    if cause == 34:
        return "CONGESTION"
    if cause in (3, 20):
        return "CHANUNAVAIL"
    return "NOANSWER"


class Snapshot(dict[str, Any]):
    """A channel's JSON object together with its serialised text, shared by every event that
    carries the channel until the channel changes: a hang-up sends a dozen ChannelVarset events
    with the same snapshot, and encoding it once per change rather than once per event is what
    keeps the simulator fast enough to be a load generator. Treat it as read-only."""

    text: str


def channel_json(ch: Channel) -> JsonObj:
    key = (
        ch.state,
        ch.caller.name,
        ch.caller.number,
        ch.connected.name,
        ch.connected.number,
        ch.context,
        ch.exten,
        ch.priority,
        ch.app_name,
        ch.app_data,
    )
    cached = ch.snapshot_cache
    if cached is not None and cached[0] == key:
        return cached[1]
    snap = Snapshot(
        {
            "accountcode": ch.accountcode,
            "caller": {"name": ch.caller.name, "number": ch.caller.number},
            "connected": {"name": ch.connected.name, "number": ch.connected.number},
            "creationtime": ch.creationtime,
            "dialplan": {
                "app_data": ch.app_data,
                "app_name": ch.app_name,
                "context": ch.context,
                "exten": ch.exten,
                "priority": ch.priority,
            },
            "id": ch.id,
            "language": ch.language,
            "name": ch.name,
            "protocol_id": ch.protocol_id,
            "state": ch.state,
        }
    )
    snap.text = _encoder.encode(snap)
    ch.snapshot_cache = (key, snap)
    return snap


def encode_message(message: JsonObj) -> str:
    """Serialise one event, splicing in the channel snapshots' ready-made text."""
    parts = []
    for key, value in message.items():
        kind = type(value)
        if kind is Snapshot:
            text = value.text
        elif kind is str:
            text = _quote(value)
        elif kind is int:
            text = str(value)
        else:
            text = _encoder.encode(value)
        parts.append(f'"{key}":{text}')
    return "{" + ",".join(parts) + "}"


def bridge_json(br: Bridge, technology: str | None = None) -> JsonObj:
    return {
        "bridge_class": "stasis",
        "bridge_type": br.bridge_type,
        "channels": br.channel_ids(),
        "creationtime": br.creationtime,
        "creator": "Stasis",
        "id": br.id,
        "name": br.name,
        "technology": technology if technology is not None else br.technology,
        "video_mode": "talker",
    }


def endpoint_json(ep: Endpoint) -> JsonObj:
    return {
        "channel_ids": list(ep.channels),
        "resource": ep.resource,
        "state": ep.state,
        "technology": ep.tech,
    }


def playback_json(pb: Playback) -> JsonObj:
    body: JsonObj = {"id": pb.id, "language": pb.language, "media_uri": pb.media[0]}
    if len(pb.media) > 1:
        body["next_media_uri"] = pb.media[1]
    body["state"] = pb.state
    body["target_uri"] = pb.target_uri
    return body


def error(message: str) -> JsonObj:
    """ast_ari_response_error() body."""
    return {"message": message}


ALLOCATION_FAILED: JsonObj = {"error": "Allocation failed"}  # ast_ari_response_alloc_failed()


# --- event bodies (without application / asterisk_id) -------------------------------------------


def stasis_start(ch: Channel, args: list[str], ts: str) -> JsonObj:
    return {"args": list(args), "channel": channel_json(ch), "timestamp": ts, "type": "StasisStart"}


def channel_event(kind: str, ch: Channel, ts: str) -> JsonObj:
    """StasisEnd, ChannelStateChange, ChannelConnectedLine, ChannelCreated, ChannelUnhold..."""
    return {"channel": channel_json(ch), "timestamp": ts, "type": kind}


def bridge_channel_event(
    kind: str, br: Bridge, ch: Channel, ts: str, technology: str | None = None
) -> JsonObj:
    """ChannelEnteredBridge / ChannelLeftBridge: the bridge as it is after the move."""
    return {"bridge": bridge_json(br, technology), "channel": channel_json(ch), "timestamp": ts, "type": kind}


def bridge_event(kind: str, br: Bridge, ts: str) -> JsonObj:
    return {"bridge": bridge_json(br), "timestamp": ts, "type": kind}


def dial(peer: Channel, status: str, dialstring: str, ts: str, caller: Channel | None = None) -> JsonObj:
    body: JsonObj = {}
    if caller is not None:
        body["caller"] = channel_json(caller)
    body["dialstatus"] = status
    body["dialstring"] = dialstring
    body["forward"] = ""
    body["peer"] = channel_json(peer)
    body["timestamp"] = ts
    body["type"] = "Dial"
    return body


def varset(ch: Channel, variable: str, value: str, ts: str) -> JsonObj:
    return {
        "channel": channel_json(ch),
        "timestamp": ts,
        "type": "ChannelVarset",
        "value": value,
        "variable": variable,
    }


def hangup_request(ch: Channel, ts: str, cause: int | None, soft: bool, tech_cause: int | None) -> JsonObj:
    body: JsonObj = {}
    if cause is not None:
        body["cause"] = cause
    body["channel"] = channel_json(ch)
    if soft:
        body["soft"] = True
    if tech_cause is not None:
        body["tech_cause"] = tech_cause
    body["timestamp"] = ts
    body["type"] = "ChannelHangupRequest"
    return body


def channel_destroyed(ch: Channel, ts: str) -> JsonObj:
    body: JsonObj = {
        "cause": ch.hangup_cause,
        "cause_txt": cause_text(ch.hangup_cause),
        "channel": channel_json(ch),
    }
    if ch.tech_cause is not None:
        body["tech_cause"] = ch.tech_cause
    body["timestamp"] = ts
    body["type"] = "ChannelDestroyed"
    return body


def dtmf_received(ch: Channel, digit: str, duration_ms: int, ts: str) -> JsonObj:
    return {
        "channel": channel_json(ch),
        "digit": digit,
        "duration_ms": duration_ms,
        "timestamp": ts,
        "type": "ChannelDtmfReceived",
    }


def channel_hold(ch: Channel, ts: str, musicclass: str | None) -> JsonObj:
    body: JsonObj = {"channel": channel_json(ch)}
    if musicclass:
        body["musicclass"] = musicclass
    body["timestamp"] = ts
    body["type"] = "ChannelHold"
    return body


def contact_status_change(ep: Endpoint, status: str, roundtrip_usec: str, ts: str) -> JsonObj:
    return {
        "contact_info": {
            "aor": ep.resource,
            "contact_status": status,
            "roundtrip_usec": roundtrip_usec,
            "uri": ep.uri,
        },
        "endpoint": endpoint_json(ep),
        "timestamp": ts,
        "type": "ContactStatusChange",
    }


def endpoint_state_change(ep: Endpoint, ts: str) -> JsonObj:
    return {"endpoint": endpoint_json(ep), "timestamp": ts, "type": "EndpointStateChange"}


def playback_event(kind: str, pb: Playback, ts: str) -> JsonObj:
    return {"playback": playback_json(pb), "timestamp": ts, "type": kind}


def device_state_changed(name: str, state: str, ts: str) -> JsonObj:
    return {"device_state": {"name": name, "state": state}, "timestamp": ts, "type": "DeviceStateChanged"}


def application_replaced(ts: str) -> JsonObj:
    return {"timestamp": ts, "type": "ApplicationReplaced"}


def application_move_failed(ch: Channel, destination: str, args: list[str], ts: str) -> JsonObj:
    return {
        "args": list(args),
        "channel": channel_json(ch),
        "destination": destination,
        "timestamp": ts,
        "type": "ApplicationMoveFailed",
    }


def envelope(app: str, asterisk_id: str, body: JsonObj) -> JsonObj:
    """The message one application receives: keys stay alphabetical (``args`` sorts first)."""
    if "args" in body:
        message: JsonObj = {"application": app, "args": body["args"], "asterisk_id": asterisk_id}
        for key, value in body.items():
            if key != "args":
                message[key] = value
        return message
    message = {"application": app, "asterisk_id": asterisk_id}
    message.update(body)
    return message

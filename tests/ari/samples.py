"""Small, valid ARI objects for tests that need one (shapes copied from the recorded traces)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, TypeAdapter

TIMESTAMP = "2026-11-24T00:05:57.640+0000"

CHANNEL: dict[str, Any] = {
    "accountcode": "",
    "caller": {"name": "Caller 1", "number": "+15550001"},
    "connected": {"name": "", "number": ""},
    "creationtime": TIMESTAMP,
    "dialplan": {
        "app_data": "acd,inbound,support",
        "app_name": "Stasis",
        "context": "from-trunk",
        "exten": "101",
        "priority": 2,
    },
    "id": "1795478757.3",
    "language": "en",
    "name": "PJSIP/trunk-00000001",
    "protocol_id": "1-9328@127.0.0.1",
    "state": "Ring",
}

BRIDGE: dict[str, Any] = {
    "bridge_class": "stasis",
    "bridge_type": "holding",
    "channels": [],
    "creationtime": TIMESTAMP,
    "creator": "Stasis",
    "id": "d063c412-de19-4e52-bbe7-9f27137f7ea0",
    "name": "queue-support",
    "technology": "holding_bridge",
    "video_mode": "talker",
}

ENDPOINT: dict[str, Any] = {
    "channel_ids": [],
    "resource": "agent4",
    "state": "offline",
    "technology": "PJSIP",
}

APPLICATION: dict[str, Any] = {
    "bridge_ids": [],
    "channel_ids": [],
    "device_names": [],
    "endpoint_ids": ["PJSIP/agent4"],
    "events_allowed": [],
    "events_disallowed": [],
    "name": "acd",
}

PLAYBACK: dict[str, Any] = {
    "id": "pb-1",
    "media_uri": "sound:queue-periodic-announce",
    "target_uri": "channel:1795478757.3",
    "language": "en",
    "state": "queued",
}


def event(kind: str, **fields: Any) -> str:
    """One WebSocket message of type ``kind``, as Asterisk would send it."""
    return json.dumps({"type": kind, "application": "acd", "timestamp": TIMESTAMP, **fields})


def stasis_start(channel_id: str, *args: str) -> str:
    return event("StasisStart", args=list(args), channel={**CHANNEL, "id": channel_id})


_DATETIME = TypeAdapter(datetime)


def assert_matches(value: Any, raw: Any, where: str = "$") -> None:
    """Every field of ``raw`` (JSON as Asterisk sent it) is modelled and came through unchanged."""
    if isinstance(value, BaseModel):
        assert isinstance(raw, dict), f"{where}: expected an object, got {raw!r}"
        names = {(info.alias or name): name for name, info in type(value).model_fields.items()}
        for key, raw_item in raw.items():
            assert key in names, f"{where}.{key}: not modelled by {type(value).__name__}"
            assert_matches(getattr(value, names[key]), raw_item, f"{where}.{key}")
    elif isinstance(value, datetime):
        assert value == _DATETIME.validate_python(raw), f"{where}: {value!r} != {raw!r}"
    elif isinstance(value, (list, tuple)):
        assert isinstance(raw, list) and len(value) == len(raw), f"{where}: {value!r} != {raw!r}"
        for i, (item, raw_item) in enumerate(zip(value, raw, strict=True)):
            assert_matches(item, raw_item, f"{where}[{i}]")
    else:
        assert value == raw, f"{where}: {value!r} != {raw!r}"

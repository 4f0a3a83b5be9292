"""``parse_event`` on the messages that are not ordinary: unknown types are kept, broken ones refused."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from acd.ari import ChannelVarset, MalformedEvent, StasisStart, UnknownEvent, parse_event
from tests.ari.samples import CHANNEL, TIMESTAMP, event, stasis_start


def test_bytes_and_text_parse_alike() -> None:
    text = stasis_start("c1", "inbound", "support")
    assert parse_event(text) == parse_event(text.encode())


def test_an_unknown_type_is_kept_whole_rather_than_refused() -> None:
    raw = {"type": "ChannelFutureThing", "application": "acd", "timestamp": TIMESTAMP, "x": [1, 2]}
    result = parse_event(json.dumps(raw))
    assert result == UnknownEvent(type="ChannelFutureThing", raw=raw)


def test_fields_newer_asterisk_versions_add_are_ignored() -> None:
    text = event("StasisStart", args=[], channel={**CHANNEL, "new_field": 1}, another=True)
    result = parse_event(text)
    assert isinstance(result, StasisStart)
    assert result.channel.id == CHANNEL["id"]


def test_optional_fields_may_be_missing() -> None:
    result = parse_event(event("ChannelVarset", variable="GLOBALVAR", value="1"))
    assert isinstance(result, ChannelVarset)
    assert result.channel is None
    assert result.asterisk_id is None


@pytest.mark.parametrize(
    ("message", "says"),
    [
        ("not json", "Invalid JSON"),
        ("", "Invalid JSON"),
        ("[1, 2]", "object"),
        ('{"application": "acd"}', "no 'type' field"),
        ('{"type": 5}', "type"),
        (event("StasisStart", args=[]), "StasisStart.channel: Field required"),
        (event("StasisStart", args=[], channel={**CHANNEL, "id": None}), "StasisStart.channel.id"),
        (
            event("ChannelDestroyed", cause="sixteen", cause_txt="x", channel=CHANNEL),
            "ChannelDestroyed.cause",
        ),
        (json.dumps({"type": "StasisEnd", "channel": CHANNEL}), "StasisEnd.application"),
    ],
    ids=["text", "empty", "array", "no-type", "numeric-type", "missing", "null-id", "mistyped", "no-common"],
)
def test_malformed_messages_raise_a_value_error_that_says_where(message: str, says: str) -> None:
    with pytest.raises(MalformedEvent, match=says) as info:
        parse_event(message)
    assert isinstance(info.value, ValueError)


def test_events_are_immutable_facts() -> None:
    result = parse_event(stasis_start("c1"))
    assert isinstance(result, StasisStart)
    with pytest.raises(ValidationError):
        result.channel.id = "other"  # type: ignore[misc]


def test_events_can_be_built_in_code_without_naming_their_type() -> None:
    built = StasisStart.model_validate(
        {"application": "acd", "timestamp": TIMESTAMP, "args": [], "channel": CHANNEL}
    )
    assert built.type == "StasisStart"
    assert parse_event(built.model_dump_json()) == built

"""Every event Asterisk 22 really sent in the recorded scenarios parses into its own model, losslessly."""

from __future__ import annotations

import json
from typing import Any

import pytest

from acd.ari import (
    ChannelDestroyed,
    ChannelHangupRequest,
    ContactStatusChange,
    Dial,
    StasisStart,
    UnknownEvent,
    parse_event,
)
from acd.ari.events import AriEvent
from tests.ari.samples import assert_matches
from tests.shared_data import load_trace, require_shared, trace_names

TYPES_IN_TRACES = {
    "BridgeDestroyed",
    "ChannelConnectedLine",
    "ChannelDestroyed",
    "ChannelEnteredBridge",
    "ChannelHangupRequest",
    "ChannelLeftBridge",
    "ChannelStateChange",
    "ChannelVarset",
    "ContactStatusChange",
    "Dial",
    "StasisEnd",
    "StasisStart",
}


def raw_events(name: str) -> list[dict[str, Any]]:
    return [record["event"] for record in load_trace(name) if record["kind"] == "event"]


def parsed(name: str) -> list[AriEvent]:
    # As on the wire: one JSON text per message.
    return [parse_event(json.dumps(raw)) for raw in raw_events(name)]


@pytest.mark.parametrize("name", trace_names())
def test_every_trace_event_parses_into_its_model_without_losing_a_field(name: str) -> None:
    for raw in raw_events(name):
        event = parse_event(json.dumps(raw).encode())
        assert not isinstance(event, UnknownEvent), raw["type"]
        assert type(event).__name__ == raw["type"]
        assert_matches(event, raw)


def test_the_traces_contain_exactly_the_expected_event_types() -> None:
    require_shared()
    seen = {raw["type"] for name in trace_names() for raw in raw_events(name)}
    assert seen == TYPES_IN_TRACES


def test_stasis_start_carries_the_dialplan_and_originate_arguments() -> None:
    starts = [e for e in parsed("a_agent_answers_caller_hangs_up") if isinstance(e, StasisStart)]
    caller, agent = starts
    assert caller.args == ("inbound", "support")
    assert caller.channel.state == "Ring"
    assert caller.channel.caller.number == "+15550001"
    assert agent.args == ("agent", caller.channel.id)
    assert agent.channel.state == "Up"


def test_a_busy_agent_leg_ends_with_dial_busy_and_cause_user_busy() -> None:
    events = parsed("d_agent_rejects_busy")
    assert [e.dialstatus for e in events if isinstance(e, Dial)] == ["", "RINGING", "BUSY"]
    [destroyed] = [e for e in events if isinstance(e, ChannelDestroyed)]
    assert (destroyed.cause, destroyed.cause_txt, destroyed.tech_cause) == (17, "User busy", 486)
    assert destroyed.channel.state == "Ringing"


def test_a_ring_timeout_ends_with_no_answer_and_no_final_dial_event() -> None:
    events = parsed("e_agent_does_not_answer_timeout")
    assert [e.dialstatus for e in events if isinstance(e, Dial)] == ["", "RINGING"]
    [destroyed] = [e for e in events if isinstance(e, ChannelDestroyed)]
    assert (destroyed.cause, destroyed.cause_txt) == (19, "User alerting, no answer")


def test_a_far_end_hang_up_request_has_no_cause() -> None:
    events = parsed("c_caller_abandons_while_agent_rings")
    requests = [e for e in events if isinstance(e, ChannelHangupRequest)]
    assert [(r.cause, r.soft) for r in requests] == [(None, None), (32, True)]


def test_contact_status_changes_follow_registration() -> None:
    events = parsed("i_agent_endpoint_registers_then_unregisters")
    changes = [e for e in events if isinstance(e, ContactStatusChange)]
    assert [c.contact_info.contact_status for c in changes] == ["NonQualified", "Unreachable", "Removed"]
    assert {(c.endpoint.technology, c.endpoint.resource) for c in changes} == {("PJSIP", "agent4")}

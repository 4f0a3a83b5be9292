"""What a StasisStart's arguments become: the dialplan's text is untrusted input."""

from __future__ import annotations

import pytest

from acd.ari.events import StasisStart, parse_event
from acd.engine.inputs import CallerEntered
from acd.telephony.translate import translate
from tests.ari.samples import stasis_start


def entered(*args: str) -> CallerEntered:
    event = parse_event(stasis_start("c1", *args))
    assert isinstance(event, StasisStart)
    inp = translate(event)
    assert isinstance(inp, CallerEntered)
    return inp


@pytest.mark.parametrize(("arg", "priority"), [("5", 5), ("-2", -2), ("+3", 3)])
def test_the_third_argument_is_the_callers_priority(arg: str, priority: int) -> None:
    assert entered("inbound", "support", arg).priority == priority


@pytest.mark.parametrize("arg", ["--5", "²", "high", "", "5.5"])
def test_a_priority_that_is_not_a_number_is_no_priority_not_a_crash(arg: str) -> None:
    call = entered("inbound", "support", arg)
    assert (call.queue, call.priority) == ("support", None)

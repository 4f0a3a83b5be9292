"""How a failed ARI action is reported: to the engine always (marked when it is the race of a
channel that just hung up), to the operator by what it means."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import pytest
import structlog

from acd.ari.client import AriClient
from acd.ari.errors import error_class
from acd.engine.effects import AddToBridge, Answer, Originate, TelephonyAction
from acd.engine.inputs import ActionFailed, Input, OriginateFailed
from acd.telephony.actions import AriActions

Logs = list[MutableMapping[str, Any]]


def fail(action: TelephonyAction, status: int, message: str) -> tuple[list[Input], Logs]:
    reported: list[Input] = []
    client = AriClient("http://127.0.0.1:9", "acd", "acd", "acd")  # never asked: the failure is given
    actions = AriActions(client, "acd", reported.append)
    with structlog.testing.capture_logs() as logs:
        actions._failed(action, error_class(status)(message, status=status))
    return reported, logs


@pytest.mark.parametrize(
    ("action", "status", "message"),
    [
        (Answer("c1", "c1"), 404, "Channel not found"),
        (AddToBridge("c1", "acd-queue-support", ("c1",)), 400, "Channel not found"),
        (AddToBridge("c1", "acd-queue-support", ("c1",)), 422, "Channel not in Stasis application"),
    ],
)
def test_a_channel_that_hung_up_mid_request_is_a_race_logged_at_info(
    action: TelephonyAction, status: int, message: str
) -> None:
    reported, logs = fail(action, status, message)
    assert [(r["event"], r["log_level"]) for r in logs] == [("ari.action_raced", "info")]
    assert isinstance(reported[0], ActionFailed) and reported[0].status == status and reported[0].raced


@pytest.mark.parametrize(
    ("action", "status", "message"),
    [
        (AddToBridge("c1", "acd-call-1", ("c1", "l1")), 404, "Bridge not found"),
        (Answer("c1", "c1"), 500, "Internal Server Error"),
        (Originate("c1", "l1", "PJSIP/nobody", "agent,c1", "", 15), 404, "Endpoint not found"),
    ],
)
def test_anything_else_is_a_warning(action: TelephonyAction, status: int, message: str) -> None:
    reported, logs = fail(action, status, message)
    assert [(r["event"], r["log_level"]) for r in logs] == [("ari.action_failed", "warning")]
    assert isinstance(reported[0], ActionFailed | OriginateFailed)
    assert not getattr(reported[0], "raced", False)

"""How a failed ARI action is reported: to the engine always (marked when it is the race of a
channel that just hung up), to the operator by what it means."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

import pytest
import structlog
from aiohttp import web

from acd.ari.client import AriClient
from acd.ari.errors import error_class
from acd.engine.effects import AddToBridge, Answer, Hangup, Originate, TelephonyAction
from acd.engine.inputs import ActionFailed, Input, OriginateFailed
from acd.telephony.actions import AriActions
from tests.ari.samples import CHANNEL

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


async def test_a_legs_hangup_waits_for_its_originate_while_the_callers_answer_does_not() -> None:
    """Lanes over real HTTP: Asterisk answers an originate only once the channel exists, so a
    hang-up sent before that answer would find nothing (and the agent would ring on); the caller's
    answer, another lane, goes out at once."""
    seen: list[str] = []
    originate_answered = asyncio.Event()

    async def originate(request: web.Request) -> web.Response:
        seen.append("originate")
        await asyncio.sleep(0.2)
        seen.append("originate answered")
        originate_answered.set()
        return web.json_response({**CHANNEL, "id": request.match_info["id"], "state": "Down"})

    async def answer(request: web.Request) -> web.Response:
        seen.append("answer")
        return web.Response(status=204)

    async def hangup(request: web.Request) -> web.Response:
        seen.append("hangup")
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/ari/channels/{id}", originate)
    app.router.add_post("/ari/channels/{id}/answer", answer)
    app.router.add_delete("/ari/channels/{id}", hangup)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    client = AriClient(f"http://127.0.0.1:{port}", "acd", "acd", "acd")
    reported: list[Input] = []
    actions = AriActions(client, "acd", reported.append)
    try:
        actions.submit([Originate("leg1", "leg1", "PJSIP/alice", "agent,c1", "", 15), Answer("c1", "c1")])
        actions.submit([Hangup("leg1", "leg1")])
        await actions.drain()
        assert originate_answered.is_set()
    finally:
        await actions.close()
        await client.close()
        await runner.cleanup()
    # The two lanes' first requests travel in parallel (on two connections): either may land first.
    assert sorted(seen[:2]) == ["answer", "originate"]
    assert seen[2:] == ["originate answered", "hangup"]
    assert reported == []

"""``/api/calls/{call_id}/...``: an agent controlling its own call (hold, unhold, hang up, transfer).

The engine checks ownership (another agent's call: 403; no such active call: 404; a call not
connected: 409), so a forged call id can do nothing.
"""

from __future__ import annotations

from aiohttp import web

from acd.engine.inputs import HangupCall, HoldCall, TransferCall, UnholdCall
from acd.web.bodies import TransferBody, parse_body
from acd.web.deps_key import DEPS
from acd.web.errors import ApiError
from acd.web.sessions import current_user


def _call_view(request: web.Request, call_id: str) -> web.Response:
    engine = request.app[DEPS].runner.engine
    call = engine.calls.get(call_id)
    if call is None:
        raise ApiError(404, "not-found", f"no active call {call_id!r}")
    return web.json_response(engine.call_view(call))


async def hold(request: web.Request) -> web.Response:
    user = current_user(request)
    call_id = request.match_info["call_id"]
    request.app[DEPS].runner.command(HoldCall(user.agent_id, call_id))
    return _call_view(request, call_id)


async def unhold(request: web.Request) -> web.Response:
    user = current_user(request)
    call_id = request.match_info["call_id"]
    request.app[DEPS].runner.command(UnholdCall(user.agent_id, call_id))
    return _call_view(request, call_id)


async def hangup(request: web.Request) -> web.Response:
    user = current_user(request)
    request.app[DEPS].runner.command(HangupCall(user.agent_id, request.match_info["call_id"]))
    return web.json_response({})


async def transfer(request: web.Request) -> web.Response:
    user = current_user(request)
    body = await parse_body(request, TransferBody)
    command = TransferCall(user.agent_id, request.match_info["call_id"], body.kind, body.target)
    request.app[DEPS].runner.command(command)
    return web.json_response({})


def call_routes() -> list[web.RouteDef]:
    return [
        web.post("/api/calls/{call_id}/hold", hold),
        web.post("/api/calls/{call_id}/unhold", unhold),
        web.post("/api/calls/{call_id}/hangup", hangup),
        web.post("/api/calls/{call_id}/transfer", transfer),
    ]

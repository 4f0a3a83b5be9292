"""``/api/demo/phone...``: the simulated softphone of ``acd demo`` (there is no SIP in demo mode).

Answered only when the daemon runs with a :class:`~acd.web.deps.DemoPhone` (404 otherwise). An
agent sees and touches only the legs of its own endpoint (``engine.agents[id].endpoint``):
anything else answers 403, whether it exists or not.
"""

from __future__ import annotations

from aiohttp import web

from acd.web.bodies import ChannelBody, DialBody, LegBody, RejectBody, parse_body
from acd.web.deps import DemoPhone
from acd.web.deps_key import DEPS
from acd.web.errors import ApiError
from acd.web.sessions import current_user


def _phone(request: web.Request) -> tuple[DemoPhone, str]:
    """The demo phone and the caller's own endpoint."""
    deps = request.app[DEPS]
    if deps.demo_phone is None:
        raise ApiError(404, "not-found", "there is no demo phone: the daemon is not in demo mode")
    user = current_user(request)
    agent = deps.runner.engine.agents.get(user.agent_id)
    if agent is None:
        raise ApiError(404, "not-found", "this account has no phone")
    return deps.demo_phone, agent.endpoint


def _own(phone: DemoPhone, endpoint: str, channel_id: str) -> None:
    if not phone.owns(endpoint, channel_id):
        raise ApiError(403, "forbidden", "this leg is not on your phone")


async def state(request: web.Request) -> web.Response:
    phone, endpoint = _phone(request)
    return web.json_response({"ringing": phone.ringing(endpoint), "active": phone.active(endpoint)})


async def answer(request: web.Request) -> web.Response:
    phone, endpoint = _phone(request)
    body = await parse_body(request, LegBody)
    _own(phone, endpoint, body.leg_id)
    if not await phone.answer(body.leg_id):
        raise ApiError(409, "conflict", "this leg is not ringing any more")
    return web.json_response({})


async def reject(request: web.Request) -> web.Response:
    phone, endpoint = _phone(request)
    body = await parse_body(request, RejectBody)
    _own(phone, endpoint, body.leg_id)
    if not await phone.reject(body.leg_id, body.cause):
        raise ApiError(409, "conflict", "this leg is not ringing any more")
    return web.json_response({})


async def hangup(request: web.Request) -> web.Response:
    phone, endpoint = _phone(request)
    body = await parse_body(request, ChannelBody)
    _own(phone, endpoint, body.channel_id)
    if not await phone.hangup(body.channel_id):
        raise ApiError(409, "conflict", "this channel has already ended")
    return web.json_response({})


async def dial(request: web.Request) -> web.Response:
    phone, endpoint = _phone(request)
    body = await parse_body(request, DialBody)
    try:
        channel_id = phone.dial(endpoint, body.number)
    except RuntimeError as exc:  # the simulated PBX is restarting
        raise ApiError(503, "unavailable", str(exc) or "the phone system is not available") from exc
    return web.json_response({"channel_id": channel_id})


def demo_routes() -> list[web.RouteDef]:
    return [
        web.get("/api/demo/phone", state),
        web.post("/api/demo/phone/answer", answer),
        web.post("/api/demo/phone/reject", reject),
        web.post("/api/demo/phone/hangup", hangup),
        web.post("/api/demo/phone/dial", dial),
    ]

"""``GET /api/customers/lookup``: the CRM popup's data for a number (see :mod:`acd.web.crm`)."""

from __future__ import annotations

from aiohttp import web

from acd.web.crm import CUSTOMERS, Unavailable
from acd.web.errors import ApiError
from acd.web.sessions import current_user


async def lookup(request: web.Request) -> web.Response:
    current_user(request)
    number = request.query.get("number", "").strip()
    if not number:
        raise ApiError(400, "invalid", "number: a phone number is required")
    if len(number) > 64:
        raise ApiError(400, "invalid", "number: too long")
    try:
        customer = await request.app[CUSTOMERS].lookup(number)
    except Unavailable as exc:
        raise ApiError(503, "database-unavailable", str(exc)) from exc
    return web.json_response({"customer": customer})


def customer_routes() -> list[web.RouteDef]:
    return [web.get("/api/customers/lookup", lookup)]

"""``/api/me...``: an agent acting on itself (state, wrap-up), its phone settings and its day.

Every command names the session's own agent id: there is no way to act on another agent here.
The engine validates and answers synchronously; its refusals become 400/404/409 (see
:mod:`acd.web.errors`).
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from acd.engine.inputs import Command, EndWrapUp, Login, Logout, SetDisposition, SetNotReady, SetReady
from acd.logging import get_logger
from acd.store import queues as store_queues
from acd.store import reports
from acd.store.agents import sip_credentials
from acd.store.crypto import SecretKeyError, secret_box
from acd.web import database
from acd.web.bodies import DispositionBody, ReasonBody, WrapupEndBody, parse_body
from acd.web.deps_key import DEPS
from acd.web.errors import ApiError
from acd.web.sessions import User, current_user

log = get_logger(__name__)

DISPOSITIONS_TTL = 60.0


class DispositionCache:
    """Disposition codes change rarely: read them at most once a minute, keep the last good list."""

    def __init__(self) -> None:
        self.codes: list[dict[str, Any]] = []
        self.until = 0.0


DISPOSITIONS = web.AppKey("dispositions", DispositionCache)


async def dispositions(request: web.Request) -> list[dict[str, Any]]:
    cache = request.app[DISPOSITIONS]
    if time.monotonic() < cache.until:
        return cache.codes
    try:
        async with database.connection(request.app[DEPS], timeout=1.0) as conn:
            rows = await store_queues.list_dispositions(conn)
    except ApiError:
        cache.until = time.monotonic() + 5.0  # the database is down: the last list, retry soon
        return cache.codes
    cache.codes = [{"code": r["code"], "label": r["label"], "queue": r["queue"]} for r in rows]
    cache.until = time.monotonic() + DISPOSITIONS_TTL
    return cache.codes


def own_call(request: web.Request, user: User) -> dict[str, Any] | None:
    engine = request.app[DEPS].runner.engine
    agent = engine.agents.get(user.agent_id)
    call = engine.calls.get(agent.call_id) if agent is not None and agent.call_id else None
    return engine.call_view(call) if call is not None else None


async def me(request: web.Request) -> web.Response:
    user = current_user(request)
    deps = request.app[DEPS]
    engine = deps.runner.engine
    agent = engine.agents.get(user.agent_id)
    return web.json_response(
        {
            "agent": engine.agent_view(agent) if agent is not None else None,
            "call": own_call(request, user),
            "config": {
                "not_ready_reasons": list(engine.settings.not_ready_reasons),
                "queues": sorted(engine.queue_settings),
                "dispositions": await dispositions(request),
                "demo": deps.demo_phone is not None,
            },
        }
    )


async def sip(request: web.Request) -> web.Response:
    """The agent's own SIP account for the browser phone (the decrypted secret: never cached)."""
    user = current_user(request)
    deps = request.app[DEPS]
    headers = {"Cache-Control": "no-store"}
    if deps.demo_phone is not None:
        return web.json_response({"demo": True}, headers=headers)
    try:
        box = secret_box(deps.settings.database)
        async with database.connection(deps) as conn:
            accounts = await sip_credentials(conn, box, user.agent_id)
    except SecretKeyError as exc:
        log.error("web.sip_secret_unavailable", error=str(exc))
        raise ApiError(
            503, "sip-unavailable", "SIP secrets cannot be read: the server's secret key is wrong"
        ) from exc
    if not accounts:
        raise ApiError(404, "not-found", "this account has no SIP phone")
    account = accounts[0]
    web_settings = deps.settings.web
    domain = account.domain or web_settings.sip_domain
    return web.json_response(
        {
            "demo": False,
            "ws_url": web_settings.sip_ws_url,
            "uri": f"sip:{account.username}@{domain}",
            "username": account.username,
            "password": account.secret,
            "domain": domain,
            "ice_servers": [{"urls": url} for url in web_settings.ice_servers],
            "display_name": account.name or account.agent_id,
        },
        headers=headers,
    )


def _apply(request: web.Request, command: Command) -> web.Response:
    return web.json_response(request.app[DEPS].runner.command(command))


async def acd_login(request: web.Request) -> web.Response:
    return _apply(request, Login(current_user(request).agent_id))


async def ready(request: web.Request) -> web.Response:
    return _apply(request, SetReady(current_user(request).agent_id))


async def not_ready(request: web.Request) -> web.Response:
    user = current_user(request)
    body = await parse_body(request, ReasonBody)
    return _apply(request, SetNotReady(user.agent_id, body.reason))


async def acd_logout(request: web.Request) -> web.Response:
    return _apply(request, Logout(current_user(request).agent_id))


async def disposition(request: web.Request) -> web.Response:
    user = current_user(request)
    body = await parse_body(request, DispositionBody)
    return _apply(request, SetDisposition(user.agent_id, body.disposition))


async def wrapup_end(request: web.Request) -> web.Response:
    user = current_user(request)
    body = await parse_body(request, WrapupEndBody)
    return _apply(request, EndWrapUp(user.agent_id, body.disposition))


def start_of_today() -> datetime:
    """Local midnight of the server (the day an agent's figures are counted in)."""
    now = datetime.now().astimezone()
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


async def stats(request: web.Request) -> web.Response:
    """Today's own figures, from PostgreSQL (``acd.store.reports.agent_report``: state time from
    ``cc_agent_activities``, offers and their results from ``cc_call_events``)."""
    user = current_user(request)
    start = start_of_today()
    end = max(datetime.now().astimezone(), start + timedelta(seconds=1))
    async with database.connection(request.app[DEPS]) as conn:
        rows = await reports.agent_report(
            conn, start=start, end=end, interval=timedelta(days=1), agents=[user.agent_id]
        )
    row = rows[0] if rows else {}
    answered = int(row.get("offers_answered") or 0)
    talk = float(row.get("talk") or 0.0)
    hold = float(row.get("hold") or 0.0)
    wrapup = float(row.get("wrapup") or 0.0)
    return web.json_response(
        {
            "answered": answered,
            "talk_seconds": round(talk, 3),
            "hold_seconds": round(hold, 3),
            "wrapup_seconds": round(wrapup, 3),
            "aht": round((talk + hold + wrapup) / answered, 3) if answered else None,
            "not_ready_seconds": round(float(row.get("not_ready") or 0.0), 3),
            "ready_seconds": round(float(row.get("ready") or 0.0), 3),
            "missed": int(row.get("offers_not_answered") or 0),
        }
    )


def agent_routes() -> list[web.RouteDef]:
    return [
        web.get("/api/me", me),
        web.get("/api/me/sip", sip),
        web.post("/api/me/login", acd_login),
        web.post("/api/me/ready", ready),
        web.post("/api/me/not-ready", not_ready),
        web.post("/api/me/logout", acd_logout),
        web.post("/api/me/disposition", disposition),
        web.post("/api/me/wrapup/end", wrapup_end),
        web.get("/api/me/stats", stats),
    ]

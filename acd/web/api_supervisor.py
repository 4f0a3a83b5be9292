"""Supervisor endpoints: the live picture (agents, queues, calls), forcing an agent's state, reports.

Live views come from the engine and never wait on PostgreSQL. ``/api/queues`` adds today's
answered / abandoned / service level per queue from PostgreSQL (KPIS.md default service level
``A_T / (O - Ab_s)`` with each queue's own threshold); these are cached for a few seconds (a
wallboard polls) and are null while the database is unreachable. Reports need the database: 503
without it.
"""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from aiohttp import web

from acd.engine.inputs import Logout, SetNotReady
from acd.logging import get_logger
from acd.store import reports
from acd.web import database
from acd.web.api_agent import start_of_today
from acd.web.bodies import AgentStateBody, parse_body
from acd.web.deps_key import DEPS
from acd.web.errors import ApiError
from acd.web.sessions import require_supervisor

log = get_logger(__name__)

TODAY_TTL = 5.0
TODAY_FIELDS = ("answered", "abandoned", "service_level")


class TodayCache:
    def __init__(self) -> None:
        self.figures: dict[str, dict[str, Any]] = {}
        self.until = 0.0


TODAY = web.AppKey("queues_today", TodayCache)


async def agents(request: web.Request) -> web.Response:
    require_supervisor(request)
    return web.json_response({"agents": request.app[DEPS].runner.engine.agents_view()})


async def calls(request: web.Request) -> web.Response:
    require_supervisor(request)
    return web.json_response({"calls": request.app[DEPS].runner.engine.calls_view()})


async def today_by_queue(request: web.Request) -> dict[str, dict[str, Any]]:
    """Today's figures per queue, or {} when the database cannot be read now."""
    cache = request.app[TODAY]
    if time.monotonic() < cache.until:
        return cache.figures
    engine = request.app[DEPS].runner.engine
    by_threshold: dict[float, list[str]] = defaultdict(list)
    for name, queue in engine.queue_settings.items():
        by_threshold[queue.service_level_seconds].append(name)
    start = start_of_today()
    end = max(datetime.now().astimezone(), start + timedelta(seconds=1))
    figures: dict[str, dict[str, Any]] = {}
    try:
        async with database.connection(request.app[DEPS], timeout=1.0) as conn:
            for threshold, names in by_threshold.items():
                rows = await reports.queue_report(
                    conn,
                    start=start,
                    end=end,
                    interval=timedelta(days=1),
                    queues=names,
                    sl_seconds=threshold,
                    short_abandon_seconds=engine.settings.short_abandon_seconds,
                )
                for row in rows:
                    figures[row["queue"]] = {k: plain(row[k]) for k in TODAY_FIELDS}
    except ApiError:
        cache.figures, cache.until = {}, time.monotonic() + 2.0
        return {}
    cache.figures, cache.until = figures, time.monotonic() + TODAY_TTL
    return figures


async def queues(request: web.Request) -> web.Response:
    require_supervisor(request)
    engine = request.app[DEPS].runner.engine
    today = await today_by_queue(request)
    answer = []
    for name in sorted(engine.queue_settings):
        view = engine.queue_view(name)
        figures = today.get(name, {})
        view.update({k: figures.get(k) for k in TODAY_FIELDS})
        answer.append(view)
    return web.json_response({"queues": answer})


async def set_agent_state(request: web.Request) -> web.Response:
    require_supervisor(request)
    body = await parse_body(request, AgentStateBody)
    agent_id = request.match_info["agent_id"]
    runner = request.app[DEPS].runner
    if body.state == "not-ready":
        view = runner.command(SetNotReady(agent_id, body.reason or "supervisor", by_supervisor=True))
    else:
        view = runner.command(Logout(agent_id, by_supervisor=True))
    log.info("web.agent_state_forced", agent_id=agent_id, state=body.state)
    return web.json_response(view)


# ------------------------------------------------------------ reports


def plain(value: Any) -> Any:
    """JSON-ready: datetimes as epoch seconds (docs/api.md), decimals as floats."""
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def parse_time(text: str | None, default: datetime) -> datetime:
    """Epoch seconds or ISO 8601 (a date-time without offset is UTC)."""
    if text is None or not text.strip():
        return default
    text = text.strip()
    try:
        return datetime.fromtimestamp(float(text), UTC)
    except (ValueError, OverflowError):
        pass
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ApiError(400, "invalid", f"invalid time {text!r}: epoch seconds or ISO 8601") from exc
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def report_range(request: web.Request) -> tuple[datetime, datetime, timedelta]:
    start = parse_time(request.query.get("from"), start_of_today())
    end = parse_time(request.query.get("to"), datetime.now(UTC))
    try:
        interval = reports.parse_interval(request.query.get("interval") or "1h")
    except ValueError as exc:
        raise ApiError(400, "invalid", str(exc)) from exc
    return start, end, interval


async def queue_report(request: web.Request) -> web.Response:
    require_supervisor(request)
    start, end, interval = report_range(request)
    engine = request.app[DEPS].runner.engine
    name = request.query.get("queue") or None
    settings = engine.queue_settings.get(name) if name else None
    threshold = settings.service_level_seconds if settings is not None else 20.0
    try:
        async with database.connection(request.app[DEPS]) as conn:
            rows = await reports.queue_report(
                conn,
                start=start,
                end=end,
                interval=interval,
                queues=[name] if name else None,
                sl_seconds=threshold,
                short_abandon_seconds=engine.settings.short_abandon_seconds,
            )
    except ValueError as exc:
        raise ApiError(400, "invalid", str(exc)) from exc
    return web.json_response({"rows": [{k: plain(v) for k, v in row.items()} for row in rows]})


async def agent_report(request: web.Request) -> web.Response:
    require_supervisor(request)
    start, end, interval = report_range(request)
    try:
        async with database.connection(request.app[DEPS]) as conn:
            rows = await reports.agent_report(conn, start=start, end=end, interval=interval)
    except ValueError as exc:
        raise ApiError(400, "invalid", str(exc)) from exc
    return web.json_response({"rows": [{k: plain(v) for k, v in row.items()} for row in rows]})


def supervisor_routes() -> list[web.RouteDef]:
    return [
        web.get("/api/agents", agents),
        web.get("/api/queues", queues),
        web.get("/api/calls", calls),
        web.post("/api/agents/{agent_id}/state", set_agent_state),
        web.get("/api/reports/queues", queue_report),
        web.get("/api/reports/agents", agent_report),
    ]

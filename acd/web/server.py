"""The web server's composition: ``build_web_app`` wires every route, middleware and service;
``start_web`` serves it over HTTP, or HTTPS when ``web.tls_cert`` and ``web.tls_key`` are set.

Long-lived things are owned here and stopped on the way out: on shutdown the live streams end
first (aiohttp's graceful shutdown waits only for request handlers, and a stream would otherwise
hold it for its whole timeout), then background CRM lookups are cancelled and the CRM HTTP client
closed (``cleanup_ctx``).
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from acd.config import Settings, WebSettings
from acd.logging import get_logger
from acd.web.api_agent import DISPOSITIONS, DispositionCache, agent_routes
from acd.web.api_calls import call_routes
from acd.web.api_customers import customer_routes
from acd.web.api_supervisor import TODAY, TodayCache, supervisor_routes
from acd.web.auth import LIMITER, LoginLimiter, auth_routes
from acd.web.crm import CUSTOMERS, CustomerService
from acd.web.demo import demo_routes
from acd.web.deps import WebDeps
from acd.web.deps_key import DEPS
from acd.web.live import LIVE, LiveStreams, live_routes
from acd.web.openapi import openapi_routes
from acd.web.ops import ops_routes
from acd.web.security import csrf_middleware, error_middleware, security_headers
from acd.web.sessions import ACCOUNTS, SESSIONS, AccountCheck, SessionStore, session_middleware
from acd.web.static import static_routes

log = get_logger(__name__)

#: JSON bodies here are a few hundred bytes; refuse anything big before reading it.
MAX_BODY = 64 * 1024
SHUTDOWN_TIMEOUT = 10.0


def build_web_app(deps: WebDeps, *, heartbeat_seconds: float = 15.0) -> web.Application:
    """The aiohttp application over ``deps``; nothing is started until it is run."""
    settings = deps.settings
    app = web.Application(
        middlewares=[error_middleware, session_middleware, csrf_middleware], client_max_size=MAX_BODY
    )
    app[DEPS] = deps
    app[SESSIONS] = SessionStore(deps.redis, settings.redis.key_prefix, settings.web)
    app[ACCOUNTS] = AccountCheck(deps.pool)
    app[LIMITER] = LoginLimiter(deps.redis, settings.redis.key_prefix, settings.web.login_attempts_per_minute)
    app[LIVE] = LiveStreams(deps.runner, deps.metrics, heartbeat_seconds)
    app[CUSTOMERS] = CustomerService(deps, deps.runner.hub, None)
    app[DISPOSITIONS] = DispositionCache()
    app[TODAY] = TodayCache()
    app.on_response_prepare.append(security_headers(settings.web))
    app.on_shutdown.append(_stop_streams)
    app.cleanup_ctx.append(_crm_client)
    for routes in (
        auth_routes(),
        agent_routes(),
        call_routes(),
        customer_routes(),
        supervisor_routes(),
        live_routes(),
        demo_routes(),
        openapi_routes(),
        static_routes(),
    ):
        app.add_routes(routes)
    app.add_routes(ops_routes(deps.metrics, deps.readiness, deps.runner.refresh_gauges))
    return app


async def _stop_streams(app: web.Application) -> None:
    app[LIVE].stop_all()


async def _crm_client(app: web.Application) -> AsyncIterator[None]:
    """The external CRM's HTTP client (only when one is configured) and the lookups' tasks."""
    customers = app[CUSTOMERS]
    if customers.template is not None:
        customers.http = aiohttp.ClientSession()
    yield
    await customers.close()
    if customers.http is not None:
        await customers.http.close()
        customers.http = None


def tls_context(settings: WebSettings) -> ssl.SSLContext | None:
    """An HTTPS context from ``tls_cert``/``tls_key`` (TLS 1.2 or later), or None for plain HTTP."""
    if settings.tls_cert is None and settings.tls_key is None:
        return None
    if settings.tls_cert is None or settings.tls_key is None:
        raise ValueError("web.tls_cert and web.tls_key must be set together")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(settings.tls_cert, settings.tls_key)
    return context


async def start_web(app: web.Application, settings: Settings) -> web.AppRunner:
    """Serve ``app`` on ``web.host:web.port``; stop it with ``await runner.cleanup()``."""
    context = tls_context(settings.web)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT)
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.web.host, settings.web.port, ssl_context=context)
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    log.info("web.started", addresses=[list(a) for a in runner.addresses], tls=context is not None)
    return runner

"""Logging in and out of the web page: passwords checked with argon2, attempts rate-limited.

- Passwords are verified by :func:`acd.store.agents.authenticate` (argon2id, in a worker
  thread); a wrong password, an unknown agent and a disabled agent get the same 401 and the same
  message, and cost the same time, so the answer reveals nothing about which accounts exist.
- Failed attempts are counted in Redis per account and per client address, in one-minute
  windows. An attempt is counted *before* the password is checked (so a burst of parallel
  guesses cannot slip past the limit) and refunded when it succeeds (so an office behind one
  NAT address is not locked out by its own successful logins). Over the limit: 429 with
  ``Retry-After``, before any argon2 work is spent.
- A successful login always starts a new session id (the old one is deleted): a session id
  planted in the browser before login (fixation) is worthless. The session carries a fresh CSRF
  token. Passwords are never logged.
"""

from __future__ import annotations

import time

import redis.asyncio as aioredis
from aiohttp import web
from redis.exceptions import RedisError

from acd.engine.base import CommandRejected
from acd.engine.inputs import Logout
from acd.logging import get_logger
from acd.state.agent import AgentState
from acd.store.agents import Account, authenticate
from acd.web import database
from acd.web.bodies import LoginBody, parse_body
from acd.web.deps_key import DEPS
from acd.web.errors import ApiError, sessions_unavailable
from acd.web.live import LIVE
from acd.web.sessions import (
    SESSION_ID,
    SESSIONS,
    USER,
    User,
    current_user,
    new_csrf_token,
    session_answer,
)

log = get_logger(__name__)

WINDOW_SECONDS = 60
BAD_CREDENTIALS = "wrong agent id or password"


class LoginLimiter:
    """Fixed one-minute windows of failed logins, per account and per client address."""

    def __init__(self, redis: aioredis.Redis, key_prefix: str, limit: int) -> None:
        self._redis = redis
        self._prefix = f"{key_prefix}login:"
        self.limit = limit

    def _keys(self, account: str, address: str) -> tuple[str, str]:
        return f"{self._prefix}account:{account.lower()}", f"{self._prefix}address:{address}"

    async def reserve(self, account: str, address: str) -> int | None:
        """Count one attempt; the seconds to wait when either limit is exceeded, else None."""
        keys = self._keys(account, address)
        pipe = self._redis.pipeline(transaction=True)
        for key in keys:
            # SET NX EX starts a window (Redis 2.6.12+); INCR keeps its expiry.
            pipe.set(key, 0, ex=WINDOW_SECONDS, nx=True)
            pipe.incr(key)
            pipe.ttl(key)
        results = await pipe.execute()
        wait = 0
        for i in range(len(keys)):
            count, ttl = int(results[3 * i + 1]), int(results[3 * i + 2])
            if count > self.limit:
                wait = max(wait, ttl if ttl > 0 else WINDOW_SECONDS)
        return wait or None

    async def refund(self, account: str, address: str) -> None:
        """A successful login does not count against anyone."""
        pipe = self._redis.pipeline(transaction=True)
        for key in self._keys(account, address):
            pipe.decr(key)
        try:
            await pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning("web.login_refund_failed", error=str(exc))


LIMITER = web.AppKey("login_limiter", LoginLimiter)


def client_address(request: web.Request) -> str:
    """The client's address; behind a TLS proxy, the last hop the proxy appended."""
    if request.app[DEPS].settings.web.behind_tls_proxy:
        forwarded = request.headers.get("X-Forwarded-For", "")
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if hops:
            return hops[-1][:64]
    return request.remote or "unknown"


def _failed(request: web.Request, reason: str) -> None:
    request.app[DEPS].metrics.login_failures.labels(reason).inc()


async def login(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    try:
        body = await parse_body(request, LoginBody)
    except ApiError:
        _failed(request, "invalid")
        raise
    address = client_address(request)
    limiter = request.app[LIMITER]
    try:
        wait = await limiter.reserve(body.agent_id, address)
    except (RedisError, OSError) as exc:
        _failed(request, "unavailable")
        raise sessions_unavailable() from exc
    if wait is not None:
        _failed(request, "rate-limited")
        log.warning("web.login_rate_limited", address=address)
        raise ApiError(
            429,
            "too-many-attempts",
            f"too many login attempts: try again in {wait} s",
            headers={"Retry-After": str(wait)},
        )
    try:
        async with database.connection(deps) as conn:
            account = await authenticate(conn, body.agent_id, body.password)
    except ApiError:
        _failed(request, "unavailable")
        await limiter.refund(body.agent_id, address)  # our outage is not the client's attempt
        raise
    if account is None:
        _failed(request, "bad-credentials")
        log.info("web.login_refused", address=address)
        raise ApiError(401, "bad-credentials", BAD_CREDENTIALS)
    await limiter.refund(body.agent_id, address)
    try:
        return await _start_session(request, account)
    except (RedisError, OSError) as exc:
        raise sessions_unavailable() from exc


async def _start_session(request: web.Request, account: Account) -> web.Response:
    """A new session (a new id, whatever the browser sent) with a fresh CSRF token."""
    store = request.app[SESSIONS]
    old = request.get(SESSION_ID)
    if old is not None:
        await store.delete(old)
        request.app[LIVE].stop_session(old)
    session = await store.new_session()
    session.set_new_identity(store.new_id())
    session["agent_id"] = account.agent_id
    session["name"] = account.name
    session["role"] = account.role
    session["csrf"] = new_csrf_token()
    user = User(
        agent_id=account.agent_id,
        name=account.name,
        role=account.role,
        csrf_token=session["csrf"],
        session_id=str(session.identity),
        expires_at=time.time() + (store.max_age or 0),
    )
    request[USER] = user
    answer = web.json_response(session_answer(request, user))
    await store.save_session(request, answer, session)
    log.info("web.login", agent_id=account.agent_id, role=account.role)
    return answer


async def logout(request: web.Request) -> web.Response:
    """End the web session; an agent still logged in to the ACD is logged out of it too."""
    user = current_user(request)
    deps = request.app[DEPS]
    agent = deps.runner.engine.agents.get(user.agent_id)
    if agent is not None and agent.state is not AgentState.LOGGED_OUT:
        try:
            deps.runner.command(Logout(user.agent_id))
        except CommandRejected as exc:
            log.info("web.logout_acd_refused", agent_id=user.agent_id, error=exc.message)
    store = request.app[SESSIONS]
    try:
        await store.delete(user.session_id)
    except (RedisError, OSError) as exc:
        raise sessions_unavailable() from exc
    request.app[LIVE].stop_session(user.session_id)
    response = web.Response(status=204)
    store.clear_cookie(response)
    log.info("web.logout", agent_id=user.agent_id)
    return response


async def session(request: web.Request) -> web.Response:
    return web.json_response(session_answer(request, current_user(request)))


def auth_routes() -> list[web.RouteDef]:
    return [
        web.post("/api/login", login),
        web.post("/api/logout", logout),
        web.get("/api/session", session),
    ]

"""Web sessions in Redis (aiohttp-session's RedisStorage), and who is asking.

The cookie (``acd_session``) holds only a random id: HttpOnly, SameSite=Strict, Secure when the
page is served over TLS or behind a TLS proxy. The session itself (agent id, name, role, CSRF
token) lives in Redis under ``<redis.key_prefix>session:<id>`` with the session's lifetime as TTL,
so logging out deletes it everywhere at once and a stolen cookie dies with the session.

Sessions are loaded by :func:`session_middleware` for ``/api/`` paths only (static files need
none); handlers ask :func:`current_user` or :func:`require_supervisor`.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from aiohttp import web
from aiohttp_session import Session
from aiohttp_session.redis_storage import RedisStorage
from redis.exceptions import RedisError

from acd.config import WebSettings
from acd.store.agents import account_role
from acd.web.deps_key import DEPS
from acd.web.errors import ApiError, not_logged_in, sessions_unavailable

COOKIE_NAME = "acd_session"
SUPERVISOR_ROLES = frozenset({"supervisor", "admin"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class User:
    """The logged-in person behind a request."""

    agent_id: str
    name: str
    role: str
    csrf_token: str
    session_id: str
    #: Epoch seconds after which the session is no longer valid (login time + session_max_age).
    expires_at: float

    @property
    def supervisor(self) -> bool:
        return self.role in SUPERVISOR_ROLES

    def as_json(self) -> dict[str, str]:
        return {"agent_id": self.agent_id, "name": self.name, "role": self.role}


class SessionStore(RedisStorage):
    """RedisStorage under our key prefix, with explicit rotation and deletion.

    aiohttp-session keys sessions as ``<cookie name>_<id>``; ours live under the daemon's Redis
    prefix so that several daemons (and tests) can share one Redis.
    """

    def __init__(self, redis: aioredis.Redis, key_prefix: str, web_settings: WebSettings) -> None:
        secure = web_settings.behind_tls_proxy or (
            web_settings.tls_cert is not None and web_settings.tls_key is not None
        )
        super().__init__(
            redis,
            cookie_name=COOKIE_NAME,
            max_age=web_settings.session_max_age,
            secure=secure,
            httponly=True,
            samesite="Strict",
            key_factory=lambda: secrets.token_urlsafe(32),
        )
        self.redis = redis
        self._key_prefix = f"{key_prefix}session:"

    def new_id(self) -> str:
        return self._key_factory()

    def redis_key(self, session_id: str) -> str:
        return self._key_prefix + session_id

    async def load_session(self, request: web.Request) -> Session:
        cookie = self.load_cookie(request)
        if not cookie:
            return Session(None, data=None, new=True, max_age=self.max_age)
        raw = await self.redis.get(self.redis_key(str(cookie)))
        if raw is None:
            return Session(None, data=None, new=True, max_age=self.max_age)
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        return Session(str(cookie), data=data, new=False, max_age=self.max_age)

    async def save_session(
        self, request: web.Request, response: web.StreamResponse, session: Session
    ) -> None:
        """Store ``session`` and set the cookie; a new session gets a fresh random id."""
        key = session.identity
        if key is None:
            key = self._key_factory()
        key = str(key)
        self.save_cookie(response, key, max_age=session.max_age)
        await self.redis.set(
            self.redis_key(key), json.dumps(self._get_session_data(session)), ex=session.max_age
        )

    async def delete(self, session_id: str) -> None:
        await self.redis.delete(self.redis_key(session_id))

    def clear_cookie(self, response: web.StreamResponse) -> None:
        self.save_cookie(response, "")


SESSIONS = web.AppKey("sessions", SessionStore)
USER = web.RequestKey("user", User)
#: The id in the request's cookie when it names a live session (for rotation at login).
SESSION_ID = web.RequestKey("session_id", str)


def user_from(session: Session, max_age: int) -> User | None:
    if session.new or session.identity is None or "agent_id" not in session:
        return None
    return User(
        agent_id=str(session["agent_id"]),
        name=str(session.get("name", "")),
        role=str(session.get("role", "agent")),
        csrf_token=str(session.get("csrf", "")),
        session_id=str(session.identity),
        expires_at=session.created + max_age,
    )


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Load the session of ``/api/`` requests into ``request[USER]`` (absent when not logged in)."""
    if request.path.startswith("/api/") and request.path != "/api/openapi.json":
        store = request.app[SESSIONS]
        try:
            session = await store.load_session(request)
        except (RedisError, OSError) as exc:
            raise sessions_unavailable() from exc
        if session.identity is not None:
            request[SESSION_ID] = str(session.identity)
        user = user_from(session, store.max_age or 0)
        if user is not None and user.expires_at > time.time():
            if await request.app[ACCOUNTS].still_valid(user):
                request[USER] = user
            else:
                await store.delete(user.session_id)
    return await handler(request)


class AccountCheck:
    """Sessions end when their account is disabled, deleted or changes role: checked against
    cc_agents at most every ``ttl`` seconds per account. While PostgreSQL is down, sessions
    stand (they were granted after a real login; an outage must not log every agent out)."""

    def __init__(self, pool: Any | None, ttl: float = 10.0) -> None:
        self._pool = pool
        self._ttl = ttl
        self._checked: dict[str, tuple[float, str | None]] = {}

    async def still_valid(self, user: User) -> bool:
        if self._pool is None:
            return True
        now = time.monotonic()
        cached = self._checked.get(user.agent_id)
        if cached is None or now - cached[0] > self._ttl:
            try:
                async with self._pool.acquire(timeout=2.0) as conn:
                    role = await account_role(conn, user.agent_id)
            except Exception:  # noqa: BLE001 - any failure means the database is away: keep sessions
                return True
            cached = self._checked[user.agent_id] = (now, role)
        return cached[1] == user.role

    def forget(self, agent_id: str) -> None:
        self._checked.pop(agent_id, None)


ACCOUNTS = web.AppKey("accounts", AccountCheck)


def current_user(request: web.Request) -> User:
    """The logged-in user, or 401."""
    user: User | None = request.get(USER)
    if user is None:
        raise not_logged_in()
    return user


def require_supervisor(request: web.Request) -> User:
    """The logged-in supervisor (or admin), 401 when not logged in, 403 for an agent."""
    user = current_user(request)
    if not user.supervisor:
        raise ApiError(403, "forbidden", "this needs a supervisor")
    return user


def session_answer(request: web.Request, user: User) -> dict[str, Any]:
    """What login and ``GET /api/session`` answer: the agent's view, who, and the CSRF token."""
    engine = request.app[DEPS].runner.engine
    agent = engine.agents.get(user.agent_id)
    return {
        "agent": engine.agent_view(agent) if agent is not None else None,
        "user": user.as_json(),
        "csrf_token": user.csrf_token,
    }

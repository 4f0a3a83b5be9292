"""Web tests: the real server on a loopback port, with real PostgreSQL and Redis.

PostgreSQL: the storage tests' per-test databases (cloned from a template with schema.sql), with
the accounts every test uses inserted (one argon2 hash made per session). Redis: the shared server
with a key prefix per test, removed afterwards. Calls, where a test needs them, come from the PBX
simulator through a real daemon (tests/integration's helpers).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from aiohttp import web
from argon2 import PasswordHasher

from acd.app import Daemon
from acd.config import (
    AgentSettings,
    AriSettings,
    DatabaseSettings,
    EngineSettings,
    QueueSettings,
    RedisSettings,
    Settings,
    WebSettings,
)
from acd.engine.core import Engine, profile_from_settings
from acd.engine.hub import LiveHub
from acd.engine.inputs import UpsertAgent
from acd.engine.runner import EngineRunner
from acd.metrics import Metrics
from acd.sim import PbxSimulator, PhoneBehaviour
from acd.store import crypto, db
from acd.store.crypto import SecretBox, generate_secret_key
from acd.web.deps import DemoPhone, WebDeps
from acd.web.server import build_web_app, start_web
from tests.integration.conftest import SCALE, eventually

# The storage tests' PostgreSQL fixtures (``dsn``: a database of the test's own with schema.sql).
from tests.store.conftest import *  # noqa: F403

from .helpers import PASSWORD, Browser

REDIS_URL = "redis://127.0.0.1:6379/0"
AGENTS = ("agent1", "agent2", "agent3")
QUEUE: dict[str, Any] = {"name": "support", "ring_timeout": 10, "wrapup_seconds": 30}


#: Real argon2id with test-sized costs: a login costs ~1 ms instead of ~0.3 s of CPU.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crypto, "_hasher", CHEAP_HASHER)


@pytest.fixture(scope="session")
def password_hash() -> str:
    return CHEAP_HASHER.hash(PASSWORD)


@pytest.fixture(scope="session")
def secret_key() -> str:
    return generate_secret_key()


@pytest.fixture
async def accounts(dsn: str, password_hash: str, secret_key: str) -> None:
    """agent1..3 (agents), sup1 (supervisor), gone (disabled), all with the same password."""
    box = SecretBox(secret_key)
    async with db.connection(dsn) as conn:
        for n, agent_id in enumerate(AGENTS, start=1):
            await conn.execute(
                "INSERT INTO cc_agents (agent_id, name, sip_username, sip_password, sip_domain, "
                "password_hash) VALUES ($1, $2, $3, $4, $5, $6)",
                agent_id,
                f"Agent {n}",
                agent_id,
                box.encrypt(f"sip-secret-{n}"),
                "pbx.example.com" if n == 1 else None,
                password_hash,
            )
        await conn.execute(
            "INSERT INTO cc_agents (agent_id, name, sip_username, sip_password, password_hash, role) "
            "VALUES ('sup1', 'Sue Visor', 'sup1', $1, $2, 'supervisor')",
            box.encrypt("sip-secret-sup"),
            password_hash,
        )
        await conn.execute(
            "INSERT INTO cc_agents (agent_id, name, password_hash, enabled) "
            "VALUES ('gone', 'Gone', $1, false)",
            password_hash,
        )


@pytest.fixture
async def redis_prefix() -> AsyncIterator[tuple[aioredis.Redis, str]]:
    client = aioredis.Redis.from_url(REDIS_URL)
    prefix = f"acdtest:{uuid.uuid4().hex[:10]}:"
    try:
        yield client, prefix
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


@pytest.fixture
def static_dir(tmp_path: Path) -> Path:
    root = tmp_path / "ui"
    (root / "vendor").mkdir(parents=True)
    (root / "index.html").write_text('<!doctype html><script type="module" src="/ui/app.js"></script>')
    (root / "wallboard.html").write_text("<!doctype html><title>wallboard</title>")
    (root / "app.js").write_text("export const page = 'agent';\n")
    (root / "style.css").write_text("body { margin: 0 }\n")
    (root / "vendor" / "sip-0.21.2.js").write_text("export const SIP = {};\n")
    (root / ".secret").write_text("hidden")
    return root


@dataclass
class Stack:
    """One running web server and what it runs over."""

    url: str
    settings: Settings
    deps: WebDeps
    app: web.Application
    runner: web.AppRunner
    browsers: list[Browser] = field(default_factory=list)

    @property
    def engine(self) -> Engine:
        return self.deps.runner.engine

    def browser(self) -> Browser:
        browser = Browser(self.url)
        self.browsers.append(browser)
        return browser

    async def logged_in(self, agent_id: str) -> Browser:
        browser = self.browser()
        answer = await browser.login(agent_id)
        assert answer.status == 200, answer
        return browser


SettingsFactory = Callable[..., Settings]
StackFactory = Callable[..., Awaitable[Stack]]
DaemonStackFactory = Callable[..., Awaitable[tuple[Stack, Daemon]]]


@pytest.fixture
def make_settings(dsn: str, secret_key: str, redis_prefix: tuple[aioredis.Redis, str]) -> SettingsFactory:
    def make(
        *, ari_url: str = "http://127.0.0.1:1", queue: dict[str, Any] | None = None, **sections: Any
    ) -> Settings:
        web_settings = {"host": "127.0.0.1", "port": 0, "sip_ws_url": "wss://pbx.example.com:8089/ws"}
        web_settings.update(sections.pop("web", {}))
        return Settings(
            ari=AriSettings(url=ari_url, reconnect_min_delay=0.05, reconnect_max_delay=0.3),
            engine=EngineSettings(**sections.pop("engine", {})),
            database=DatabaseSettings(dsn=dsn, secret_key=secret_key),
            redis=RedisSettings(url=REDIS_URL, key_prefix=redis_prefix[1]),
            web=WebSettings(**web_settings),
            queues=[QueueSettings(**{**QUEUE, **(queue or {})})],
            agents=[
                AgentSettings(agent_id=a, name=f"Agent {n}", endpoint=f"PJSIP/{a}", queues={"support": 1})
                for n, a in enumerate(AGENTS, start=1)
            ],
        )

    return make


@pytest.fixture
async def make_stack(
    accounts: None,
    make_settings: SettingsFactory,
    redis_prefix: tuple[aioredis.Redis, str],
    static_dir: Path,
) -> AsyncIterator[StackFactory]:
    stacks: list[Stack] = []
    pools: list[Any] = []

    async def make(
        settings: Settings | None = None,
        *,
        runner: EngineRunner | None = None,
        readiness: Callable[[], Awaitable[dict[str, Any]]] | None = None,
        demo_phone: DemoPhone | None = None,
        hub: LiveHub | None = None,
        heartbeat: float = 15.0,
        redis: aioredis.Redis | None = None,
        **sections: Any,
    ) -> Stack:
        settings = settings or make_settings(**sections)
        metrics = runner.metrics if runner is not None else Metrics()
        if runner is None:
            engine = Engine(settings.queues, settings.engine)
            runner = EngineRunner(engine, metrics=metrics, hub=hub or LiveHub())
            for agent in settings.agents:
                runner.apply(UpsertAgent(profile_from_settings(agent)))

        async def ready() -> dict[str, Any]:
            return {"ari": True, "redis": True, "database": True}

        pool = await db.create_pool(settings.database, min_size=0)
        pools.append(pool)
        deps = WebDeps(
            settings=settings,
            runner=runner,
            metrics=metrics,
            redis=redis or redis_prefix[0],
            readiness=readiness or ready,
            pool=pool,
            demo_phone=demo_phone,
            static_dir=static_dir,
        )
        app = build_web_app(deps, heartbeat_seconds=heartbeat)
        web_runner = await start_web(app, settings)
        host, port = web_runner.addresses[0][:2]
        stack = Stack(f"http://{host}:{port}", settings, deps, app, web_runner)
        stacks.append(stack)
        return stack

    yield make
    for stack in stacks:
        for browser in stack.browsers:
            await browser.close()
        await stack.runner.cleanup()
    for pool in pools:
        await pool.close()


@pytest.fixture
async def stack(make_stack: StackFactory) -> Stack:
    """A server over an engine without telephony (agent state, sessions, API)."""
    return await make_stack()


# ---------------------------------------------------------------- calls: simulator + daemon


@pytest.fixture
async def sim() -> AsyncIterator[PbxSimulator]:
    """Asterisk simulated; the agents' phones ring until a test (or the demo phone) answers."""
    simulator = PbxSimulator(seed=3, time_scale=SCALE)
    simulator.add_agents(3, PhoneBehaviour.manual())
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()


@pytest.fixture
async def make_daemon_stack(
    sim: PbxSimulator, make_settings: SettingsFactory, make_stack: StackFactory
) -> AsyncIterator[DaemonStackFactory]:
    daemons: list[Daemon] = []

    async def make(**kwargs: Any) -> tuple[Stack, Daemon]:
        extra = {k: kwargs.pop(k) for k in ("demo_phone", "heartbeat") if k in kwargs}
        settings = make_settings(ari_url=sim.base_url, **kwargs)
        daemon = Daemon(settings)
        daemons.append(daemon)
        await daemon.start()
        await eventually(daemon.session.resynced.is_set, what="the daemon's first resync")

        async def readiness() -> dict[str, Any]:
            return daemon.readiness()

        stack = await make_stack(settings, runner=daemon.runner, readiness=readiness, **extra)
        return stack, daemon

    yield make
    for daemon in daemons:
        await daemon.stop()

"""The whole product for a browser test: PBX simulator, daemon (engine, outbox to PostgreSQL,
snapshot and sessions in Redis) and the real web server, on loopback.

``prepare_database`` fills a database once (queue, dispositions, agents with argon2 passwords,
a customer); tests clone it. ``running_stack`` starts everything against a clone and stops it
all afterwards. The web app can be stopped and started again on the same port (the live-stream
reconnection test), with the same engine behind it.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import redis.asyncio as aioredis
from aiohttp import web

from acd.config import (
    AriSettings,
    DatabaseSettings,
    EngineSettings,
    QueueSettings,
    RedisSettings,
    Settings,
    WebSettings,
)
from acd.service import Service, start_service, stop_service
from acd.sim import PbxSimulator, PhoneBehaviour
from acd.sim.demo_phone import SimDemoPhone
from acd.store import db
from acd.store.agents import NewAgent, add_agent
from acd.store.crypto import SecretBox
from acd.store.customers import Customer, upsert_customers
from acd.store.queues import add_disposition, add_queue
from acd.web.deps import WebDeps
from acd.web.server import build_web_app

PASSWORD = "correct horse battery"
AGENT = "agent1"
AGENT_NAME = "Alice Martin"
SUPERVISOR = "super1"
SUPERVISOR_NAME = "Sam Rivera"
QUEUE = QueueSettings(name="support", ring_timeout=60, wrapup_seconds=60, require_disposition=True)
SALES = QueueSettings(name="sales", ring_timeout=60, wrapup_seconds=5)
CUSTOMER = Customer(
    number="+15551234567",
    name="Jane Doe",
    account="AC-1042",
    notes="Gold customer since 2019. Prefers email follow-ups.",
    tags=("gold", "billing"),
)


async def prepare_database(dsn: str, box: SecretBox, extra_agents: Sequence[NewAgent] = ()) -> None:
    """Schema, queues, dispositions, an agent, a supervisor and a customer (and ``extra_agents``)."""
    async with db.connection(dsn) as conn:
        await db.apply_schema(conn)
        await add_queue(conn, QUEUE)
        await add_queue(conn, SALES)
        await add_disposition(conn, "solved", "Solved", None)
        await add_disposition(conn, "callback", "Call back", None)
        await add_disposition(conn, "escalated", "Escalated", "support")
        await add_disposition(conn, "sale", "Sale", "sales")
        await add_agent(
            conn,
            NewAgent(AGENT, AGENT_NAME, AGENT, PASSWORD, "sip-secret-1", queues={"support": 1, "sales": 2}),
            box,
        )
        await add_agent(
            conn,
            NewAgent(
                SUPERVISOR,
                SUPERVISOR_NAME,
                SUPERVISOR,
                PASSWORD,
                "sip-secret-2",
                role="supervisor",
                queues={"support": 2},
            ),
            box,
        )
        for agent in extra_agents:
            await add_agent(conn, agent, box)
        await upsert_customers(conn, [CUSTOMER])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Stack:
    sim: PbxSimulator
    service: Service
    deps: WebDeps
    port: int
    runner: web.AppRunner | None = None
    apps: list[web.Application] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start_web(self) -> None:
        app = build_web_app(self.deps, heartbeat_seconds=5.0)
        self.apps.append(app)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self.port).start()
        self.runner = runner

    async def stop_web(self) -> None:
        """Stop serving: the live streams are ended by the server, new connections refused."""
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    async def place_call(self, number: str, name: str, queue: str = "support") -> str:
        return await self.sim.place_call(queue, number, name)


@asynccontextmanager
async def running_stack(
    dsn: str,
    journal_dir: Path,
    secret_key: str,
    phones: Mapping[str, PhoneBehaviour] | None = None,
    *,
    sip_ws_url: str | None = None,
) -> AsyncIterator[Stack]:
    """Everything started against ``dsn``; ``phones``: more simulated phones (SIP user -> behaviour).

    By default the page gets the demo phone; with ``sip_ws_url`` it gets SIP credentials and
    registers its WebRTC phone there instead.
    """
    sim = PbxSimulator(seed=7, time_scale=1.0)
    for endpoint in (AGENT, SUPERVISOR):
        sim.add_endpoint(f"PJSIP/{endpoint}", behaviour=PhoneBehaviour.manual())
    for endpoint, behaviour in (phones or {}).items():
        sim.add_endpoint(f"PJSIP/{endpoint}", behaviour=behaviour)
    await sim.start()
    prefix = f"acd-browser-{uuid.uuid4().hex[:8]}:"
    settings = Settings(
        ari=AriSettings(
            url=sim.base_url,
            username="acd",
            password="acd",
            app="acd",
            reconnect_min_delay=0.05,
            reconnect_max_delay=0.3,
        ),
        engine=EngineSettings(not_ready_reasons=["break", "lunch", "training", "meeting"]),
        database=DatabaseSettings(
            dsn=dsn, journal_dir=journal_dir, flush_interval=0.05, secret_key=secret_key
        ),
        redis=RedisSettings(key_prefix=prefix),
        web=WebSettings(
            host="127.0.0.1",
            port=0,
            login_attempts_per_minute=3,
            sip_ws_url=sip_ws_url or "wss://127.0.0.1:8089/ws",
            sip_domain="127.0.0.1",
        ),
        queues=[QUEUE, SALES],
        agents=[],
    )
    demo_phone = SimDemoPhone(sim) if sip_ws_url is None else None
    service = await start_service(settings, demo_phone=demo_phone, web=False)
    stack: Stack | None = None
    try:
        await wait_until(service.daemon.session.resynced.is_set, "the daemon's first resync")
        deps = WebDeps(
            settings=settings,
            runner=service.daemon.runner,
            metrics=service.metrics,
            redis=service.redis,
            readiness=service.readiness,
            pool=service.pool,
            demo_phone=demo_phone,
        )
        stack = Stack(sim=sim, service=service, deps=deps, port=free_port())
        await stack.start_web()
        yield stack
    finally:
        if stack is not None:
            await stack.stop_web()
        await stop_service(service)
        await sim.stop()
        await _forget_redis_keys(settings.redis.url, prefix)


async def _forget_redis_keys(url: str, prefix: str) -> None:
    client = aioredis.Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


async def wait_until(predicate: Callable[[], bool], what: str, timeout: float = 5.0) -> None:  # noqa: ASYNC109
    """Poll ``predicate()`` (real seconds) until true; fail naming ``what``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)

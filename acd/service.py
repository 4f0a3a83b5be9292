"""``acd run``: the daemon with its storage, snapshot, web server and roster, started and drained.

Start order: outbox (replays its journal first), database pool and roster (queues and agents
from PostgreSQL on top of the config file; a database that is down at start is not fatal: the
config's roster is used and records are journaled), Redis (sessions, snapshot), the daemon, the
web server. SIGTERM drains in reverse: no new offers, calls in progress left to Asterisk, the
snapshot saved, the outbox flushed (to PostgreSQL, or to the journal if it is down).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from acd.app import Daemon
from acd.config import Settings
from acd.engine.inputs import Logout, RemoveAgent, UpsertAgent
from acd.logging import get_logger
from acd.metrics import Metrics
from acd.snapshots import SnapshotStore
from acd.state.agent import AgentState
from acd.store import db
from acd.store.outbox import Outbox
from acd.web.deps import DemoPhone, WebDeps

log = get_logger(__name__)

ROSTER_RELOAD_SECONDS = 15.0


@dataclass
class Service:
    settings: Settings
    metrics: Metrics
    outbox: Outbox
    redis: aioredis.Redis
    daemon: Daemon
    pool: Any | None
    web_runner: Any | None = None
    roster_task: asyncio.Task[None] | None = None

    async def readiness(self) -> dict[str, Any]:
        checks = self.daemon.readiness()
        redis_ok = True
        try:
            await self.redis.ping()
        except (RedisError, OSError):
            redis_ok = False
        checks["redis"] = redis_ok
        # Ready while PostgreSQL is down as long as records are safe in the journal.
        checks["database"] = self.outbox.db_up or not self.outbox.stats.rejected
        checks["database_detail"] = {"up": self.outbox.db_up, "backlog": self.outbox.backlog}
        return checks


async def open_pool(settings: Settings) -> Any | None:
    try:
        await db.init_schema(settings.database.dsn)
        return await db.create_pool(settings.database, min_size=0)
    except (TimeoutError, OSError, db.SchemaError, Exception) as exc:  # noqa: BLE001
        # Any failure here means "no database right now": the daemon must still route calls.
        log.warning("service.database_unavailable", error=str(exc) or type(exc).__name__)
        return None


async def start_service(
    settings: Settings,
    *,
    demo_phone: DemoPhone | None = None,
    metrics: Metrics | None = None,
    web: bool = True,
) -> Service:
    metrics = metrics or Metrics()
    # Schema first: applying it while the outbox writes could deadlock on the same tables.
    pool = await open_pool(settings)
    outbox = Outbox(settings.database, metrics)
    await outbox.start()
    extra_queues, extra_agents = [], []
    if pool is not None:
        try:
            roster = await db.load_roster(pool)
            extra_queues, extra_agents = roster.queues, roster.agents
        except Exception as exc:  # noqa: BLE001 - a roster we cannot read is the config's roster
            log.warning("service.roster_unavailable", error=str(exc))
    redis = aioredis.Redis.from_url(settings.redis.url, socket_timeout=2.0, socket_connect_timeout=2.0)
    snapshots = SnapshotStore(redis, settings.redis.key_prefix, settings.ari.app)
    daemon = Daemon(
        settings,
        metrics=metrics,
        records=outbox,
        snapshots=snapshots,
        extra_queues=extra_queues,
        extra_agents=extra_agents,
    )
    await daemon.start()
    service = Service(settings, metrics, outbox, redis, daemon, pool)
    if web:
        from acd.web.server import build_web_app, start_web

        deps = WebDeps(
            settings=settings,
            runner=daemon.runner,
            metrics=metrics,
            redis=redis,
            readiness=service.readiness,
            pool=pool,
            demo_phone=demo_phone,
        )
        service.web_runner = await start_web(build_web_app(deps), settings)
    if pool is not None:
        service.roster_task = asyncio.get_running_loop().create_task(_roster_loop(service), name="roster")
    log.info("service.started", web=f"{settings.web.host}:{settings.web.port}" if web else None)
    return service


async def stop_service(service: Service) -> None:
    if service.roster_task is not None:
        service.roster_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await service.roster_task
    if service.web_runner is not None:
        await service.web_runner.cleanup()
    await service.daemon.stop()
    await service.outbox.close()
    if service.pool is not None:
        await service.pool.close()
    await service.redis.aclose()
    log.info("service.stopped")


async def run_service(
    settings: Settings, stop: Awaitable[None], *, demo_phone: DemoPhone | None = None
) -> None:
    service = await start_service(settings, demo_phone=demo_phone)
    # What start-up built (modules, config, the roster, pools) lives as long as the process: move
    # it out of the collector's reach, so that its full collections scan only what calls create.
    gc.collect()
    gc.freeze()
    try:
        await stop
    finally:
        await stop_service(service)


async def _roster_loop(service: Service) -> None:
    """Agents added, changed or disabled with the admin CLI reach the running engine."""
    config_agents = {a.agent_id for a in service.settings.agents}
    while True:
        await asyncio.sleep(ROSTER_RELOAD_SECONDS)
        try:
            profiles = await db.load_agents(service.pool)
        except Exception as exc:  # noqa: BLE001 - try again next time
            log.warning("service.roster_reload_failed", error=str(exc))
            continue
        await apply_roster(service.daemon, profiles, config_agents)


async def apply_roster(daemon: Daemon, profiles: list[Any], keep: set[str]) -> None:
    engine = daemon.engine
    wanted = {p.agent_id: p for p in profiles}
    new_endpoints = []
    for profile in profiles:
        agent = engine.agents.get(profile.agent_id)
        if agent is None:
            new_endpoints.append(profile.endpoint)
        elif (agent.name, agent.endpoint, agent.skills, agent.wrapup_override) == (
            profile.name,
            profile.endpoint,
            profile.skills,
            profile.wrapup_override,
        ):
            continue
        daemon.runner.apply_safely(UpsertAgent(profile))
    for agent_id, agent in list(engine.agents.items()):
        if agent_id in wanted or agent_id in keep:
            continue
        # Disabled or deleted: logged out first (after its call, if on one), then forgotten.
        if agent.state is AgentState.LOGGED_OUT:
            daemon.runner.apply_safely(RemoveAgent(agent_id))
        elif agent.pending is None or agent.pending[0] is not AgentState.LOGGED_OUT:
            daemon.runner.apply_safely(Logout(agent_id, by_supervisor=True))
    if new_endpoints and daemon.session.connected:
        await daemon.session.subscribe_endpoints(new_endpoints)

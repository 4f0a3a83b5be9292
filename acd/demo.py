"""``acd demo``: the whole product in one command, against the simulator instead of Asterisk.

It starts the PBX simulator with a realistic call mix (Poisson arrivals on two queues, patient
and impatient callers, talk times, agents who sometimes reject or let it ring), the daemon and
the web server; seeds demo agents, queues, dispositions and customers; and uses the PostgreSQL
and Redis of the configuration or, when they are not reachable, throwaway local ones it stops on
exit. The agent ``demo`` (password ``demo``) is yours: its phone is the page's simulated
softphone. ``supervisor`` (password ``demo``) sees the wallboard. The other agents are bots.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import redis.asyncio as aioredis
from pydantic import SecretStr

from acd.config import AriSettings, QueueSettings, Settings, Tier
from acd.engine.inputs import Login, SetReady
from acd.logging import get_logger
from acd.service import start_service, stop_service
from acd.sim import PbxSimulator, PhoneBehaviour
from acd.sim.demo_phone import SimDemoPhone
from acd.sim.traffic import Dist, TrafficProfile, arrivals
from acd.store import agents as store_agents
from acd.store import customers as store_customers
from acd.store import db
from acd.store import queues as store_queues
from acd.store.agents import Role
from acd.store.crypto import SecretBox, generate_secret_key
from acd.throwaway import throwaway_postgres, throwaway_redis

log = get_logger(__name__)

DEMO_PASSWORD = "demo"
QUEUES = [
    QueueSettings(
        name="support",
        ring_timeout=12,
        wrapup_seconds=8,
        max_wait=240,
        overflow="queue:sales",
        tiers=[Tier(after_seconds=30, max_level=2)],
    ),
    QueueSettings(name="sales", priority=5, ring_timeout=12, wrapup_seconds=6, require_disposition=False),
]
BOT_NAMES = [
    "Ada Lovelace",
    "Grace Hopper",
    "Alan Turing",
    "Katherine Johnson",
    "Edsger Dijkstra",
    "Barbara Liskov",
    "Donald Knuth",
    "Frances Allen",
    "Ken Thompson",
    "Margaret Hamilton",
]
CUSTOMER_NAMES = [
    "Maria Garcia",
    "James Smith",
    "Chen Wei",
    "Fatima Khan",
    "Olga Petrova",
    "Kwame Mensah",
    "Lucia Rossi",
    "Yuki Tanaka",
    "Pedro Alves",
    "Aisha Bello",
    "Noah Fischer",
    "Emma Dubois",
]
DISPOSITIONS = [
    ("resolved", "Resolved"),
    ("callback", "Call back"),
    ("sale", "Sale"),
    ("escalated", "Escalated"),
]


async def _reachable_postgres(dsn: str) -> bool:
    try:
        conn = await asyncpg.connect(dsn.rsplit("/", 1)[0] + "/postgres", timeout=2)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


async def _reachable_redis(url: str) -> bool:
    client = aioredis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        await client.ping()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False
    finally:
        await client.aclose()


@contextlib.asynccontextmanager
async def _backing_services(settings: Settings) -> AsyncIterator[tuple[str, str]]:
    """The configured PostgreSQL and Redis if reachable, else throwaway ones."""
    async with contextlib.AsyncExitStack() as stack:
        dsn = settings.database.dsn
        if not await _reachable_postgres(dsn):
            log.info("demo.postgres_unreachable", dsn=db.redact_dsn(dsn))
            dsn = await stack.enter_async_context(throwaway_postgres())
        else:
            # Never the production database: the demo seeds agents and customers.
            base, _, name = dsn.rpartition("/")
            dsn = f"{base}/{name.split('?')[0] or 'acd'}_demo"
        url = settings.redis.url
        if not await _reachable_redis(url):
            log.info("demo.redis_unreachable", url=url)
            url = await stack.enter_async_context(throwaway_redis())
        yield dsn, url


async def _seed(
    settings: Settings, bots: list[tuple[str, str]], planned_numbers: list[str], seed: int
) -> None:
    await db.init_schema(settings.database.dsn)
    assert settings.database.secret_key is not None
    box = SecretBox(settings.database.secret_key.get_secret_value())
    rng = random.Random(seed)
    conn = await db.connect(settings.database.dsn)
    try:
        for queue in sorted(QUEUES, key=lambda q: q.overflow is not None):  # targets first
            with contextlib.suppress(store_agents.StoreError):
                await store_queues.add_queue(conn, queue)
        people: list[tuple[str, str, Role, dict[str, int]]] = [
            ("demo", "You (demo agent)", "agent", {"support": 1, "sales": 2}),
            ("supervisor", "Sam Supervisor", "supervisor", {}),
        ]
        for n, (agent_id, name) in enumerate(bots):
            skills = {"support": 1} if n % 3 else {"support": 2, "sales": 1}
            people.append((agent_id, name, "agent", skills))
        for agent_id, name, role, skills in people:
            new = store_agents.NewAgent(
                agent_id=agent_id,
                name=name,
                sip_username=agent_id,
                password=DEMO_PASSWORD,
                sip_secret=DEMO_PASSWORD,
                role=role,
                queues=skills,
            )
            with contextlib.suppress(store_agents.StoreError):
                await store_agents.add_agent(conn, new, box)
        for code, label in DISPOSITIONS:
            with contextlib.suppress(store_agents.StoreError):
                await store_queues.add_disposition(conn, code, label, None)
        customers = []
        for number in planned_numbers[::2]:
            name = rng.choice(CUSTOMER_NAMES)
            customers.append(
                store_customers.Customer(
                    number=number,
                    name=name,
                    account=f"AC-{rng.randrange(10000, 99999)}",
                    notes=rng.choice(
                        [
                            "Prefers e-mail follow-up.",
                            "Premium plan since 2021.",
                            "Had a billing issue last month.",
                            "Asked about the new tariff.",
                        ]
                    ),
                    tags=tuple(rng.sample(["vip", "billing", "new", "churn-risk", "b2b"], 2)),
                )
            )
        # A caller name nobody should trust: the page must show it as text.
        customers.append(
            store_customers.Customer(
                number=planned_numbers[1],
                name="<img src=x onerror=alert(1)>",
                notes="Shown as text, never as HTML.",
            )
        )
        await store_customers.upsert_customers(conn, customers)
    finally:
        await conn.close()


async def _bot_moods(sim: PbxSimulator, bots: list[str], rng: random.Random, stop: asyncio.Event) -> None:
    """Now and then a bot rejects or lets a call ring out, as people do."""
    while not stop.is_set():
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=rng.uniform(4, 10))
        bot = rng.choice(bots)
        roll = rng.random()
        if roll < 0.15:
            behaviour = PhoneBehaviour.decline(rng.uniform(1, 3))
        elif roll < 0.25:
            behaviour = PhoneBehaviour.never()
        else:
            behaviour = PhoneBehaviour.answer(rng.uniform(1.5, 4.0))
        sim.set_behaviour(f"PJSIP/{bot}", behaviour)


async def run_demo(settings: Settings, args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    bot_count = max(1, args.agents)
    bots = [(f"bot{n}", BOT_NAMES[(n - 1) % len(BOT_NAMES)]) for n in range(1, bot_count + 1)]
    profile = TrafficProfile(
        rate=args.rate,
        queues=(("support", 3.0), ("sales", 1.0)),
        patience=Dist.exp(90.0),
        talk_time=Dist.uniform(20.0, 90.0),
    )
    planned = [a.number for _, a in zip(range(400), arrivals(profile, args.seed), strict=False)]
    sim = PbxSimulator(app=settings.ari.app, seed=args.seed)
    sim.add_endpoint("PJSIP/demo", behaviour=PhoneBehaviour.manual(), caller_name="You")
    # The supervisor's account has an endpoint too (acd asterisk pjsip-agents writes one for every
    # account), with no phone on it: without it the daemon's subscription is refused at start.
    sim.add_endpoint("PJSIP/supervisor", registered=False, behaviour=PhoneBehaviour.never())
    for bot_id, name in bots:
        sim.add_endpoint(
            f"PJSIP/{bot_id}", behaviour=PhoneBehaviour.answer(rng.uniform(1.5, 4.0)), caller_name=name
        )
    await sim.start()
    stop = asyncio.Event()
    try:
        async with _backing_services(settings) as (dsn, redis_url):
            demo_settings = settings.model_copy(deep=True)
            demo_settings.ari = AriSettings(
                url=sim.base_url, username="acd", password=SecretStr("acd"), app=settings.ari.app
            )
            demo_settings.database.dsn = dsn
            if demo_settings.database.secret_key is None:
                demo_settings.database.secret_key = SecretStr(generate_secret_key())
            demo_settings.redis.url = redis_url
            # A fresh world each run (the simulator is new): its own Redis keys, removed at exit.
            demo_settings.redis.key_prefix = f"acd-demo-{random.Random().getrandbits(32):08x}:"
            demo_settings.web.port = args.port
            demo_settings.queues = list(QUEUES)
            demo_settings.agents = []
            await _seed(demo_settings, bots, planned, args.seed)
            service = await start_service(demo_settings, demo_phone=SimDemoPhone(sim))
            try:
                await service.daemon.session.resynced.wait()
                for bot_id, _ in bots:
                    service.daemon.runner.command(Login(bot_id))
                    service.daemon.runner.command(SetReady(bot_id))
                sim.traffic.start(profile, args.seed)
                moods = asyncio.get_running_loop().create_task(
                    _bot_moods(sim, [b for b, _ in bots], rng, stop)
                )
                _announce(demo_settings)
                try:
                    await _until_stopped(args.duration)
                finally:
                    stop.set()
                    await moods
                    await sim.traffic.stop()
            finally:
                await stop_service(service)
                await _forget_keys(redis_url, demo_settings.redis.key_prefix)
    finally:
        await sim.stop()
    return 0


async def _until_stopped(duration: float) -> None:
    """Until Ctrl-C / SIGTERM, or ``duration`` seconds when it is positive."""
    from acd.cli import wait_for_signal

    signal_task = asyncio.ensure_future(wait_for_signal())
    try:
        if duration > 0:
            await asyncio.wait({signal_task}, timeout=duration)
        else:
            await signal_task
    finally:
        signal_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await signal_task


async def _forget_keys(url: str, prefix: str) -> None:
    client = aioredis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
    except Exception:  # noqa: BLE001 - a throwaway Redis may already be gone
        pass
    finally:
        await client.aclose()


def _announce(settings: Settings) -> None:
    base = f"http://{settings.web.host}:{settings.web.port}"
    lines: list[Any] = [
        "",
        "acd demo is running (Ctrl-C stops it)",
        f"  agent page : {base}/           log in as demo / {DEMO_PASSWORD}",
        f"  wallboard  : {base}/wallboard  log in as supervisor / {DEMO_PASSWORD}",
        f"  metrics    : {base}/metrics",
        f"  API        : {base}/api/openapi.json",
        "",
    ]
    print("\n".join(str(line) for line in lines), flush=True)

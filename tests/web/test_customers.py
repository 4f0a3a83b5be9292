"""Customer data for the CRM popup: built-in table, external CRM, and never a delayed offer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from acd.sim import PbxSimulator
from acd.store import db
from acd.store.customers import Customer, upsert_customers

from .conftest import DaemonStackFactory, StackFactory


@dataclass
class FakeCrm:
    """An external CRM on a loopback port: ``mode`` is "ok", "slow", "fail" or "missing"."""

    url: str = ""
    mode: str = "ok"
    asked: list[str] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        number = request.match_info["number"]
        self.asked.append(number)
        if self.mode == "slow":
            await asyncio.sleep(5)
        if self.mode == "fail":
            return web.Response(status=500, text="boom")
        if self.mode == "missing":
            return web.json_response({"customer": None})
        return web.json_response(
            {
                "name": "<b>Ext</b> Person",
                "account": "X-9",
                "notes": "from the CRM",
                "tags": ["gold"],
                "other": 1,
            }
        )


@pytest.fixture
async def crm() -> AsyncIterator[FakeCrm]:
    fake = FakeCrm()
    app = web.Application()
    app.router.add_get("/customers/{number}", fake.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    fake.url = f"http://{host}:{port}/customers/{{number}}"
    try:
        yield fake
    finally:
        await runner.cleanup()


async def add_customer(dsn: str) -> None:
    async with db.connection(dsn) as conn:
        await upsert_customers(
            conn, [Customer("+15550001", "Grace <script>x</script>", "A-1", "VIP; call back", ("vip", "b2b"))]
        )


BUILTIN = {
    "number": "+15550001",
    "name": "Grace <script>x</script>",
    "account": "A-1",
    "notes": "VIP; call back",
    "tags": ["vip", "b2b"],
    "source": "builtin",
}


async def test_lookup_finds_builtin_customers_by_normalised_number(make_stack: StackFactory) -> None:
    stack = await make_stack()
    await add_customer(stack.settings.database.dsn)
    browser = await stack.logged_in("agent1")
    answer = await browser.get("/api/customers/lookup?number=%2B1%20(555)%200001")
    assert answer.status == 200 and answer.body == {"customer": BUILTIN}
    assert (await browser.get("/api/customers/lookup?number=%2B15559999")).body == {"customer": None}
    assert (await browser.get("/api/customers/lookup?number=anonymous")).body == {"customer": None}
    assert (await browser.get("/api/customers/lookup")).status == 400
    assert (await stack.browser().get("/api/customers/lookup?number=1234")).status == 401


async def test_an_external_crm_answers_unknown_numbers(make_stack: StackFactory, crm: FakeCrm) -> None:
    stack = await make_stack(web={"crm_url_template": crm.url, "crm_timeout": 1.0})
    await add_customer(stack.settings.database.dsn)
    browser = await stack.logged_in("agent1")
    answer = await browser.get("/api/customers/lookup?number=%2B15550002")
    assert answer.body["customer"] == {
        "number": "+15550002",
        "name": "<b>Ext</b> Person",
        "account": "X-9",
        "notes": "from the CRM",
        "tags": ["gold"],
        "source": "external",
    }
    assert crm.asked == ["+15550002"]  # the number url-quoted into the template, '+' and all
    assert (await browser.get("/api/customers/lookup?number=%2B15550001")).body["customer"] == BUILTIN
    assert (await browser.get("/api/customers/lookup?number=%2B15550002")).status == 200
    assert crm.asked == ["+15550002"]  # builtin first; the second ask came from the cache
    crm.mode = "missing"
    assert (await browser.get("/api/customers/lookup?number=%2B15550003")).body == {"customer": None}


@pytest.mark.parametrize("mode", ["slow", "fail"])
async def test_a_slow_or_failing_crm_gives_null_within_its_timeout(
    make_stack: StackFactory, crm: FakeCrm, mode: str
) -> None:
    crm.mode = mode
    stack = await make_stack(web={"crm_url_template": crm.url, "crm_timeout": 0.3})
    await add_customer(stack.settings.database.dsn)
    browser = await stack.logged_in("agent1")
    loop = asyncio.get_running_loop()
    started = loop.time()
    answer = await browser.get("/api/customers/lookup?number=%2B15550002")
    assert answer.status == 200 and answer.body == {"customer": None}
    assert loop.time() - started < 1.0
    assert (await browser.get("/api/customers/lookup?number=%2B15550001")).body["customer"] == BUILTIN


async def test_offers_go_out_at_once_and_the_customer_follows(
    sim: PbxSimulator, make_daemon_stack: DaemonStackFactory, crm: FakeCrm
) -> None:
    crm.mode = "slow"
    stack, _ = await make_daemon_stack(web={"crm_url_template": crm.url, "crm_timeout": 3.0})
    await add_customer(stack.settings.database.dsn)
    agent1 = await stack.logged_in("agent1")
    agent2 = await stack.logged_in("agent2")
    for browser in (agent1, agent2):
        await browser.post("/api/me/login")
    await agent1.post("/api/me/ready")
    stream = await agent1.events()
    await stream.next()
    loop = asyncio.get_running_loop()

    # A caller the CRM is slow about: the offer is not held up by it.
    started = loop.time()
    await sim.place_call("support", "+15550002", "Unknown")
    offered = await stream.until("call.offered", within=2.0)
    assert loop.time() - started < 1.0
    assert "customer" not in offered.data
    assert await sim.hangup(offered.data["call_id"])
    await stream.until("agent.state")

    # A known caller: the offer goes out at once, the customer follows on the same stream.
    await agent1.post("/api/me/ready")
    started = loop.time()
    await sim.place_call("support", "+15550001", "Grace")
    offered = await stream.until("call.offered", within=2.0)
    assert loop.time() - started < 1.0
    customer = await stream.until("call.customer", within=2.0)
    assert customer.data == {"call_id": offered.data["call_id"], "number": "+15550001", "customer": BUILTIN}

    # Once known, a later offer of the same caller carries the customer itself.
    second = await agent2.events()
    await second.next()
    await agent1.post("/api/me/not-ready", {"reason": "break"})  # the offer goes back to the queue
    await agent2.post("/api/me/ready")
    offered = await second.until("call.offered", within=2.0)
    assert offered.data["customer"] == BUILTIN
    stream.close()
    second.close()

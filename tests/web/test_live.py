"""The live stream: hello first, resume with Last-Event-ID, reset, heartbeat, page presence."""

from __future__ import annotations

import asyncio
import contextlib

from acd.engine.hub import LiveHub
from acd.state.agent import AgentState
from tests.integration.conftest import eventually

from .conftest import Stack, StackFactory
from .helpers import Browser


async def logged_in_acd(stack: Stack, agent_id: str) -> Browser:
    browser = await stack.logged_in(agent_id)
    assert (await browser.post("/api/me/login")).status == 200
    return browser


async def test_hello_comes_first_with_the_full_state(stack: Stack) -> None:
    browser = await logged_in_acd(stack, "agent1")
    stream = await browser.events()
    assert stream.resp.headers["Content-Type"].startswith("text/event-stream")
    hello = await stream.next()
    assert hello.kind == "hello"
    assert hello.data["agent"]["state"] == "not-ready"
    assert hello.data["call"] is None
    hub = stack.deps.runner.hub
    assert hello.id == f"{hub.epoch}:{hub.last_id}"
    await browser.post("/api/me/ready")
    event = await stream.next()
    assert (event.kind, event.data["state"]) == ("agent.state", "ready")
    epoch, seq = str(event.id).split(":")
    assert epoch == hub.epoch and int(seq) > int(hello.id.split(":")[1])
    stream.close()


async def test_a_reconnecting_page_gets_what_it_missed_in_order(stack: Stack) -> None:
    browser = await logged_in_acd(stack, "agent1")
    stream = await browser.events()
    hello = await stream.next()
    stream.close()
    await browser.post("/api/me/ready")
    await browser.post("/api/me/not-ready", {"reason": "break"})
    await browser.post("/api/me/not-ready", {"reason": "lunch"})
    assert hello.id is not None
    stream = await browser.events(last_event_id=hello.id)
    first = await stream.next()
    assert first.kind == "hello" and first.id is None
    assert first.data["agent"]["reason"] == "lunch"
    missed = [await stream.next() for _ in range(3)]
    assert [(e.kind, e.data["state"], e.data["reason"]) for e in missed] == [
        ("agent.state", "ready", None),
        ("agent.state", "not-ready", "break"),
        ("agent.state", "not-ready", "lunch"),
    ]
    ids = [int(str(e.id).split(":")[1]) for e in missed]
    assert ids == sorted(ids)
    # Then live messages continue after the replay.
    await browser.post("/api/me/ready")
    assert (await stream.next()).data["state"] == "ready"
    stream.close()


async def test_an_unknown_epoch_or_an_evicted_id_gives_reset(make_stack: StackFactory) -> None:
    stack = await make_stack(hub=LiveHub(buffer_per_topic=3))
    browser = await logged_in_acd(stack, "agent1")
    stream = await browser.events(last_event_id="0badc0de:1")
    assert (await stream.next()).kind == "hello"
    reset = await stream.next()
    assert (reset.kind, reset.data) == ("reset", {"reason": "restarted"})
    hub = stack.deps.runner.hub
    assert reset.id == f"{hub.epoch}:{hub.last_id}"
    stream.close()

    old = f"{hub.epoch}:{hub.last_id}"
    for reason in ("break", "lunch", "training", "meeting"):
        await browser.post("/api/me/not-ready", {"reason": reason})
    stream = await browser.events(last_event_id=old)
    hello = await stream.next()
    assert hello.kind == "hello" and hello.data["agent"]["reason"] == "meeting"
    assert (await stream.next()).data == {"reason": "evicted"}
    stream.close()


async def test_heartbeat_comments_keep_the_stream_open(make_stack: StackFactory) -> None:
    stack = await make_stack(heartbeat=0.1)
    browser = await stack.logged_in("agent1")
    stream = await browser.events()
    await stream.next()
    with contextlib.suppress(TimeoutError):
        await stream.next(within=0.5)  # nothing but comments in the meantime
    assert len(stream.comments) >= 2
    assert set(stream.comments) == {"ping"}
    stream.close()


async def test_a_closed_page_goes_absent_and_a_ready_agent_becomes_not_ready_disconnected(
    make_stack: StackFactory,
) -> None:
    stack = await make_stack(heartbeat=0.2, engine={"disconnect_grace_seconds": 0.3})
    agent = stack.engine.agents["agent1"]
    browser = await logged_in_acd(stack, "agent1")
    assert not agent.page_connected
    first = await browser.events()
    second = await browser.events()
    await first.next()
    await second.next()
    assert agent.page_connected
    assert stack.deps.metrics.browser_connections._value.get() == 2
    await browser.post("/api/me/ready")
    first.close()
    await asyncio.sleep(0.8)  # one stream of two closed: the page is still there
    assert agent.page_connected and agent.state is AgentState.READY
    second.close()
    await eventually(lambda: not agent.page_connected, timeout=3.0, what="the page to be absent")
    await eventually(lambda: agent.state is AgentState.NOT_READY, timeout=3.0, what="not-ready")
    assert agent.reason == "disconnected"
    assert stack.deps.metrics.browser_connections._value.get() == 0


async def test_a_page_back_within_the_grace_period_stays_ready(make_stack: StackFactory) -> None:
    stack = await make_stack(heartbeat=0.2, engine={"disconnect_grace_seconds": 1.5})
    agent = stack.engine.agents["agent1"]
    browser = await logged_in_acd(stack, "agent1")
    await browser.post("/api/me/ready")
    stream = await browser.events()
    hello = await stream.next()
    stream.close()
    await eventually(lambda: not agent.page_connected, timeout=3.0, what="the page to be absent")
    stream = await browser.events(last_event_id=hello.id)
    await stream.next()
    await asyncio.sleep(1.6)
    assert agent.page_connected and agent.state is AgentState.READY
    stream.close()


async def test_supervisors_also_get_the_supervisors_topic(stack: Stack) -> None:
    supervisor = await stack.logged_in("sup1")
    stream = await supervisor.events()
    hello = await stream.next()
    assert hello.data == {"agent": None, "call": None}
    agent = await logged_in_acd(stack, "agent2")
    state = await stream.until("agent.state")
    assert state.data["agent_id"] == "agent2"
    stack.deps.runner.publish_queue_stats()  # the daemon does it a few times a second
    stats = await stream.until("queue.stats")
    assert stats.data["queue"] == "support"
    # An agent only gets its own topic.
    own = await agent.events()
    await own.next()
    await supervisor.post("/api/agents/agent3/state", {"state": "not-ready"})
    await agent.post("/api/me/ready")
    event = await own.next()
    assert event.data["agent_id"] == "agent2"
    stream.close()
    own.close()


async def test_logout_and_shutdown_end_the_streams(stack: Stack) -> None:
    browser = await logged_in_acd(stack, "agent1")
    stream = await browser.events()
    await stream.next()
    assert (await browser.post("/api/logout")).status == 204
    assert await stream.ended(within=3.0)

    other = await stack.logged_in("agent2")
    stream = await other.events()
    await stream.next()
    loop = asyncio.get_running_loop()
    started = loop.time()
    await stack.runner.cleanup()
    assert loop.time() - started < 2.0  # graceful shutdown does not wait for the stream
    assert await stream.ended(within=1.0)

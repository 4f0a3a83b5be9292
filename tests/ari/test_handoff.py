"""Handoff: events reach a waiting consumer's handler at once, else in order behind what it is busy with."""

from __future__ import annotations

import asyncio

import pytest

from acd.ari.handoff import Handoff


async def test_an_idle_consumer_gets_each_event_from_the_reader_at_once() -> None:
    handoff: Handoff[str, int] = Handoff()
    handled: list[int] = []
    consumer = asyncio.create_task(anext(handoff.items(handled.append), None))
    await asyncio.sleep(0)  # the consumer is now waiting
    handoff.offer(1)
    handoff.offer(2)
    assert handled == [1, 2]  # in the reader's own call: no wake-up of the consumer
    handoff.end()
    assert await consumer is None


async def test_events_wait_in_order_while_the_consumer_is_busy_with_an_item() -> None:
    handoff: Handoff[str, int] = Handoff()
    seen: list[str | int] = []
    resync = asyncio.Event()

    async def consume() -> None:
        async for item in handoff.items(seen.append):
            seen.append(item)
            if isinstance(item, str) and item.startswith("connected"):
                await resync.wait()  # like setup and resync: nothing may be applied meanwhile
                resync.clear()
                seen.append("resynced")

    consumer = asyncio.create_task(consume())
    await asyncio.sleep(0)
    handoff.offer(1)
    handoff.put("connected")
    handoff.offer(2)  # the consumer was woken but has not run: queued behind "connected"
    await asyncio.sleep(0)
    handoff.offer(3)  # the consumer awaits its resync: queued
    assert seen == [1, "connected"]
    resync.set()
    await asyncio.sleep(0)
    handoff.offer(4)  # caught up and waiting again: handled at once
    assert seen == [1, "connected", "resynced", 2, 3, 4]
    handoff.put("connected again")
    await asyncio.sleep(0)
    handoff.offer(5)  # nothing queued, but the consumer is busy: queued all the same
    assert seen[-1] == "connected again"
    resync.set()
    await asyncio.sleep(0)
    handoff.put("disconnected")
    handoff.offer(6)
    handoff.end()
    await asyncio.wait_for(consumer, 1)
    assert seen == [1, "connected", "resynced", 2, 3, 4, "connected again", "resynced", 5, "disconnected", 6]


async def test_without_a_handler_every_item_and_event_is_yielded_in_order() -> None:
    handoff: Handoff[str, int] = Handoff()
    handoff.offer(1)
    handoff.put("a")
    handoff.offer(2)
    handoff.end()
    assert [item async for item in handoff.items()] == [1, "a", 2]
    assert [item async for item in handoff.items()] == []  # later iterations end too


async def test_a_failing_handler_ends_the_iteration_with_its_exception() -> None:
    handoff: Handoff[str, int] = Handoff()
    handled: list[int] = []

    def handle(event: int) -> None:
        if event == 2:
            raise ValueError("bad event")
        handled.append(event)

    consumer = asyncio.create_task(anext(handoff.items(handle), None))
    await asyncio.sleep(0)
    handoff.offer(1)
    handoff.offer(2)  # raises in the reader's call: kept for the consumer, the reader goes on
    handoff.offer(3)  # queued, never handled: the consumer stops at the failure
    with pytest.raises(ValueError, match="bad event"):
        await asyncio.wait_for(consumer, 1)
    assert handled == [1]


async def test_one_consumer_at_a_time() -> None:
    handoff: Handoff[str, int] = Handoff()
    first = asyncio.create_task(anext(handoff.items(), None))
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError):
        await anext(handoff.items())
    handoff.end()
    assert await first is None

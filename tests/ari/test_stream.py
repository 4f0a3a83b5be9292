"""The event WebSocket against a loopback server: order, gaps made visible, reconnects, clean shutdown."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
import structlog
from aiohttp import web

from acd.ari import (
    AriEvent,
    AriEventStream,
    Backoff,
    StasisEnd,
    StasisStart,
    StreamConnected,
    StreamDisconnected,
    StreamItem,
    UnknownEvent,
)
from acd.ari.stream import events_url
from acd.config import AriSettings
from acd.metrics import Metrics
from tests.ari.fake_ari import FakeAri
from tests.ari.samples import CHANNEL, event, stasis_start

FAST = {"min_delay": 0.01, "max_delay": 0.05, "heartbeat": 5.0}


def make_stream(server: FakeAri, metrics: Metrics | None = None, **options: Any) -> AriEventStream:
    return AriEventStream(server.url, "acd", "secret", "acd", metrics=metrics, **{**FAST, **options})


async def next_item(items: AsyncIterator[StreamItem], within: float = 5.0) -> StreamItem:
    return await asyncio.wait_for(anext(items), within)


def channel_ids(items: list[StreamItem]) -> list[str]:
    return [item.channel.id for item in items if isinstance(item, StasisStart | StasisEnd)]


def sample(metrics: Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


def send_then(
    messages: list[str], finish: Callable[[web.WebSocketResponse, web.Request], Awaitable[None]]
) -> Callable[[web.WebSocketResponse, web.Request], Awaitable[None]]:
    async def script(ws: web.WebSocketResponse, request: web.Request) -> None:
        for message in messages:
            await ws.send_str(message)
        await finish(ws, request)

    return script


async def stay_open(ws: web.WebSocketResponse, request: web.Request) -> None:
    async for _ in ws:
        pass


async def wait_until(condition: Callable[[], bool], within: float = 5.0) -> None:
    """Poll: the conditions are metrics and attributes, which have nothing to await."""
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.005)


def ws_connect_errors(metrics: Metrics, status: str) -> float:
    return sample(metrics, "acd_ari_errors_total", operation="events.eventWebsocket", status=status)


async def test_connects_as_the_app_with_the_auth_header(fake_ari: FakeAri) -> None:
    async with make_stream(fake_ari) as stream:
        assert await next_item(aiter(stream)) == StreamConnected(reconnected=False)
        assert stream.connected
    [request] = fake_ari.ws_connections
    assert request.path == "/events"
    assert request.query == {"app": "acd", "subscribeAll": "false"}
    assert request.headers["Authorization"] == aiohttp.encode_basic_auth("acd", "secret")


async def test_events_arrive_in_order_with_malformed_skipped_and_unknown_kept(
    fake_ari: FakeAri, metrics: Metrics
) -> None:
    messages = [
        stasis_start("c1", "inbound", "support"),
        "{not json",
        event("FutureEvent", detail=1),
        event("StasisStart", args=[]),  # no channel
        event("StasisEnd", channel={**CHANNEL, "id": "c1"}),
    ]
    fake_ari.ws_scripts.append(send_then(messages, stay_open))
    with structlog.testing.capture_logs() as logs:
        async with make_stream(fake_ari, metrics) as stream:
            items = aiter(stream)
            got = [await next_item(items) for _ in range(4)]
    assert got[0] == StreamConnected(reconnected=False)
    assert isinstance(got[1], StasisStart) and got[1].args == ("inbound", "support")
    assert isinstance(got[2], UnknownEvent) and got[2].raw["detail"] == 1
    assert isinstance(got[3], StasisEnd)
    assert sample(metrics, "acd_ari_events_unparsed_total", reason="malformed") == 2
    assert sample(metrics, "acd_ari_events_unparsed_total", reason="unknown") == 1
    assert sample(metrics, "acd_ari_events_total", type="StasisStart") == 1
    assert sample(metrics, "acd_ari_events_total", type="StasisEnd") == 1
    assert sample(metrics, "acd_ari_events_total", type="FutureEvent") == 1
    assert [entry["event"] for entry in logs].count("ari.event_malformed") == 2


async def test_the_reader_never_waits_for_a_slow_consumer(fake_ari: FakeAri) -> None:
    # ~23 MB: far more than aiohttp's and the kernel's buffers hold, so the server's writes would block
    # (and Asterisk would drop us with 1011) if the reader waited for the consumer.
    count = 5000
    padding = "x" * 4000
    sent_all = asyncio.Event()

    async def burst(ws: web.WebSocketResponse, request: web.Request) -> None:
        for i in range(count):
            await ws.send_str(event("StasisStart", args=[padding], channel={**CHANNEL, "id": f"c{i}"}))
        sent_all.set()
        await stay_open(ws, request)

    fake_ari.ws_scripts.append(burst)
    async with make_stream(fake_ari) as stream:
        items = aiter(stream)
        assert await next_item(items) == StreamConnected(reconnected=False)
        await asyncio.wait_for(sent_all.wait(), 10)  # the consumer has not read a single event yet
        got = [await next_item(items) for _ in range(count)]
    assert channel_ids(got) == [f"c{i}" for i in range(count)]


async def test_a_handler_gets_events_in_order_and_none_while_the_consumer_resyncs(fake_ari: FakeAri) -> None:
    """The session's way to consume: events to a handler, connects awaited (setup and resync)
    with every event that arrives meanwhile held back, in order, across a reconnect."""

    async def drop(ws: web.WebSocketResponse, request: web.Request) -> None:
        assert request.transport is not None
        request.transport.abort()

    fake_ari.ws_scripts += [
        send_then([stasis_start(f"a{i}") for i in range(50)], drop),
        send_then([stasis_start(f"b{i}") for i in range(50)], stay_open),
    ]
    seen: list[str] = []
    resyncing = False
    all_seen = asyncio.Event()

    def on_event(event: AriEvent) -> None:
        assert not resyncing, "an event was applied during a resync"
        assert isinstance(event, StasisStart)
        seen.append(event.channel.id)
        if event.channel.id == "b49":
            all_seen.set()

    async def consume(stream: AriEventStream) -> None:
        nonlocal resyncing
        async for item in stream.items(on_event):
            if isinstance(item, StreamConnected):
                seen.append(f"connected reconnected={item.reconnected}")
                resyncing = True
                await asyncio.sleep(0.05)  # the events arrive meanwhile and must wait
                resyncing = False
            else:
                seen.append(f"disconnected {item}")

    async with make_stream(fake_ari) as stream:
        consumer = asyncio.create_task(consume(stream))
        await asyncio.wait_for(all_seen.wait(), 5)
        await stream.close()
        await asyncio.wait_for(consumer, 2)
    assert seen[0] == "connected reconnected=False"
    assert seen[1:51] == [f"a{i}" for i in range(50)]
    assert seen[51].startswith("disconnected") and "1006" in seen[51]
    assert seen[52] == "connected reconnected=True"
    assert seen[53:103] == [f"b{i}" for i in range(50)]
    assert seen[103].startswith("disconnected") and "1000" in seen[103]
    assert len(seen) == 104


async def test_reconnects_after_a_close_and_a_refusal_and_says_so(
    fake_ari: FakeAri, metrics: Metrics
) -> None:
    async def close_1011_and_refuse(ws: web.WebSocketResponse, request: web.Request) -> None:
        await fake_ari.stop_listening()
        await ws.close(code=aiohttp.WSCloseCode.INTERNAL_ERROR, message=b"write timeout")

    fake_ari.ws_scripts += [
        send_then([stasis_start("c1"), stasis_start("c2")], close_1011_and_refuse),
        send_then([stasis_start("c3"), stasis_start("c4")], stay_open),
    ]
    async with make_stream(fake_ari, metrics) as stream:
        items = aiter(stream)
        first = [await next_item(items) for _ in range(4)]
        assert first[0] == StreamConnected(reconnected=False)
        assert channel_ids(first) == ["c1", "c2"]
        assert first[3] == StreamDisconnected(code=1011, reason="write timeout")
        assert sample(metrics, "acd_ari_connected") == 0
        await wait_until(lambda: ws_connect_errors(metrics, "0") >= 2)  # it keeps trying while refused
        assert not stream.connected and "cannot connect" in (stream.last_error or "")
        await fake_ari.listen()
        second = [await next_item(items) for _ in range(3)]
    assert second[0] == StreamConnected(reconnected=True)
    assert channel_ids(second) == ["c3", "c4"]
    assert sample(metrics, "acd_ari_websocket_reconnects_total") == 1
    assert len(fake_ari.ws_connections) == 2


async def test_a_connection_dropped_without_a_close_frame_is_reported_as_1006(fake_ari: FakeAri) -> None:
    async def drop(ws: web.WebSocketResponse, request: web.Request) -> None:
        assert request.transport is not None
        request.transport.abort()

    fake_ari.ws_scripts += [send_then([stasis_start("c1")], drop), stay_open]
    async with make_stream(fake_ari) as stream:
        items = aiter(stream)
        got = [await next_item(items) for _ in range(4)]
    assert got[0] == StreamConnected(reconnected=False)
    assert channel_ids(got) == ["c1"]
    assert isinstance(got[2], StreamDisconnected) and got[2].code == 1006
    assert got[3] == StreamConnected(reconnected=True)


async def test_a_silent_peer_is_detected_by_the_heartbeat(fake_ari: FakeAri) -> None:
    async def hang(ws: web.WebSocketResponse, request: web.Request) -> None:
        await asyncio.sleep(30)  # never reads, so never answers the client's pings

    fake_ari.ws_autoping = False
    fake_ari.ws_scripts += [send_then([stasis_start("c1")], hang)]
    async with make_stream(fake_ari, heartbeat=0.2) as stream:
        items = aiter(stream)
        got = [await next_item(items, within=3) for _ in range(3)]
        assert isinstance(got[2], StreamDisconnected) and got[2].code == 1006
        assert "PONG" in got[2].reason
        assert await next_item(items) == StreamConnected(reconnected=True)


async def test_unauthorized_is_reported_and_retried_until_accepted(
    fake_ari: FakeAri, metrics: Metrics
) -> None:
    fake_ari.ws_refuse_status = 401
    with structlog.testing.capture_logs() as logs:
        async with make_stream(fake_ari, metrics) as stream:
            await wait_until(lambda: ws_connect_errors(metrics, "401") >= 2)
            assert "401" in (stream.last_error or "")
            fake_ari.ws_refuse_status = None
            assert await next_item(aiter(stream)) == StreamConnected(reconnected=False)
            assert stream.last_error is None
    assert any(entry["event"] == "ari.ws_unauthorized" for entry in logs)


async def test_close_ends_iteration_and_leaves_no_task(fake_ari: FakeAri) -> None:
    stream = make_stream(fake_ari)
    consumed: list[StreamItem] = []

    async def consume() -> None:
        async for item in stream:
            consumed.append(item)

    async with stream:
        consumer = asyncio.create_task(consume())
        await wait_until(lambda: len(consumed) == 1)
        await stream.close()
        await asyncio.wait_for(consumer, 2)
    assert consumed[0] == StreamConnected(reconnected=False)
    assert consumed[1] == StreamDisconnected(code=1000, reason="closed by the client")
    assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("ari-events")]
    await stream.close()  # idempotent
    assert [item async for item in stream] == []  # and iteration stays finished


async def test_close_while_waiting_to_reconnect(metrics: Metrics) -> None:
    stream = AriEventStream(
        "http://127.0.0.1:9", "acd", "x", "acd", min_delay=5, max_delay=10, metrics=metrics
    )
    async with stream:
        await wait_until(lambda: stream.last_error is not None)
    assert [item async for item in stream] == []
    assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("ari-events")]


async def test_closing_a_stream_that_never_started_ends_its_iteration() -> None:
    stream = AriEventStream("http://127.0.0.1:9", "acd", "x", "acd")
    await stream.close()
    stream.start()  # too late: stays closed
    assert [item async for item in stream] == []


async def test_from_settings_uses_the_reconnect_bounds(fake_ari: FakeAri) -> None:
    settings = AriSettings(
        url=fake_ari.url, password="secret", reconnect_min_delay=0.5, reconnect_max_delay=2
    )
    stream = AriEventStream.from_settings(settings)
    assert (stream._backoff.min_delay, stream._backoff.max_delay) == (0.5, 2)
    async with stream:
        assert await next_item(aiter(stream)) == StreamConnected(reconnected=False)


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("http://127.0.0.1:8088", "ws://127.0.0.1:8088/ari/events"),
        ("https://pbx.example.com:8089/", "wss://pbx.example.com:8089/ari/events"),
        ("http://proxy/asterisk", "ws://proxy/asterisk/ari/events"),
    ],
)
def test_the_websocket_url_follows_the_rest_url(base: str, expected: str) -> None:
    assert events_url(base) == expected


def test_a_url_without_http_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="http"):
        events_url("127.0.0.1:8088")


def test_backoff_grows_with_full_jitter_between_the_bounds() -> None:
    backoff = Backoff(0.25, 15.0, random.Random(7))
    delays = [backoff.next_delay() for _ in range(40)]
    assert delays[0] == 0.25
    for attempt, delay in enumerate(delays):
        assert 0.25 <= delay <= min(15.0, 0.25 * 2**attempt)
    assert max(delays) > 7.5  # it does reach the cap's region...
    assert len({round(d, 6) for d in delays[10:]}) == 30  # ...with jitter, not a fixed step
    assert delays == [d for d in _replay(Backoff(0.25, 15.0, random.Random(7)), 40)]  # seeded: reproducible


def test_backoff_starts_over_after_reset() -> None:
    backoff = Backoff(1.0, 60.0, random.Random(1))
    for _ in range(10):
        backoff.next_delay()
    backoff.reset()
    assert backoff.next_delay() == 1.0
    assert 1.0 <= backoff.next_delay() <= 2.0


def test_backoff_bounds_must_make_sense() -> None:
    with pytest.raises(ValueError):
        Backoff(0, 1)
    with pytest.raises(ValueError):
        Backoff(2, 1)


def _replay(backoff: Backoff, n: int) -> list[float]:
    return [backoff.next_delay() for _ in range(n)]

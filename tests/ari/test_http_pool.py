"""The ARI HTTP pool on the wire: reuse, idle and server closes, framing, timeouts, cancellation, bounds.

The server here is a raw asyncio one, scripted per request, so that every way a peer can end an
exchange (close mid-answer, answer late, answer twice, send no length) can be produced on purpose.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from acd.ari.http import HttpConnectionError, HttpPool


@dataclass
class Request:
    connection: int
    head: list[str]
    body: bytes

    @property
    def line(self) -> str:
        return self.head[0]

    def header(self, name: str) -> str | None:
        for line in self.head[1:]:
            key, _, value = line.partition(":")
            if key.lower() == name.lower():
                return value.strip()
        return None


Reply = Callable[[Request], Awaitable[bytes | None]]


def answer(status: str = "204 No Content", body: bytes = b"", extra: str = "") -> bytes:
    length = f"Content-Length: {len(body)}\r\n" if not status.startswith("204") else ""
    return f"HTTP/1.1 {status}\r\n{extra}{length}\r\n".encode() + body


async def no_content(request: Request) -> bytes:
    return answer()


@dataclass
class ScriptedServer:
    reply: Reply = no_content
    requests: list[Request] = field(default_factory=list)
    connections: int = 0
    open_now: int = 0
    most_open: int = 0
    close_after_answer: bool = False
    server: asyncio.Server | None = None

    @property
    def origin(self) -> str:
        assert self.server is not None
        host, port = self.server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number = self.connections
        self.open_now += 1
        self.most_open = max(self.most_open, self.open_now)
        try:
            while True:
                try:
                    raw = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                head = raw.decode().split("\r\n")[:-2]
                request = Request(number, head, b"")
                length = request.header("Content-Length")
                if length:
                    request.body = await reader.readexactly(int(length))
                self.requests.append(request)
                reply = await self.reply(request)
                if reply is None:
                    return  # close without a word
                writer.write(reply)
                await writer.drain()
                if self.close_after_answer:
                    return
        finally:
            self.open_now -= 1
            writer.close()


@pytest.fixture
async def server() -> AsyncIterator[ScriptedServer]:
    scripted = ScriptedServer()
    scripted.server = await asyncio.start_server(scripted.handle, "127.0.0.1", 0)
    yield scripted
    scripted.server.close()


async def test_sequential_requests_reuse_one_connection(server: ScriptedServer) -> None:
    pool = HttpPool(server.origin)
    for _ in range(5):
        response = await pool.request("POST", "/ari/channels/c1/answer", headers="X-A: 1\r\n", timeout=1)
        assert (response.status, response.reason, response.body) == (204, "No Content", b"")
    await pool.close()
    assert server.connections == 1
    assert pool.connections_made == 1
    first = server.requests[0]
    assert first.line == "POST /ari/channels/c1/answer HTTP/1.1"
    assert first.header("Host") == server.origin.removeprefix("http://")
    assert first.header("X-A") == "1"
    assert first.header("Content-Length") == "0"


async def test_a_body_travels_with_its_type_and_length(server: ScriptedServer) -> None:
    async def echo(request: Request) -> bytes:
        return answer("200 OK", request.body, "Content-Type: application/json\r\n")

    server.reply = echo
    pool = HttpPool(server.origin)
    response = await pool.request("POST", "/ari/channels", body=b'{"variables": {}}', timeout=1)
    await pool.close()
    assert response.body == b'{"variables": {}}'
    assert server.requests[0].header("Content-Type") == "application/json"
    assert server.requests[0].header("Content-Length") == "17"


async def test_a_get_carries_no_length(server: ScriptedServer) -> None:
    pool = HttpPool(server.origin)
    await pool.request("GET", "/ari/channels", timeout=1)
    await pool.close()
    assert server.requests[0].header("Content-Length") is None


async def test_an_idle_connection_the_server_closed_is_not_reused(server: ScriptedServer) -> None:
    server.close_after_answer = True  # as Asterisk does after session_keep_alive
    pool = HttpPool(server.origin)
    await pool.request("POST", "/a", timeout=1)
    await asyncio.sleep(0.05)  # the FIN arrives
    await pool.request("POST", "/b", timeout=1)
    await pool.close()
    assert [r.connection for r in server.requests] == [1, 2]


async def test_connection_close_in_the_answer_ends_the_connection(server: ScriptedServer) -> None:
    async def closing(request: Request) -> bytes:
        return answer(extra="Connection: close\r\n")

    server.reply = closing
    pool = HttpPool(server.origin)
    await pool.request("POST", "/a", timeout=1)
    await pool.request("POST", "/b", timeout=1)
    await pool.close()
    assert [r.connection for r in server.requests] == [1, 2]


async def test_chunked_answers_are_read_whole(server: ScriptedServer) -> None:
    async def chunked(request: Request) -> bytes:
        return b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n[1,\r\n3\r\n 2]\r\n0\r\n\r\n"

    server.reply = chunked
    pool = HttpPool(server.origin)
    first = await pool.request("GET", "/a", timeout=1)
    second = await pool.request("GET", "/a", timeout=1)
    await pool.close()
    assert first.body == second.body == b"[1, 2]"
    assert server.connections == 1


async def test_an_answer_without_length_ends_with_its_connection(server: ScriptedServer) -> None:
    async def unframed(request: Request) -> bytes:
        return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n[]"

    server.reply = unframed
    server.close_after_answer = True
    pool = HttpPool(server.origin)
    response = await pool.request("GET", "/a", timeout=1)
    await pool.close()
    assert (response.status, response.body) == (200, b"[]")


async def test_a_close_before_the_answer_is_a_connection_error(server: ScriptedServer) -> None:
    async def hang_up(request: Request) -> None:
        return None

    server.reply = hang_up
    pool = HttpPool(server.origin)
    with pytest.raises(HttpConnectionError, match="before a whole answer"):
        await pool.request("POST", "/a", timeout=1)
    server.reply = no_content
    assert (await pool.request("POST", "/b", timeout=1)).status == 204
    await pool.close()


async def test_a_malformed_answer_is_a_connection_error_and_drops_the_connection(
    server: ScriptedServer,
) -> None:
    replies = iter([b"SIP/2.0 200 OK\r\n\r\n", answer()])

    async def garbage_then_fine(request: Request) -> bytes:
        return next(replies)

    server.reply = garbage_then_fine
    pool = HttpPool(server.origin)
    with pytest.raises(HttpConnectionError, match="malformed"):
        await pool.request("POST", "/a", timeout=1)
    assert (await pool.request("POST", "/b", timeout=1)).status == 204
    await pool.close()
    assert [r.connection for r in server.requests] == [1, 2]


async def test_a_late_answer_is_never_read_as_the_next_requests(server: ScriptedServer) -> None:
    async def slow_first(request: Request) -> bytes:
        if request.line.startswith("POST /slow"):
            await asyncio.sleep(0.3)
            return answer("200 OK", b"late")
        return answer("200 OK", b"mine")

    server.reply = slow_first
    pool = HttpPool(server.origin)
    with pytest.raises(TimeoutError):
        await pool.request("POST", "/slow", timeout=0.05)
    response = await pool.request("POST", "/fast", timeout=1)
    await pool.close()
    assert response.body == b"mine"
    assert [r.connection for r in server.requests] == [1, 2]


async def test_a_cancelled_request_closes_its_connection(server: ScriptedServer) -> None:
    arrived = asyncio.Event()

    async def stall(request: Request) -> bytes:
        arrived.set()
        await asyncio.sleep(0.3)
        return answer("200 OK", b"stale")

    server.reply = stall
    pool = HttpPool(server.origin)
    task = asyncio.create_task(pool.request("POST", "/a", timeout=1))
    await arrived.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    server.reply = no_content
    assert (await pool.request("POST", "/b", timeout=1)).body == b""
    await pool.close()
    assert [r.connection for r in server.requests] == [1, 2]


async def test_connections_are_bounded_and_waiting_requests_get_the_freed_ones(
    server: ScriptedServer,
) -> None:
    async def slowish(request: Request) -> bytes:
        await asyncio.sleep(0.01)
        return answer()

    server.reply = slowish
    pool = HttpPool(server.origin, limit=2)
    responses = await asyncio.gather(*(pool.request("POST", f"/{n}", timeout=2) for n in range(20)))
    await pool.close()
    assert [r.status for r in responses] == [204] * 20
    assert server.most_open <= 2
    assert pool.connections_made == 2


async def test_connections_idle_too_long_are_closed_not_reused(server: ScriptedServer) -> None:
    pool = HttpPool(server.origin, idle_seconds=0.05)
    await pool.request("POST", "/a", timeout=1)
    await asyncio.sleep(0.1)
    await pool.request("POST", "/b", timeout=1)
    await asyncio.sleep(0.02)
    assert server.open_now == 1  # the stale one was closed, not just skipped
    await pool.close()
    assert [r.connection for r in server.requests] == [1, 2]


async def test_a_refused_connection_is_an_os_error_and_frees_its_slot() -> None:
    listener = await asyncio.start_server(no_content_handler, "127.0.0.1", 0)
    host, port = listener.sockets[0].getsockname()[:2]
    listener.close()
    await listener.wait_closed()
    pool = HttpPool(f"http://{host}:{port}", limit=1)
    for _ in range(3):  # each failure gives its slot back, or the third would wait forever
        with pytest.raises(OSError):
            await pool.request("POST", "/a", timeout=1)
    await pool.close()


async def no_content_handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.close()


async def test_a_closed_pool_refuses_requests_and_closes_its_connections(server: ScriptedServer) -> None:
    pool = HttpPool(server.origin)
    await pool.request("POST", "/a", timeout=1)
    await pool.close()
    await asyncio.sleep(0.02)
    assert server.open_now == 0
    with pytest.raises(HttpConnectionError, match="closed"):
        await pool.request("POST", "/b", timeout=1)


def test_only_http_urls_are_accepted() -> None:
    with pytest.raises(ValueError, match="not an http"):
        HttpPool("ws://127.0.0.1:8088")


async def test_a_waiting_request_is_not_starved_by_one_sending_back_to_back(server: ScriptedServer) -> None:
    async def quick(request: Request) -> bytes:
        await asyncio.sleep(0.005)
        return answer()

    server.reply = quick
    pool = HttpPool(server.origin, limit=1)
    stop = asyncio.Event()

    async def back_to_back() -> None:  # as AriSession.setup() does: one request after another
        while not stop.is_set():
            await pool.request("POST", "/busy", timeout=5)

    busy = asyncio.create_task(back_to_back())
    await asyncio.sleep(0.02)
    try:
        response = await pool.request("POST", "/waiting", timeout=1)  # timed out before: overtaken
    finally:
        stop.set()
        await busy
        await pool.close()
    assert response.status == 204


async def test_waiting_for_a_connection_counts_against_the_deadline_and_leaves_no_trace(
    server: ScriptedServer,
) -> None:
    async def slow_first(request: Request) -> bytes:
        if request.line.startswith("POST /slow"):
            await asyncio.sleep(0.1)
        return answer()

    server.reply = slow_first
    pool = HttpPool(server.origin, limit=1)
    slow = asyncio.create_task(pool.request("POST", "/slow", timeout=1))
    await asyncio.sleep(0.02)
    with pytest.raises(TimeoutError):
        await pool.request("POST", "/gave-up", timeout=0.02)
    assert (await slow).status == 204
    # The slot was not lost, and the connection is idle: a stale place in line left by the
    # request that gave up would make this one wait for nobody (and time out).
    assert (await pool.request("POST", "/next", timeout=0.05)).status == 204
    await pool.close()


async def test_a_failed_request_frees_its_slot_even_if_the_peer_stopped_reading() -> None:
    stalled: list[asyncio.StreamWriter] = []

    async def stop_reading(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        stalled.append(writer)  # a hung peer: never reads the body, never answers
        await asyncio.sleep(3600)

    listener = await asyncio.start_server(stop_reading, "127.0.0.1", 0)
    host, port = listener.sockets[0].getsockname()[:2]
    pool = HttpPool(f"http://{host}:{port}", limit=1)
    try:
        with pytest.raises(TimeoutError):
            await pool.request("POST", "/big", body=b"x" * (32 << 20), timeout=0.2)
        await asyncio.sleep(0.05)
        # The unsent bytes are dropped with the connection: the slot is free for the next request.
        with pytest.raises(TimeoutError):
            await pool.request("POST", "/next", timeout=0.2)
        assert len(stalled) == 2  # the second request got a connection of its own
    finally:
        for writer in stalled:
            writer.transport.abort()
        listener.close()
        await pool.close()


@pytest.mark.parametrize("seed", range(6))
async def test_random_peers_and_impatient_callers_never_hang_leak_or_mix_up_answers(seed: int) -> None:
    """The pool's races all at once: a peer that closes without answering, answers late, splits
    its answer into 7-byte writes, or says ``Connection: close``; callers with short deadlines,
    cancelled at random (also while waiting in line or just handed a connection), and the pool
    closed midway. Each answer echoes its request's path, so a mix-up shows."""
    rng = random.Random(seed)

    async def peer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ")[1]
                luck = rng.random()
                if luck < 0.05:
                    return  # closes without a word
                if luck < 0.10:
                    await asyncio.sleep(rng.uniform(0, 0.05))
                closing = rng.random() < 0.05
                data = answer("200 OK", path, "Connection: close\r\n" if closing else "")
                step = 7 if rng.random() < 0.2 else len(data)
                for start in range(0, len(data), step):
                    writer.write(data[start : start + step])
                    await writer.drain()
                if closing:
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    listener = await asyncio.start_server(peer, "127.0.0.1", 0)
    host, port = listener.sockets[0].getsockname()[:2]
    pool = HttpPool(f"http://{host}:{port}", limit=rng.choice([1, 2, 4]), idle_seconds=rng.choice([0.01, 10]))
    mixed_up: list[int] = []

    async def caller(n: int) -> None:
        try:
            response = await pool.request("POST", f"/r{n}", timeout=rng.choice([0.005, 0.02, 0.1, 1.0]))
        except OSError:  # refused, closed early, or the pool closed (TimeoutError is an OSError)
            return
        if response.body != f"/r{n}".encode():
            mixed_up.append(n)

    callers: list[asyncio.Task[None]] = []
    close_at = rng.randrange(50, 200)
    for n in range(200):
        if n == close_at:
            await pool.close()
        callers.append(asyncio.create_task(caller(n)))
        if rng.random() < 0.2:
            await asyncio.sleep(rng.choice([0, 0.001, 0.005]))
        if rng.random() < 0.1:
            rng.choice(callers).cancel()
    _, hung = await asyncio.wait(callers, timeout=5)
    for task in callers:
        if task.done() and not task.cancelled():
            task.result()  # nothing but OSError may escape a request
    await asyncio.sleep(0.1)
    listener.close()
    assert not hung
    assert not mixed_up
    assert pool._open == 0  # every slot given back: the pool is closed and its connections gone


async def test_a_turn_handed_to_a_request_cancelled_that_instant_is_passed_on(server: ScriptedServer) -> None:
    """The race the random test above rarely hits: a freed connection (or slot) is handed to the
    first in line, and that request is cancelled before it runs. Driven through the pool's own
    hand-over, in one synchronous step, so the instant is exact."""
    pool = HttpPool(server.origin, limit=1)
    await pool.request("POST", "/warm", timeout=1)
    conn = pool._take_idle()
    assert conn is not None
    first = asyncio.create_task(pool._wait_in_line())
    second = asyncio.create_task(pool._wait_in_line())
    await asyncio.sleep(0)  # both in line
    pool._release(conn)  # handed to the first...
    first.cancel()  # ...which is cancelled before it could take it
    with pytest.raises(asyncio.CancelledError):
        await first
    assert await asyncio.wait_for(second, 1) is conn  # passed on, not lost with the cancelled one
    pool._release(conn)
    assert pool._open == 1

    assert pool._take_idle() is conn
    waiting = asyncio.create_task(pool._wait_in_line())
    await asyncio.sleep(0)
    conn.counted = False  # its slot is freed here, as its connection_lost would...
    conn.abort()
    pool._free_slot()  # ...and reserved for the one in line...
    waiting.cancel()  # ...which gives up that instant
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert pool._open == 0  # the reserved slot was given back
    await pool.close()

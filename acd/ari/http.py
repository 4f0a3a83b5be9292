"""A lean HTTP/1.1 keep-alive client for ARI's REST requests: httptools parses, this module pools.

Why not aiohttp's ``ClientSession``, which the rest of acd uses: a call costs five ARI requests, and
on this project's 2-vCPU benchmark machine aiohttp's general client spends ~90 us of CPU on each
(cookies, redirects, proxies, compression, tracing, a task per request body, a timer context per
request), a third of the daemon's whole budget per call; this client spends ~30 us. ARI needs none of
those features: one fixed host, an ``Authorization`` header, JSON or empty bodies, answers that carry a
``Content-Length``. What is left is done here, deliberately small:

- **parsing** by httptools (llhttp, the parser of Node.js; maintained by MagicStack, who also make
  uvloop and asyncpg), never by hand;
- **connection reuse** with a bound (Asterisk allows 100 HTTP sessions by default), most recently used
  first so that a few warm connections carry the load; at the bound, requests wait in line and a freed
  connection or slot goes to the first in line, never to a newcomer;
- **idle closes**: Asterisk closes a connection left idle for ``session_keep_alive`` (15 s by default,
  ``http.conf``); connections idle for ``idle_seconds`` (10 s) are closed here first, and one the server
  closed is never reused. A request is never retried: a POST may have been carried out;
- **timeouts**: the whole exchange (waiting for a connection, connecting, the answer) has one deadline;
  a connection whose answer is late, or whose caller was cancelled, is dropped (unsent bytes and all)
  rather than reused, since its late answer would be read as the next request's.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import deque
from typing import NamedTuple, cast

import httptools
from yarl import URL

DEFAULT_IDLE_SECONDS = 10.0
"""Under Asterisk's own idle close (``session_keep_alive``, 15 s), so that we close first."""


class HttpResponse(NamedTuple):
    status: int
    reason: str
    body: bytes


class HttpConnectionError(ConnectionError):
    """The connection failed or closed before a whole answer arrived, or the answer was not HTTP."""


class _Connection(asyncio.Protocol):
    """One TCP (or TLS) connection carrying one request at a time."""

    def __init__(self, pool: HttpPool) -> None:
        self._pool = pool
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._waiter: asyncio.Future[HttpResponse] | None = None
        self._reason = b""
        self._body: list[bytes] = []
        self._headers_done = False
        self._framed = False  # Content-Length or chunked: the answer's end is known without EOF
        self.closed = False
        self.counted = False  # holds one of the pool's slots until connection_lost
        self.idle_since = 0.0

    # --- asyncio.Protocol ---
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport by construction (create_connection); uvloop's is not a subclass
        # of asyncio.Transport, so this is a cast, not an isinstance check.
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self._waiter is None:
            # Nothing was asked: an unsolicited answer (a 408 before an idle close) cannot be
            # matched to any request; the connection is no longer in step with us.
            self.close()
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(HttpConnectionError(f"malformed HTTP answer: {exc}"))
            self.abort()

    def eof_received(self) -> bool:
        return False  # close our side too; connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._waiter is not None and self._headers_done and not self._framed:
            self._complete()  # an answer without a length ends with its connection (RFC 9112 6.3)
        else:
            reason = f": {exc}" if exc is not None else ""
            self._fail(HttpConnectionError(f"connection closed before a whole answer{reason}"))
        if self.counted:
            self._pool._free_slot()  # a counted connection is gone, closed by either side

    # --- httptools callbacks ---
    def on_message_begin(self) -> None:
        if self._waiter is None:
            self.close()  # a second answer to one request: out of step
        self._reason = b""
        self._body = []
        self._headers_done = False
        self._framed = False

    def on_status(self, status: bytes) -> None:
        self._reason += status

    def on_header(self, name: bytes, value: bytes) -> None:
        lowered = name.lower()
        if lowered == b"content-length" or (lowered == b"transfer-encoding" and b"chunked" in value.lower()):
            self._framed = True

    def on_headers_complete(self) -> None:
        self._headers_done = True
        status = self._parser.get_status_code()
        if status in (204, 304) or status < 200:
            self._framed = True  # no body by definition

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        self._complete()
        if not self._parser.should_keep_alive():
            self.close()

    # --- used by the pool ---
    def send(self, request: bytes, waiter: asyncio.Future[HttpResponse]) -> None:
        assert self._transport is not None
        self._waiter = waiter
        self._transport.write(request)

    def close(self) -> None:
        self.closed = True
        if self._transport is not None:
            self._transport.close()

    def abort(self) -> None:
        """Drop the connection now, unsent bytes and all: ``close()`` would wait for a peer that
        stopped reading to take them, holding the connection's slot for as long."""
        self.closed = True
        if self._transport is not None:
            self._transport.abort()

    def _complete(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            response = HttpResponse(
                self._parser.get_status_code(), self._reason.decode("latin-1"), b"".join(self._body)
            )
            waiter.set_result(response)

    def _fail(self, exc: Exception) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)


class HttpPool:
    """Requests to one origin (``http://host:port`` or ``https://...``) over reused connections."""

    def __init__(
        self,
        origin: str | URL,
        *,
        limit: int = 32,
        idle_seconds: float = DEFAULT_IDLE_SECONDS,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        url = URL(origin)
        if url.scheme not in ("http", "https") or not url.raw_host:
            raise ValueError(f"not an http(s) URL: {origin}")
        self._host = url.raw_host
        self._port = url.port or (443 if url.scheme == "https" else 80)
        self._ssl = (ssl_context or ssl.create_default_context()) if url.scheme == "https" else None
        self._host_line = f"Host: {url.host_port_subcomponent}\r\n"
        self._limit = limit
        self._idle_seconds = idle_seconds
        self._idle: deque[_Connection] = deque()
        self._open = 0  # connections connecting, busy or idle
        self._waiters: deque[asyncio.Future[_Connection | None]] = deque()
        self._closed = False
        self.connections_made = 0
        """How many connections this pool opened in its life (tests and diagnostics)."""

    async def request(
        self,
        method: str,
        target: str,
        *,
        headers: str = "",
        body: bytes | None = None,
        content_type: str = "application/json",
        timeout: float,  # noqa: ASYNC109 - one deadline for the whole exchange, kept by hand (cheaper)
    ) -> HttpResponse:
        """Send one request; ``headers`` is pre-rendered ``Name: value\\r\\n`` lines.

        Raises ``TimeoutError`` past ``timeout`` seconds and ``HttpConnectionError`` (an ``OSError``)
        when no whole answer could be had.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        conn = None if self._waiters else self._take_idle()  # never overtake a waiting request
        if conn is None:
            async with asyncio.timeout_at(deadline):
                conn = await self._acquire_slow()
        if body is None:
            length = "" if method == "GET" else "Content-Length: 0\r\n"
            request = f"{method} {target} HTTP/1.1\r\n{self._host_line}{headers}{length}\r\n".encode()
        else:
            request = (
                f"{method} {target} HTTP/1.1\r\n{self._host_line}{headers}"
                f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode() + body
        waiter: asyncio.Future[HttpResponse] = loop.create_future()
        timer = loop.call_at(deadline, _expire, waiter)
        conn.send(request, waiter)
        try:
            response = await waiter
        except BaseException:
            conn.abort()  # late, failed or cancelled: its answer may still come, so never reuse it
            raise
        finally:
            timer.cancel()
        self._release(conn)
        return response

    async def close(self) -> None:
        self._closed = True
        while self._idle:
            self._idle.pop().close()
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(HttpConnectionError("the client is closed"))

    # --- the pool ---
    def _take_idle(self) -> _Connection | None:
        idle = self._idle
        while idle:
            conn = idle.pop()  # the most recently used: warm, and lets the others age out
            if not conn.closed:
                if time.monotonic() - conn.idle_since < self._idle_seconds:
                    return conn
                conn.close()
        return None

    async def _acquire_slow(self) -> _Connection:
        """A connection for a request that found none idle: a new one if a slot is free and nobody
        waits, else a place in line. Whoever frees a connection or a slot hands it to the first in
        line directly, so that a task sending requests back to back cannot starve the line."""
        while True:
            if self._closed:
                raise HttpConnectionError("the client is closed")
            if not self._waiters:
                conn = self._take_idle()
                if conn is not None:
                    return conn
                if self._open < self._limit:
                    self._open += 1
                    return await self._connect()
            handed = await self._wait_in_line()
            if handed is None:
                return await self._connect()  # a slot was reserved for us
            if not handed.closed:
                return handed
            # Closed between being handed to us and our turn to run: its own close frees its
            # slot (to whoever is first in line then); try again.

    async def _wait_in_line(self) -> _Connection | None:
        """Wait for a connection (handed over) or a reserved slot (``None``) in arrival order."""
        waiter: asyncio.Future[_Connection | None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            return await waiter
        except BaseException:
            if waiter in self._waiters:
                self._waiters.remove(waiter)  # a stale entry would make newcomers queue behind nobody
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                # Given a turn we will not use (cancelled or timed out as it came): pass it on.
                handed = waiter.result()
                if handed is None:
                    self._free_slot()
                else:
                    self._release(handed)
            raise

    async def _connect(self) -> _Connection:
        """Open a connection on a slot already counted in ``_open`` by the caller."""
        loop = asyncio.get_running_loop()
        try:
            _, conn = await loop.create_connection(
                lambda: _Connection(self),
                self._host,
                self._port,
                ssl=self._ssl,
                server_hostname=self._host if self._ssl is not None else None,
            )
        except BaseException:
            self._free_slot()
            raise
        self.connections_made += 1
        if conn.closed:  # the server closed it before we could use it; connection_lost has run
            self._free_slot()
            raise HttpConnectionError("connection closed as soon as it opened")
        conn.counted = True
        return conn

    def _release(self, conn: _Connection) -> None:
        """A request is done with a healthy connection: to the first in line, else idle."""
        if conn.closed:
            return  # connection_lost does the accounting
        if self._closed:
            conn.close()
            return
        waiter = self._first_waiter()
        if waiter is not None:
            waiter.set_result(conn)
            return
        now = time.monotonic()
        conn.idle_since = now
        idle = self._idle
        while idle and (idle[0].closed or now - idle[0].idle_since >= self._idle_seconds):
            idle.popleft().close()  # the oldest first: they would be closed by Asterisk anyway
        idle.append(conn)

    def _free_slot(self) -> None:
        """A slot is free: reserve it for the first in line, if anyone waits."""
        self._open -= 1
        waiter = self._first_waiter()
        if waiter is not None:
            self._open += 1
            waiter.set_result(None)

    def _first_waiter(self) -> asyncio.Future[_Connection | None] | None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                return waiter
        return None


def _expire(waiter: asyncio.Future[HttpResponse]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())

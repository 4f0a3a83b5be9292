"""``AriEventStream``: the app's ARI WebSocket as one ordered stream that survives reconnects.

Asterisk does not replay what it sent while the app was disconnected, and a connection can die without
a close frame (Asterisk restart: 1006). So the stream never hides a gap: it yields
``StreamConnected(reconnected)`` on every connect (the consumer must then resync from REST:
``GET /applications/{app}``, ``/channels``, ``/bridges``) and ``StreamDisconnected`` on every loss,
with the events in between in exactly the order Asterisk sent them.

The reader task only parses and hands over (``Handoff``: straight to the consumer's synchronous
handler when it is idle, else to an unbounded queue): Asterisk drops the app's socket with 1011
when one of its writes blocks for 100 ms, so the reader must never wait for the consumer. A
heartbeat (WebSocket ping) notices a peer that vanished without closing.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Final, TypeAlias

import aiohttp
from aiohttp import WSCloseCode

from acd.ari.events import AriEvent, MalformedEvent, UnknownEvent, parse_event
from acd.ari.handoff import Handoff
from acd.ari.transport import auth_header
from acd.config import AriSettings
from acd.logging import get_logger
from acd.metrics import Metrics

log = get_logger(__name__)

CONNECT_OPERATION: Final = "events.eventWebsocket"


@dataclass(frozen=True, slots=True)
class StreamConnected:
    """The WebSocket is (again) connected: state known from before may be stale, resync from REST."""

    reconnected: bool


@dataclass(frozen=True, slots=True)
class StreamDisconnected:
    """The WebSocket is gone; events until the next ``StreamConnected`` are lost for good.

    ``code`` is the peer's close code (1011: Asterisk gave up writing to us), 1006 when the connection
    ended without a close frame (restart, network, failed heartbeat), 1000 after ``close()``.
    """

    code: int | None
    reason: str


StreamItem: TypeAlias = StreamConnected | StreamDisconnected | AriEvent
ConnectionItem: TypeAlias = StreamConnected | StreamDisconnected


class Backoff:
    """Exponential backoff with full jitter, floored at ``min_delay`` and capped at ``max_delay``.

    Jitter spreads the reconnects of several daemons (or of one daemon's retries) after Asterisk
    restarts; the floor keeps a refusing server from being hammered.
    """

    def __init__(self, min_delay: float, max_delay: float, rng: random.Random | None = None) -> None:
        if not 0 < min_delay <= max_delay:
            raise ValueError("need 0 < min_delay <= max_delay")
        self.min_delay = min_delay
        self.max_delay = max_delay
        self.attempt = 0
        self._rng = rng if rng is not None else random.Random()

    def next_delay(self) -> float:
        ceiling = min(self.max_delay, self.min_delay * 2.0 ** min(self.attempt, 62))
        self.attempt += 1
        return self._rng.uniform(self.min_delay, ceiling)

    def reset(self) -> None:
        self.attempt = 0


def events_url(base_url: str) -> str:
    """``http(s)://host:port[/prefix]`` -> ``ws(s)://host:port[/prefix]/ari/events``."""
    scheme, sep, rest = base_url.rstrip("/").partition("://")
    if not sep or scheme not in ("http", "https", "ws", "wss"):
        raise ValueError(f"ARI URL must start with http:// or https://, got {base_url!r}")
    ws_scheme = "wss" if scheme in ("https", "wss") else "ws"
    return f"{ws_scheme}://{rest}/ari/events"


class AriEventStream:
    """One consumer's view of the app's events; use ``async with`` and ``async for``.

    Iteration ends after ``close()`` once the queued items are consumed; if the reader failed on a bug,
    iteration re-raises its exception instead of hanging. A consumer that handles events without
    awaiting iterates ``items(on_event)``: events then go to ``on_event`` (at once while it waits,
    in order after what it is busy with otherwise) and only the connection items are yielded.
    A ``session`` passed in must have no total timeout (it would cut the WebSocket); the handshake
    is bounded by ``connect_timeout`` anyway.
    ``connected`` and ``last_error`` tell a health check how the connection is doing.
    """

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        app: str,
        *,
        min_delay: float = 0.25,
        max_delay: float = 15.0,
        heartbeat: float = 5.0,
        connect_timeout: float = 5.0,
        stable_after: float = 10.0,
        subscribe_all: bool = False,
        session: aiohttp.ClientSession | None = None,
        metrics: Metrics | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.app = app
        self._url = events_url(base_url)
        self._params = {"app": app, "subscribeAll": "true" if subscribe_all else "false"}
        self._headers = auth_header(username, password)
        self._backoff = Backoff(min_delay, max_delay, rng)
        self._heartbeat = heartbeat
        self._connect_timeout = connect_timeout
        self._stable_after = stable_after
        self._session = session
        self._owns_session = session is None
        self._metrics = metrics
        self._handoff: Handoff[ConnectionItem, AriEvent] = Handoff()
        self._task: asyncio.Task[None] | None = None
        self._stopped = False
        self.connected = False
        self.last_error: str | None = None

    @classmethod
    def from_settings(
        cls,
        settings: AriSettings,
        *,
        session: aiohttp.ClientSession | None = None,
        metrics: Metrics | None = None,
    ) -> AriEventStream:
        return cls(
            settings.url,
            settings.username,
            settings.password.get_secret_value(),
            settings.app,
            min_delay=settings.reconnect_min_delay,
            max_delay=settings.reconnect_max_delay,
            connect_timeout=settings.request_timeout,
            session=session,
            metrics=metrics,
        )

    # --- lifecycle ---
    def start(self) -> None:
        """Start the reader task (``async with`` does it); a closed stream stays closed."""
        if self._task is None and not self._stopped:
            self._task = asyncio.create_task(self._run(), name=f"ari-events-{self.app}")

    async def close(self) -> None:
        """Stop reading, close the socket and wait for the reader; idempotent."""
        if not self._stopped:
            self._stopped = True
            task = self._task
            if task is None:
                self._handoff.end()  # never started: end the iteration all the same
            elif not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> AriEventStream:
        self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def __aiter__(self) -> AsyncIterator[StreamItem]:
        return self.items()

    async def items(self, on_event: Callable[[AriEvent], None] | None = None) -> AsyncIterator[StreamItem]:
        """Every item in order; with ``on_event``, events go to it and are not yielded."""
        async for item in self._handoff.items(on_event):
            yield item
        task = self._task
        if task is not None and task.done() and not task.cancelled():
            failure = task.exception()
            if failure is not None:
                raise failure

    # --- the reader ---
    async def _run(self) -> None:
        session = self._session
        if session is None:
            # No total timeout: it would cut a healthy WebSocket; the handshake has its own below.
            session = self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
        ever_connected = False
        try:
            while True:
                ws = await self._connect(session)
                if ws is not None:
                    up_since = time.monotonic()
                    self._opened(reconnected=ever_connected)
                    ever_connected = True
                    code: int = WSCloseCode.OK
                    reason = "closed by the client"
                    try:
                        code, reason = await self._read(ws)
                    finally:
                        await self._closed(ws, code, reason)
                    if time.monotonic() - up_since >= self._stable_after:
                        self._backoff.reset()
                await asyncio.sleep(self._backoff.next_delay())
        finally:
            self._handoff.end()

    async def _connect(self, session: aiohttp.ClientSession) -> aiohttp.ClientWebSocketResponse | None:
        try:
            async with asyncio.timeout(self._connect_timeout):
                return await session.ws_connect(
                    self._url,
                    params=self._params,
                    headers=self._headers,
                    heartbeat=self._heartbeat,
                    timeout=aiohttp.ClientWSTimeout(ws_close=self._connect_timeout),
                )
        except aiohttp.WSServerHandshakeError as exc:
            status = exc.status
            if status == 401:
                self.last_error = "401 Unauthorized: check the ARI username and password (ari.conf)"
                log.error("ari.ws_unauthorized", url=self._url, app=self.app, attempt=self._backoff.attempt)
            else:
                self.last_error = f"WebSocket refused: {status} {exc.message}"
                log.warning("ari.ws_refused", url=self._url, status=status, reason=exc.message)
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            status = 0
            self.last_error = f"cannot connect: {type(exc).__name__}: {exc}"
            log.warning(
                "ari.ws_connect_failed", url=self._url, error=self.last_error, attempt=self._backoff.attempt
            )
        if self._metrics is not None:
            self._metrics.ari_errors.labels(CONNECT_OPERATION, str(status)).inc()
        return None

    def _opened(self, *, reconnected: bool) -> None:
        self.connected = True
        self.last_error = None
        if self._metrics is not None:
            self._metrics.ari_connected.set(1)
            if reconnected:
                self._metrics.ari_ws_reconnects.inc()
        log.info("ari.ws_connected", url=self._url, app=self.app, reconnected=reconnected)
        self._handoff.put(StreamConnected(reconnected=reconnected))

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> tuple[int, str]:
        """Read until the socket closes; return the close code and reason.

        A connection that ends without a close frame is reported as 1006, whatever aiohttp guessed.
        """
        while True:
            msg = await ws.receive()
            kind = msg.type
            if kind is aiohttp.WSMsgType.TEXT or kind is aiohttp.WSMsgType.BINARY:
                self._accept(msg.data)
            elif kind is aiohttp.WSMsgType.CLOSE:
                return msg.data, str(msg.extra or "") or _close_reason(msg.data)
            elif kind is aiohttp.WSMsgType.ERROR:
                code = (
                    ws.close_code
                    if ws.close_code not in (None, WSCloseCode.OK)
                    else WSCloseCode.ABNORMAL_CLOSURE
                )
                return code, f"{type(msg.data).__name__}: {msg.data}"
            elif kind is aiohttp.WSMsgType.CLOSED or kind is aiohttp.WSMsgType.CLOSING:
                return WSCloseCode.ABNORMAL_CLOSURE, "connection lost"

    def _accept(self, data: str | bytes) -> None:
        """Parse one message and hand it over; never awaits."""
        try:
            event = parse_event(data)
        except MalformedEvent as exc:
            log.warning("ari.event_malformed", error=str(exc), message=str(data)[:300])
            if self._metrics is not None:
                self._metrics.ari_events_unparsed.labels("malformed").inc()
            return
        if self._metrics is not None:
            self._metrics.ari_events.labels(event.type).inc()
            if isinstance(event, UnknownEvent):
                self._metrics.ari_events_unparsed.labels("unknown").inc()
        self._handoff.offer(event)

    async def _closed(self, ws: aiohttp.ClientWebSocketResponse, code: int, reason: str) -> None:
        # Shielded: should close() itself be cancelled, the socket must still be shut.
        with contextlib.suppress(Exception):
            await asyncio.shield(ws.close())
        self.connected = False
        if self._metrics is not None:
            self._metrics.ari_connected.set(0)
        # 1000 is our own close (shutdown): not worth a warning in every clean stop's log.
        (log.info if code == WSCloseCode.OK else log.warning)(
            "ari.ws_disconnected", url=self._url, code=code, reason=reason
        )
        self._handoff.put(StreamDisconnected(code=code, reason=reason))


def _close_reason(code: int) -> str:
    try:
        return WSCloseCode(code).name.lower().replace("_", " ")
    except ValueError:
        return f"closed with code {code}"

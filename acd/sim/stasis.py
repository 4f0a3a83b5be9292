"""Stasis applications: who is subscribed to what, and getting each event to the right WebSocket.

Asterisk routes an event to an application when the application is *subscribed* to the event's
channel, bridge or endpoint (or connected with ``subscribeAll=true``). Subscriptions are counted,
not flags, and the counts decide what an application sees, so they are modelled the way
res_stasis counts them (res_stasis.c, stasis/app.c, stasis/control.c):

* entering Stasis subscribes the app to the channel (+1), leaving unsubscribes (-1);
* an originate or create with ``app=`` subscribes once more (+1) and nothing ever releases it
  before the channel dies: that is why an agent leg's ``ChannelDestroyed`` still arrives after its
  ``StasisEnd`` while an inbound caller's does not (rule 3);
* a channel joining a bridge subscribes the app to the bridge twice (``control_swap_channel_in_bridge``
  and the Stasis loop); leaving by ``removeChannel`` or by moving releases both at once, leaving by
  hanging up releases one at once and the other a moment later (the channel's own thread unwinds).
  So after ``removeChannel`` the app no longer hears of the holding bridge (no ``BridgeDestroyed`` in
  traces a, b, f, g, j); destroying a bridge within milliseconds of its last channel hanging up
  still reports ``BridgeDestroyed`` (c, d, e, h, the mixing bridges), a second later it does not (k).

The router also implements rule 4: while a REST request is being answered, events are held and
written only after the HTTP answer has gone out.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from acd.sim.events import JsonObj, encode_message, envelope
from acd.sim.model import stamp


@dataclass(slots=True)
class LoggedEvent:
    """One message as it was written to an application's WebSocket."""

    t: float
    app: str
    message: JsonObj

    @property
    def type(self) -> str:
        return str(self.message.get("type", ""))


def _frame(payload: bytes, opcode: int = 0x1) -> bytes:
    """One unmasked, final WebSocket frame (RFC 6455 5.2), as a server sends it."""
    size = len(payload)
    if size < 126:
        header = bytes((0x80 | opcode, size))
    elif size < 65536:
        header = bytes((0x80 | opcode, 126)) + size.to_bytes(2, "big")
    else:
        header = bytes((0x80 | opcode, 127)) + size.to_bytes(8, "big")
    return header + payload


class Connection:
    """One ``/ari/events`` WebSocket; a writer task drains its queue so emitters never await.

    Frames are written straight to the transport, many per write: one system call per batch
    instead of one per event is what lets the simulator feed a daemon hundreds of calls a second.
    Like Asterisk, a consumer that does not read is cut off: when the socket stays unwritable
    (the kernel buffer full) for longer than ``write_timeout`` (Asterisk's websocket_write_timeout,
    100 ms by default), the connection is closed with 1011 and its apps become inactive.
    """

    def __init__(
        self,
        ws: web.WebSocketResponse,
        request: web.Request,
        apps: list[str],
        subscribe_all: bool,
        write_timeout: float | None = 0.1,
    ) -> None:
        self.ws = ws
        self.request = request
        self.apps = apps
        self.subscribe_all = subscribe_all
        self.write_timeout = write_timeout
        self.closed = False
        self.on_broken: Callable[[Connection], None] | None = None
        self._queue: deque[str] = deque()
        self._wake = asyncio.Event()
        self._drained = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._writer(), name="sim-ws-writer")

    def push(self, text: str) -> None:
        if not self.closed:
            self._queue.append(text)
            self._wake.set()

    async def _writer(self) -> None:
        transport = self.request.transport
        queue = self._queue
        try:
            while not self.closed:
                await self._wake.wait()
                self._wake.clear()
                while queue and not self.closed:
                    if transport is None or transport.is_closing():
                        raise ConnectionResetError
                    batch = [queue.popleft() for _ in range(min(len(queue), 256))]
                    transport.write(b"".join(_frame(text.encode()) for text in batch))
                    if transport.get_write_buffer_size() and not await self._drain(transport):
                        return
                self._drained.set()
        except (ConnectionError, RuntimeError):
            self.closed = True
            self._drained.set()

    async def _drain(self, transport: asyncio.Transport) -> bool:
        """Wait while the kernel will not take more; False once the consumer counts as stuck."""
        loop = asyncio.get_running_loop()
        since = loop.time()
        while transport.get_write_buffer_size():
            if transport.is_closing():
                raise ConnectionResetError
            if self.write_timeout is not None and loop.time() - since > self.write_timeout:
                self.closed = True
                self._drained.set()
                transport.write(_frame((1011).to_bytes(2, "big"), opcode=0x8))
                transport.close()
                if self.on_broken is not None:
                    self.on_broken(self)
                return False
            await asyncio.sleep(0.002)
        return True

    async def flush(self) -> None:
        """Wait (a second at most) until queued messages have been handed to the transport."""
        if not self._queue or self.closed:
            return
        self._drained.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1.0):
                await self._drained.wait()

    async def close(self, code: int) -> None:
        """Close the socket: 1006 drops the TCP connection without a close frame, as a crash does."""
        if self.closed:
            return
        try:
            if code != 1006:
                await self.flush()
        finally:
            self.closed = True
            if self._task is not None:
                self._task.cancel()
        if code == 1006:
            transport = self.request.transport
            if transport is not None:
                transport.abort()
        else:
            await self.ws.close(code=code)


@dataclass(slots=True, eq=False)
class App:
    """A Stasis application: it outlives its WebSocket (rule 8) and keeps its subscriptions."""

    name: str
    connection: Connection | None = None
    channels: dict[str, int] = field(default_factory=dict)
    bridges: dict[str, int] = field(default_factory=dict)
    endpoints: set[str] = field(default_factory=set)  # "PJSIP/agent4", or "PJSIP" for a whole tech
    devices: set[str] = field(default_factory=set)
    # PUT /applications/{app}/eventFilter: empty allowed = everything; disallowed wins.
    allowed: list[str] = field(default_factory=list)
    disallowed: list[str] = field(default_factory=list)

    def filters_out(self, event_type: str) -> bool:
        if event_type in self.disallowed:
            return True
        return bool(self.allowed) and event_type not in self.allowed

    def wants(
        self, channels: Iterable[str], bridges: Iterable[str], endpoint: str | None, device: str | None
    ) -> bool:
        conn = self.connection
        if conn is None or conn.closed:
            return False
        if conn.subscribe_all:
            return True
        for cid in channels:
            if cid in self.channels:
                return True
        for bid in bridges:
            if bid in self.bridges:
                return True
        if endpoint is not None and (
            endpoint in self.endpoints or endpoint.split("/", 1)[0] in self.endpoints
        ):
            return True
        return device is not None and device in self.devices


class StasisRouter:
    """Application registry and event delivery (see the module docstring for the rules)."""

    def __init__(self, asterisk_id: str, log_size: int = 100_000) -> None:
        self.asterisk_id = asterisk_id
        self.apps: dict[str, App] = {}
        self.log: deque[LoggedEvent] = deque(maxlen=log_size) if log_size > 0 else deque(maxlen=1)
        self.log_enabled = log_size > 0
        self.sent = 0
        self._hold = 0
        self._pending: list[tuple[Connection, str, str, JsonObj]] = []

    # --- registry -------------------------------------------------------------------------------

    def app(self, name: str) -> App:
        found = self.apps.get(name)
        if found is None:
            found = self.apps[name] = App(name)
        return found

    def is_active(self, name: str) -> bool:
        found = self.apps.get(name)
        return found is not None and found.connection is not None and not found.connection.closed

    def connections(self) -> list[Connection]:
        seen: dict[int, Connection] = {}
        for app in self.apps.values():
            if app.connection is not None and not app.connection.closed:
                seen[id(app.connection)] = app.connection
        return list(seen.values())

    async def attach(self, conn: Connection) -> None:
        """Make ``conn`` the consumer of its apps; a previous consumer gets ApplicationReplaced."""
        replaced: list[Connection] = []
        for name in conn.apps:
            app = self.app(name)
            old = app.connection
            if old is not None and old is not conn and not old.closed:
                self.send_direct(name, {"timestamp": stamp(), "type": "ApplicationReplaced"})
                replaced.append(old)
            app.connection = conn
        conn.on_broken = self.detach
        for old in replaced:
            if not any(a.connection is old for a in self.apps.values()):
                await old.close(1000)

    def detach(self, conn: Connection) -> None:
        """The socket went away: its apps become inactive but keep channels and subscriptions."""
        for app in self.apps.values():
            if app.connection is conn:
                app.connection = None

    def reset(self) -> None:
        """Asterisk restarted: every application and subscription is gone."""
        self.apps.clear()
        self._pending.clear()

    # --- subscriptions --------------------------------------------------------------------------

    def subscribe_channel(self, app: str, channel_id: str, count: int = 1) -> None:
        """Only a registered app can be subscribed (an originate naming an unknown app is not)."""
        found = self.apps.get(app)
        if found is not None:
            found.channels[channel_id] = found.channels.get(channel_id, 0) + count

    def unsubscribe_channel(self, app: str, channel_id: str, count: int = 1) -> None:
        found = self.apps.get(app)
        if found is None:
            return
        subs = found.channels
        left = subs.get(channel_id, 0) - count
        if left > 0:
            subs[channel_id] = left
        else:
            subs.pop(channel_id, None)

    def subscribe_bridge(self, app: str, bridge_id: str, count: int = 1) -> None:
        found = self.apps.get(app)
        if found is not None:
            found.bridges[bridge_id] = found.bridges.get(bridge_id, 0) + count

    def unsubscribe_bridge(self, app: str, bridge_id: str, count: int = 1) -> None:
        found = self.apps.get(app)
        if found is None:
            return
        subs = found.bridges
        left = subs.get(bridge_id, 0) - count
        if left > 0:
            subs[bridge_id] = left
        else:
            subs.pop(bridge_id, None)

    def forget_channel(self, channel_id: str) -> None:
        for app in self.apps.values():
            app.channels.pop(channel_id, None)

    def forget_bridge(self, bridge_id: str) -> None:
        for app in self.apps.values():
            app.bridges.pop(bridge_id, None)

    def bridge_watchers(self, bridge_id: str) -> list[str]:
        return [a.name for a in self.apps.values() if bridge_id in a.bridges]

    # --- delivery -------------------------------------------------------------------------------

    def wants(
        self,
        channels: Iterable[str] = (),
        bridges: Iterable[str] = (),
        endpoint: str | None = None,
        device: str | None = None,
    ) -> bool:
        """Would any app receive an event about these objects? (Skip building it if not.)"""
        return any(app.wants(channels, bridges, endpoint, device) for app in self.apps.values())

    def publish(
        self,
        body: JsonObj,
        channels: Iterable[str] = (),
        bridges: Iterable[str] = (),
        endpoint: str | None = None,
        device: str | None = None,
        only: Iterable[str] | None = None,
    ) -> None:
        """Deliver ``body`` to every application subscribed to one of the named objects."""
        channels = tuple(channels)
        bridges = tuple(bridges)
        names = set(only) if only is not None else None
        for app in self.apps.values():
            if names is not None and app.name not in names:
                continue
            if app.wants(channels, bridges, endpoint, device):
                self._deliver(app, body)

    def send_direct(self, app_name: str, body: JsonObj) -> None:
        """app_send(): StasisStart/StasisEnd/ApplicationReplaced go to the app, subscribed or not."""
        app = self.apps.get(app_name)
        if app is not None and app.connection is not None and not app.connection.closed:
            self._deliver(app, body)

    def _deliver(self, app: App, body: JsonObj) -> None:
        conn = app.connection
        assert conn is not None
        if (app.allowed or app.disallowed) and app.filters_out(str(body.get("type", ""))):
            return
        message = envelope(app.name, self.asterisk_id, body)
        text = encode_message(message)
        if self._hold:
            self._pending.append((conn, text, app.name, message))
        else:
            self._send(conn, text, app.name, message)

    def _send(self, conn: Connection, text: str, app: str, message: JsonObj) -> None:
        """Hand one message to its socket; the log's time is when it left, not when it was made."""
        self.sent += 1
        if self.log_enabled:
            self.log.append(LoggedEvent(time.monotonic(), app, message))
        conn.push(text)

    def hold(self) -> None:
        """A REST request is being answered: keep its events until the answer is written."""
        self._hold += 1

    def release(self) -> None:
        self._hold -= 1
        if self._hold == 0 and self._pending:
            pending, self._pending = self._pending, []
            for conn, text, app, message in pending:
                self._send(conn, text, app, message)

    def application_json(self, name: str) -> dict[str, Any]:
        app = self.apps[name]
        return {
            "bridge_ids": list(app.bridges),
            "channel_ids": list(app.channels),
            "device_names": sorted(app.devices),
            "endpoint_ids": sorted(app.endpoints),
            "events_allowed": [{"type": t} for t in app.allowed],
            "events_disallowed": [{"type": t} for t in app.disallowed],
            "name": name,
        }

"""``GET /api/events``: the live stream (Server-Sent Events) of one logged-in page.

Order of a connection, all synchronous between subscribing and building the first messages (the
engine runs on this same loop, so nothing can be published in between): subscribe to the topics,
then build ``hello`` (the full current state) and, for a reconnecting page, the replay of every
message after its ``Last-Event-ID`` or a ``reset`` when they are not all buffered any more (or the
daemon restarted: the epoch changed). Everything published later waits in the subscription's
mailbox, so nothing is missed or sent twice.

``hello`` carries the id of the newest message it reflects when it stands for the whole state (a
fresh connection or a reset), and no id when a replay follows, so the browser's resume point only
ever moves forward. A ``: ping`` comment every ``heartbeat`` seconds keeps proxies from closing an
idle stream and finds a vanished page (the write fails); a closed connection is also noticed within
a second. The agent's page counts as present while at least one of its streams is open
(``PagePresence``); the engine applies the grace period. Shutdown and logout end the streams.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from typing import Any

from aiohttp import web

from acd.engine.base import CommandRejected
from acd.engine.hub import LiveMessage, Subscription
from acd.engine.inputs import PagePresence
from acd.engine.runner import EngineRunner
from acd.logging import get_logger
from acd.metrics import Metrics
from acd.web.crm import CUSTOMERS
from acd.web.sessions import User, current_user

log = get_logger(__name__)

SUPERVISORS_TOPIC = "supervisors"
RETRY_MS = 3000


def encode(kind: str, data: dict[str, Any], event_id: str | None = None) -> bytes:
    """One SSE message; the JSON is on one line (json.dumps escapes newlines in strings)."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    body = json.dumps(data, separators=(",", ":"))
    return f"{head}event: {kind}\ndata: {body}\n\n".encode()


class LiveStream:
    """One open stream: its subscription, and a flag to end it from outside."""

    def __init__(self, user: User, subscription: Subscription) -> None:
        self.user = user
        self.subscription = subscription
        self.stopping = False

    def stop(self) -> None:
        """End the stream at once: wake its writer, which sees ``stopping`` and returns."""
        self.stopping = True
        self.subscription.close()
        # A full mailbox wakes the writer anyway; it checks ``stopping`` after each message.
        with contextlib.suppress(asyncio.QueueFull):
            self.subscription.queue.put_nowait(None)


class LiveStreams:
    """Every open stream, and the per-agent count that decides page presence."""

    def __init__(self, runner: EngineRunner, metrics: Metrics, heartbeat: float) -> None:
        self.runner = runner
        self.metrics = metrics
        self.heartbeat = heartbeat
        self.poll = min(1.0, heartbeat)
        self._streams: set[LiveStream] = set()
        self._per_agent: Counter[str] = Counter()

    def topics(self, user: User) -> list[str]:
        topics = [f"agent:{user.agent_id}"]
        if user.supervisor:
            topics.append(SUPERVISORS_TOPIC)
        return topics

    def open(self, user: User) -> LiveStream:
        stream = LiveStream(user, self.runner.hub.subscribe(self.topics(user)))
        self._streams.add(stream)
        self._per_agent[user.agent_id] += 1
        self._presence(user.agent_id, True)
        self._count()
        return stream

    def close(self, stream: LiveStream) -> None:
        if stream not in self._streams:
            return
        self._streams.discard(stream)
        stream.subscription.close()
        agent_id = stream.user.agent_id
        self._per_agent[agent_id] -= 1
        if self._per_agent[agent_id] <= 0:
            del self._per_agent[agent_id]
            self._presence(agent_id, False)
        self._count()

    def stop_session(self, session_id: str) -> None:
        for stream in list(self._streams):
            if stream.user.session_id == session_id:
                stream.stop()

    def stop_all(self) -> None:
        for stream in list(self._streams):
            stream.stop()

    def _presence(self, agent_id: str, connected: bool) -> None:
        if agent_id not in self.runner.engine.agents:
            return  # a supervisor without a phone: nothing to track
        try:
            self.runner.command(PagePresence(agent_id, connected))
        except CommandRejected as exc:
            log.info("live.presence_refused", agent_id=agent_id, error=exc.message)

    def _count(self) -> None:
        self.metrics.browser_connections.set(self.runner.hub.subscriber_count())

    # ------------------------------------------------------------ messages

    def hello(self, user: User) -> dict[str, Any]:
        engine = self.runner.engine
        agent = engine.agents.get(user.agent_id)
        call = engine.calls.get(agent.call_id) if agent is not None and agent.call_id else None
        return {
            "agent": engine.agent_view(agent) if agent is not None else None,
            "call": engine.call_view(call) if call is not None else None,
        }

    def opening(self, stream: LiveStream, last_event_id: str | None) -> list[LiveMessage | bytes]:
        """``hello``, then the replay or a ``reset``: what a new connection starts with."""
        hub = self.runner.hub
        now_id = f"{hub.epoch}:{hub.last_id}"
        hello = self.hello(stream.user)
        if not last_event_id:
            return [encode("hello", hello, now_id)]
        epoch, _, seq = last_event_id.partition(":")
        reason = None
        replay: list[LiveMessage] | None = None
        if epoch != hub.epoch:
            reason = "restarted"
        elif not seq.isdigit():
            reason = "bad-id"
        else:
            replay = hub.replay(stream.subscription.topics, int(seq))
            if replay is None:
                reason = "evicted"
        if replay is None:
            return [encode("hello", hello, now_id), encode("reset", {"reason": reason}, now_id)]
        return [encode("hello", hello), *replay]

    def render(self, stream: LiveStream, message: LiveMessage, app: web.Application) -> bytes:
        data = message.data
        if message.kind == "call.offered":
            customer = app[CUSTOMERS].on_offer(stream.user.agent_id, data)
            if customer is not None:
                data = {**data, "customer": customer}
        return encode(message.kind, data, f"{self.runner.hub.epoch}:{message.id}")


LIVE = web.AppKey("live", LiveStreams)


def _gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


async def events(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    live = request.app[LIVE]
    stream = live.open(user)
    try:
        opening = live.opening(stream, request.headers.get("Last-Event-ID"))
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream; charset=utf-8",
                "Cache-Control": "no-store",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        chunks = [f"retry: {RETRY_MS}\n\n".encode()]
        for item in opening:
            chunks.append(item if isinstance(item, bytes) else live.render(stream, item, request.app))
        await response.write(b"".join(chunks))
        await _pump(request, response, live, stream)
    except ConnectionError:
        pass  # the page went away while we wrote: that is how a stream usually ends
    finally:
        live.close(stream)
    return response


async def _pump(
    request: web.Request, response: web.StreamResponse, live: LiveStreams, stream: LiveStream
) -> None:
    loop = asyncio.get_running_loop()
    ping_at = loop.time() + live.heartbeat
    getter: asyncio.Future[LiveMessage | None] = asyncio.ensure_future(stream.subscription.get())
    try:
        while True:
            done, _ = await asyncio.wait({getter}, timeout=max(0.0, min(live.poll, ping_at - loop.time())))
            if stream.stopping or _gone(request) or time.time() > stream.user.expires_at:
                return
            if not done:
                if loop.time() >= ping_at:
                    await response.write(b": ping\n\n")
                    ping_at = loop.time() + live.heartbeat
                continue
            message = getter.result()
            if message is None:  # the page could not keep up and was cut off: it must reload
                hub = live.runner.hub
                await response.write(encode("reset", {"reason": "overflow"}, f"{hub.epoch}:{hub.last_id}"))
                return
            await response.write(live.render(stream, message, request.app))
            getter = asyncio.ensure_future(stream.subscription.get())
    finally:
        getter.cancel()


def live_routes() -> list[web.RouteDef]:
    return [web.get("/api/events", events)]

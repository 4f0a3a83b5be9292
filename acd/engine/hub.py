"""Live notifications for pages: topics, sequence ids, and a replay buffer per topic.

A page that reconnects sends the id of the last message it saw and gets everything after it, so it
misses nothing; if that id has left the buffer (a long absence), it is told to reload its full
state instead of silently showing a stale one.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections import deque
from collections.abc import Iterable
from typing import Any

from acd.immutable import immutable
from acd.logging import get_logger

log = get_logger(__name__)


@immutable
class LiveMessage:
    id: int
    topic: str
    kind: str
    data: dict[str, Any]


class Subscription:
    """A bounded mailbox of one page: a page too slow to keep up is cut off, not the daemon."""

    def __init__(self, hub: LiveHub, topics: frozenset[str], maxsize: int) -> None:
        self.topics = topics
        self._hub = hub
        self.queue: asyncio.Queue[LiveMessage | None] = asyncio.Queue(maxsize)
        self.overflowed = False

    def deliver(self, message: LiveMessage) -> None:
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.overflowed = True
            self._hub.unsubscribe(self)
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(None)

    async def get(self) -> LiveMessage | None:
        """The next message, or None when the subscription was cut off (the page must reload)."""
        return await self.queue.get()

    def close(self) -> None:
        self._hub.unsubscribe(self)


class LiveHub:
    def __init__(self, buffer_per_topic: int = 500, mailbox_size: int = 2000) -> None:
        #: Changes at every daemon start: ids from another epoch cannot be resumed from.
        self.epoch = uuid.uuid4().hex[:8]
        self._ids = itertools.count(1)
        self._buffers: dict[str, deque[LiveMessage]] = {}
        #: topic -> id of the newest message that fell out of its buffer
        self._evicted: dict[str, int] = {}
        self._subscribers: dict[str, set[Subscription]] = {}
        self._buffer_size = buffer_per_topic
        self._mailbox_size = mailbox_size
        self.last_id = 0

    def publish(self, topic: str, kind: str, data: dict[str, Any]) -> LiveMessage:
        message = LiveMessage(next(self._ids), topic, kind, data)
        self.last_id = message.id
        buffer = self._buffers.get(topic)
        if buffer is None:
            buffer = self._buffers[topic] = deque(maxlen=self._buffer_size)
        if len(buffer) == buffer.maxlen:
            self._evicted[topic] = buffer[0].id
        buffer.append(message)
        subscribers = self._subscribers.get(topic)
        if subscribers:  # most agents' topics have no page open: no copy of an empty set
            for subscription in tuple(subscribers):
                subscription.deliver(message)
        return message

    def subscribe(self, topics: Iterable[str]) -> Subscription:
        subscription = Subscription(self, frozenset(topics), self._mailbox_size)
        for topic in subscription.topics:
            self._subscribers.setdefault(topic, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        for topic in subscription.topics:
            subscribers = self._subscribers.get(topic)
            if subscribers is not None:
                subscribers.discard(subscription)

    def replay(self, topics: Iterable[str], after_id: int) -> list[LiveMessage] | None:
        """Messages of ``topics`` after ``after_id`` in order, or None if some may be lost."""
        result: list[LiveMessage] = []
        for topic in topics:
            if self._evicted.get(topic, 0) > after_id:
                return None
            buffer = self._buffers.get(topic)
            if not buffer:
                continue
            result.extend(m for m in buffer if m.id > after_id)
        result.sort(key=lambda m: m.id)
        return result

    def subscriber_count(self) -> int:
        return len({s for subs in self._subscribers.values() for s in subs})

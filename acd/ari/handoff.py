"""``Handoff``: the WebSocket reader gives its items to one consumer, in strict order, cheaply.

Passing every event through an ``asyncio.Queue`` costs a task wake-up per event (the consumer
sleeps in ``get()``, the reader's ``put`` wakes it, the loop runs it on a later turn) and an
async-generator step: at 10 events per call that was more CPU than the engine spends on them.
Most of the time the consumer has nothing queued and is only waiting for the next event, so the
reader may as well hand the event straight to the consumer's synchronous handler: it never
awaits, so the reader still never waits for the consumer. An item is queued instead, in order,
whenever handing it over at once could reorder or interleave:

* the consumer is not waiting: it is busy with an item of its own that it may await on (setup
  and resync after ``StreamConnected``), so events wait until it is done, in arrival order;
* something is already queued (the consumer was woken for it but has not run yet): the new item
  goes behind it;
* the item is not an event (``put``: connected, disconnected): the consumer's loop body handles
  those itself, and they may await.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Generic, TypeVar, cast

ItemT = TypeVar("ItemT")
EventT = TypeVar("EventT")


class Handoff(Generic[ItemT, EventT]):
    """Items (``put``) and events (``offer``) for one consumer at a time, in the order given.

    ``items(handler)`` yields the items and calls ``handler`` for the events; without a handler
    it yields both. A handler that raises stops the iteration with its exception, as it would
    have had the consumer called it itself.
    """

    def __init__(self) -> None:
        #: (item or event, whether it goes to the handler), oldest first.
        self._queue: deque[tuple[ItemT | EventT, bool]] = deque()
        self._handler: Callable[[EventT], None] | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._failure: Exception | None = None
        self._ended = False

    def put(self, item: ItemT) -> None:
        """Queue an item for the consumer's loop body."""
        self._queue.append((item, False))
        self._wake()

    def offer(self, event: EventT) -> None:
        """Handle an event now if the consumer is idle and nothing waits before it; else queue it."""
        handler = self._handler
        if handler is None or self._queue:
            self._queue.append((event, True))
            self._wake()
            return
        try:
            handler(event)
        except Exception as exc:  # noqa: BLE001 - re-raised by items(), in the consumer's task
            self._handler = None
            self._failure = exc
            self._wake()

    def end(self) -> None:
        """No more items: every iteration ends once the queue is drained."""
        self._ended = True
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def items(self, handler: Callable[[EventT], None] | None = None) -> AsyncIterator[ItemT | EventT]:
        if self._waiter is not None:
            raise RuntimeError("the stream has another consumer already")
        queue = self._queue
        while True:
            while queue:
                item, to_handler = queue.popleft()
                if to_handler and handler is not None:
                    handler(cast(EventT, item))
                else:
                    yield item
            if self._ended:
                return
            # Idle: from now until we run again, the reader hands events to the handler itself.
            self._waiter = asyncio.get_running_loop().create_future()
            self._handler = handler
            try:
                await self._waiter
            finally:
                self._waiter = None
                self._handler = None
            failure = self._failure
            if failure is not None:
                self._failure = None
                raise failure

"""Which waiting caller a queue serves next: callers by priority, then by entry time.

Per queue and per priority class, a heap of the calls that are waiting *and not under an offer*
(an offered call keeps its place but is not available to another agent). A withdrawn offer
re-inserts the call with its original key, so a caller never loses its place because an agent
missed or rejected it. Removal is lazy (``Call.index_version``), as in :mod:`acd.routing.ready`.

Tiers: a call may be offered to agents up to a skill level that grows with its wait. Within one
priority class the oldest call has waited longest, so it allows the widest level: looking at each
class's head is enough to find the call an agent of level L may take, in O(classes * log n).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator, Mapping

from acd.config import QueueSettings
from acd.state.call import Call, CallState

_Entry = tuple[float, int, str, int]  # (entered_at, seq, call_id, index_version)


def allowed_level(queue: QueueSettings, waited: float) -> int:
    """The widest skill level a call of ``queue`` may go to after waiting ``waited`` seconds."""
    level = 1
    waited += 1e-6  # a tier timer fires at entered_at + after: float rounding must not miss it
    for tier in queue.tiers:
        if waited >= tier.after_seconds and tier.max_level > level:
            level = tier.max_level
    return level


def next_tier_at(queue: QueueSettings, entered_at: float, now: float) -> float | None:
    """When this call's allowed level next widens, if it ever does again."""
    upcoming = [entered_at + t.after_seconds for t in queue.tiers if entered_at + t.after_seconds > now]
    return min(upcoming) if upcoming else None


class QueueCalls:
    """The callers of one queue that an agent could be offered now."""

    def __init__(self, settings: QueueSettings, calls: Mapping[str, Call]) -> None:
        self.settings = settings
        self._calls = calls
        self._classes: dict[int, list[_Entry]] = {}
        #: Calls in the queue (queued or offered): for max length, gauges and the wallboard.
        self.members: dict[str, Call] = {}

    def _is_live(self, call_id: str, version: int) -> bool:
        call = self._calls.get(call_id)
        return (
            call is not None
            and call.index_version == version
            and call.state is CallState.QUEUED
            and call.queue == self.settings.name
        )

    def push(self, call: Call) -> None:
        """Make a queued call available to agents, at its own place in line."""
        heap = self._classes.setdefault(call.priority, [])
        heapq.heappush(heap, (call.entered_at, call.seq, call.call_id, call.index_version))
        if len(heap) > 2 * len(self.members) + 64:
            self._compact(heap)

    def head_for_level(self, level: int, now: float) -> Call | None:
        """The best available call an agent of ``level`` may take, or None."""
        for priority in sorted(self._classes, reverse=True):
            entry = self._top(self._classes[priority], self._is_live)
            if entry is None:
                continue
            if allowed_level(self.settings, now - entry[0]) >= level:
                return self._calls[entry[2]]
        return None

    def available(self) -> Iterator[Call]:
        """Available calls in service order (used by resync and tests, not by routing)."""
        entries = sorted(
            ((-priority, *entry) for priority, heap in self._classes.items() for entry in heap),
        )
        for entry in entries:
            if self._is_live(entry[3], entry[4]):
                yield self._calls[entry[3]]

    def oldest_entered_at(self) -> float | None:
        """Entry time of the longest-waiting member (offered calls included): the gauge."""
        # Members are inserted when they enter this queue, so insertion order is entry order.
        for call in self.members.values():
            return call.entered_at
        return None

    @staticmethod
    def _top(heap: list[_Entry], is_live: Callable[[str, int], bool]) -> _Entry | None:
        while heap:
            entry = heap[0]
            if is_live(entry[2], entry[3]):
                return entry
            heapq.heappop(heap)
        return None

    def _compact(self, heap: list[_Entry]) -> None:
        heap[:] = [e for e in heap if self._is_live(e[2], e[3])]
        heapq.heapify(heap)

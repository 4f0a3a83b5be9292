"""Which ready agent a queue offers its next call to: an index per queue, never a scan.

Each queue keeps, per skill level, the agents that may be offered a call right now, ordered by the
queue's strategy key. Entries are never removed eagerly: an agent that stops being offerable
bumps its ``index_version`` (in :mod:`acd.state.agent`), and stale entries are discarded when they
reach the top (lazy deletion). Picking the best agent therefore costs O(levels * log n) amortised;
the heap is rebuilt when stale entries outnumber live ones so memory stays bounded.

Strategy keys (smaller is better):
- ``longest-idle`` and ``ring-all``: (ready_since, agent_id): the explicit idle-clock rule.
- ``round-robin``: (the queue's offer stamp when it last offered the agent, ready_since, agent_id):
  agents take turns in a stable rotation.
- ``fewest-calls``: (calls answered, ready_since, agent_id).
- ``random``: uniform among the offerable agents of the allowed levels (seeded RNG).
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Iterator, Mapping

from acd.config import Strategy
from acd.state.agent import Agent

SortKey = tuple[float, ...]
_Entry = tuple[SortKey, str, int]  # (key, agent_id, index_version)


class _LevelHeap:
    """Agents of one skill level in one queue, by strategy key, with lazy deletion."""

    __slots__ = ("_heap",)

    def __init__(self) -> None:
        self._heap: list[_Entry] = []

    def push(self, key: SortKey, agent: Agent) -> None:
        heapq.heappush(self._heap, (key, agent.agent_id, agent.index_version))

    def top(self, is_live: Callable[[str, int], bool]) -> _Entry | None:
        heap = self._heap
        while heap:
            entry = heap[0]
            if is_live(entry[1], entry[2]):
                return entry
            heapq.heappop(heap)
        return None

    def live(self, is_live: Callable[[str, int], bool]) -> list[_Entry]:
        return sorted(e for e in self._heap if is_live(e[1], e[2]))

    def compact(self, is_live: Callable[[str, int], bool]) -> None:
        self._heap = [e for e in self._heap if is_live(e[1], e[2])]
        heapq.heapify(self._heap)

    def __len__(self) -> int:
        return len(self._heap)


class _RandomPool:
    """O(1) insert, remove and uniform pick: a list plus positions (swap with last on removal)."""

    __slots__ = ("_items", "_pos")

    def __init__(self) -> None:
        self._items: list[str] = []
        self._pos: dict[str, int] = {}

    def add(self, agent_id: str) -> None:
        if agent_id not in self._pos:
            self._pos[agent_id] = len(self._items)
            self._items.append(agent_id)

    def discard(self, agent_id: str) -> None:
        index = self._pos.pop(agent_id, None)
        if index is None:
            return
        last = self._items.pop()
        if last != agent_id:
            self._items[index] = last
            self._pos[last] = index

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def item(self, index: int) -> str:
        return self._items[index]


class QueueAgents:
    """The offerable agents of one queue, ready to answer "who is next, up to level L?"."""

    def __init__(
        self,
        name: str,
        strategy: Strategy,
        agents: Mapping[str, Agent],
        rng: random.Random,
    ) -> None:
        self.name = name
        self.strategy = strategy
        self._agents = agents
        self._rng = rng
        self._levels: dict[int, _LevelHeap] = {}
        self._pools: dict[int, _RandomPool] = {}
        self._now = 0.0
        self.offer_counter = 0
        #: Agents who are members of the queue (maintained by the engine); bounds the heaps.
        self.member_count = 0

    def _is_live(self, agent_id: str, version: int) -> bool:
        agent = self._agents.get(agent_id)
        return (
            agent is not None
            and agent.index_version == version
            and agent.offerable(self._now)
            and self.name in agent.skills
        )

    def key_for(self, agent: Agent) -> SortKey:
        ready = agent.ready_since if agent.ready_since is not None else 0.0
        if self.strategy is Strategy.ROUND_ROBIN:
            return (float(agent.rr_stamps.get(self.name, -1)), ready)
        if self.strategy is Strategy.FEWEST_CALLS:
            return (float(agent.calls_answered), ready)
        return (ready,)

    def add(self, agent: Agent) -> None:
        """Index an agent that just became offerable (the engine calls it on every such change)."""
        level = agent.skills[self.name]
        if self.strategy is Strategy.RANDOM:
            self._pools.setdefault(level, _RandomPool()).add(agent.agent_id)
            return
        heap = self._levels.setdefault(level, _LevelHeap())
        heap.push(self.key_for(agent), agent)
        if len(heap) > 2 * self.member_count + 64:
            heap.compact(self._is_live)

    def discard(self, agent_id: str) -> None:
        """The agent stopped being offerable. Heaps drop stale entries lazily; pools eagerly."""
        for pool in self._pools.values():
            pool.discard(agent_id)

    def best(self, max_level: int, now: float) -> Agent | None:
        """The agent this queue's strategy offers next, among levels 1..max_level."""
        self._now = now
        if self.strategy is Strategy.RANDOM:
            return self._random_pick(max_level)
        best: _Entry | None = None
        for level, heap in self._levels.items():
            if level > max_level:
                continue
            entry = heap.top(self._is_live)
            if entry is not None and (best is None or entry[:2] < best[:2]):
                best = entry
        return self._agents[best[1]] if best is not None else None

    def all_offerable(self, max_level: int, now: float) -> list[Agent]:
        """Every offerable agent up to ``max_level`` in strategy order (ring-all rings them all)."""
        self._now = now
        entries: list[_Entry] = []
        for level, heap in self._levels.items():
            if level <= max_level:
                entries.extend(heap.live(self._is_live))
        seen: set[str] = set()
        result: list[Agent] = []
        for entry in sorted(entries):
            if entry[1] not in seen:
                seen.add(entry[1])
                result.append(self._agents[entry[1]])
        return result

    def note_offered(self, agent: Agent) -> None:
        """Stamp the round-robin rotation: the agent goes to the back of this queue's line."""
        self.offer_counter += 1
        agent.rr_stamps[self.name] = self.offer_counter

    def _random_pick(self, max_level: int) -> Agent | None:
        while True:
            pools = [pool for level, pool in self._pools.items() if level <= max_level and len(pool)]
            total = sum(len(pool) for pool in pools)
            if total == 0:
                return None
            index = self._rng.randrange(total)
            for pool in pools:
                if index < len(pool):
                    agent_id = pool.item(index)
                    break
                index -= len(pool)
            agent = self._agents.get(agent_id)
            if agent is not None and agent.offerable(self._now) and self.name in agent.skills:
                return agent
            self.discard(agent_id)  # defensive: the engine should have discarded it already

"""The engine's snapshot in Redis: what a restarted daemon cannot read back from Asterisk.

Queue order, entry times and agents' idle clocks live only in our memory; the calls themselves
live in Asterisk. The runner saves a snapshot twice a second when something changed, and at
shutdown; a new daemon restores it before its first resync. Redis being down only costs this:
a restarted daemon then rebuilds waiting callers in channel-creation order and agents logged out.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from acd.logging import get_logger

log = get_logger(__name__)


class SnapshotEncoder:
    """JSON for a snapshot, re-encoding only the agents and calls whose entry changed.

    A snapshot holds every logged-in agent and every live call, and is saved up to twice a second
    under load, while half a second of traffic changes a few of them: encoding 400 agents and 200
    calls whole cost ~4 ms of CPU per save at 150 calls/s. An entry's values are compared as a
    tuple (their keys and types are fixed by ``export_snapshot``), and its cached text is reused
    when equal. The result always decodes to exactly the snapshot given (tested).
    """

    def __init__(self) -> None:
        self._cache: dict[str, dict[str, tuple[tuple[Any, ...], str]]] = {"agents": {}, "calls": {}}

    def encode(self, snapshot: dict[str, Any]) -> str:
        agents, calls = snapshot.get("agents"), snapshot.get("calls")
        if (
            not isinstance(agents, dict)
            or not isinstance(calls, list)
            or not all(isinstance(c, dict) and isinstance(c.get("call_id"), str) for c in calls)
        ):
            return _dumps(snapshot)
        agent_texts = self._texts("agents", agents.items(), keyed=True)
        call_texts = self._texts("calls", ((c["call_id"], c) for c in calls), keyed=False)
        rest = _dumps({k: v for k, v in snapshot.items() if k not in ("agents", "calls")})
        parts = f'"agents":{{{",".join(agent_texts)}}},"calls":[{",".join(call_texts)}]'
        return rest[:-1] + ("," if rest != "{}" else "") + parts + "}"

    def _texts(self, part: str, entries: Iterable[tuple[str, dict[str, Any]]], *, keyed: bool) -> list[str]:
        cached = self._cache[part]
        fresh: dict[str, tuple[tuple[Any, ...], str]] = {}
        texts: list[str] = []
        for key, entry in entries:
            values = tuple(entry.values())
            hit = cached.get(key)
            if hit is None or hit[0] != values:
                text = _dumps(entry)
                hit = (values, f"{_dumps(key)}:{text}" if keyed else text)
            fresh[key] = hit
            texts.append(hit[1])
        self._cache[part] = fresh  # entries gone since the last snapshot leave the cache
        return texts


# One encoder for every entry: json.dumps with options builds a new JSONEncoder at each call.
_encoder = json.JSONEncoder(separators=(",", ":"))


def _dumps(value: Any) -> str:
    return _encoder.encode(value)


class SnapshotStore:
    def __init__(self, client: aioredis.Redis, key_prefix: str, app: str) -> None:
        self._redis = client
        self.key = f"{key_prefix}{app}:engine-snapshot"
        self.healthy = True
        self._encoder = SnapshotEncoder()

    @classmethod
    def from_url(cls, url: str, key_prefix: str, app: str) -> SnapshotStore:
        client = aioredis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        return cls(client, key_prefix, app)

    async def save(self, snapshot: dict[str, Any]) -> bool:
        try:
            await self._redis.set(self.key, self._encoder.encode(snapshot))
        except (RedisError, OSError) as exc:
            if self.healthy:
                log.warning("snapshot.save_failed", error=str(exc))
            self.healthy = False
            return False
        self.healthy = True
        return True

    async def load(self) -> dict[str, Any] | None:
        try:
            raw = await self._redis.get(self.key)
        except (RedisError, OSError) as exc:
            log.warning("snapshot.load_failed", error=str(exc))
            self.healthy = False
            return None
        if raw is None:
            return None
        try:
            data = json.loads(raw)
        except ValueError:
            log.error("snapshot.corrupt", key=self.key)
            return None
        return data if isinstance(data, dict) else None

    async def ping(self) -> bool:
        try:
            await self._redis.ping()
        except (RedisError, OSError):
            self.healthy = False
            return False
        self.healthy = True
        return True

    async def close(self) -> None:
        await self._redis.aclose()

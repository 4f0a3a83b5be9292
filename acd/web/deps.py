"""What the web server is given by the composition root (acd/service.py): nothing it builds itself.

The server talks to the engine only through the runner (commands, views, the live hub), to
PostgreSQL only through ``acd.store`` functions on ``pool``, and to Redis for sessions and login
rate limits. In demo mode a ``DemoPhone`` stands in for SIP (the simulator's phones).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import redis.asyncio as aioredis

from acd.config import Settings
from acd.engine.runner import EngineRunner
from acd.metrics import Metrics

Readiness = Callable[[], Awaitable[dict[str, Any]]]


class DemoPhone(Protocol):
    """The simulated softphones of ``acd demo`` (implemented over the simulator)."""

    def ringing(self, endpoint: str) -> list[dict[str, Any]]: ...

    def active(self, endpoint: str) -> list[dict[str, Any]]: ...

    def owns(self, endpoint: str, channel_id: str) -> bool: ...

    async def answer(self, channel_id: str) -> bool: ...

    async def reject(self, channel_id: str, cause: int) -> bool: ...

    async def hangup(self, channel_id: str) -> bool: ...

    def dial(self, endpoint: str, number: str) -> str: ...


def default_static_dir() -> Path:
    """``agent_ui/`` beside the package (a source checkout, or /app/agent_ui in the image)."""
    return Path(__file__).resolve().parent.parent.parent / "agent_ui"


@dataclass
class WebDeps:
    settings: Settings
    runner: EngineRunner
    metrics: Metrics
    redis: aioredis.Redis
    readiness: Readiness
    #: asyncpg pool (created with min_size=0, so it exists even while PostgreSQL is down).
    pool: Any | None = None
    demo_phone: DemoPhone | None = None
    static_dir: Path = field(default_factory=default_static_dir)

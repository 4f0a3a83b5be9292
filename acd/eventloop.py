"""The event loop the daemon runs on: uvloop unless the configuration says ``asyncio``.

Every call is a dozen socket reads and writes, timers and task wake-ups; uvloop (libuv, in C,
by the authors of asyncpg and httptools) runs them for 8-15 % less CPU per call than asyncio's
pure-Python loop on the same code (bench/RESULTS.md). The test suite runs on it too
(tests/conftest.py), so what is tested is what runs. ``asyncio`` stays as a fallback.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Literal

EventLoopKind = Literal["uvloop", "asyncio"]


def loop_factory(kind: EventLoopKind) -> Callable[[], asyncio.AbstractEventLoop]:
    if kind == "uvloop":
        import uvloop

        return uvloop.new_event_loop
    return asyncio.new_event_loop

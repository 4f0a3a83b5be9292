"""Scaled time for scripted parties: tests run a 1.5 s ring in 0.15 s with ``scale=0.1``.

Every delay in the simulated world (ring times, patience, talk time, the originate ``timeout`` the
app asked for, playback lengths, restart grace) goes through :meth:`SimClock.later`, so one factor
speeds the whole world up consistently. Event timestamps stay wall-clock, as Asterisk's are.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


class SimClock:
    """Schedules callbacks on the running loop after a delay multiplied by ``scale``."""

    def __init__(self, scale: float = 1.0) -> None:
        if scale <= 0:
            raise ValueError("time scale must be positive")
        self.scale = scale

    def later(self, delay: float, callback: Callable[..., Any], *args: Any) -> asyncio.TimerHandle:
        loop = asyncio.get_running_loop()
        return loop.call_later(max(0.0, delay * self.scale), callback, *args)

    async def sleep(self, delay: float) -> None:
        await asyncio.sleep(max(0.0, delay * self.scale))

    def real(self, delay: float) -> float:
        """Seconds of real time that ``delay`` simulated seconds take."""
        return max(0.0, delay * self.scale)

"""Engine actions out, ARI REST requests in flight: one lane per call, lanes in parallel.

Within a call, requests go strictly in the order the engine asked for them (an ``AddToBridge`` may
not overtake the ``Answer`` before it); different calls never wait for each other. A failure is
reported back to the engine as an input (``OriginateFailed``, ``ActionFailed``), except the
normal races: a 404 on hanging up or destroying something that is already gone.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable

from acd.ari.client import AriClient
from acd.ari.errors import AriConflict, AriError, AriNotFound
from acd.engine.effects import (
    AddToBridge,
    Answer,
    ContinueInDialplan,
    CreateBridge,
    DestroyBridge,
    Hangup,
    Originate,
    Ring,
    TelephonyAction,
)
from acd.engine.inputs import ActionFailed, Input, OriginateFailed
from acd.logging import get_logger

log = get_logger(__name__)

#: Actions whose 404 means "already gone", which is what we wanted anyway.
_GONE_IS_FINE = (Hangup, DestroyBridge)


def channel_gone_race(action: TelephonyAction, exc: AriError) -> bool:
    """The channel hung up while ``action`` was in flight: 404 for a request on the channel,
    400 ("Channel not found") or 422 (no longer in Stasis) when a bridge add names it
    (resource_bridges.c). Its StasisEnd follows; a missing bridge or endpoint, or a 5xx, is
    something else."""
    if isinstance(action, AddToBridge):
        return exc.status in (400, 422)
    return isinstance(action, Answer | Ring | ContinueInDialplan) and isinstance(exc, AriNotFound)


async def ensure_holding_bridge(client: AriClient, bridge_id: str, name: str, moh_class: str) -> None:
    """Make a holding bridge playing ``moh_class``; one already there (it survived our restart,
    or another call made it first) will do, and may hold callers."""
    with contextlib.suppress(AriConflict):
        await client.create_bridge(bridge_id, type="holding", name=name)
    await client.start_bridge_moh(bridge_id, moh_class)


class AriActions:
    """Carries out telephony actions over ARI; reports failures through ``report``."""

    def __init__(self, client: AriClient, app: str, report: Callable[[Input], None]) -> None:
        self._client = client
        self._app = app
        self._report = report
        self._lanes: dict[str, deque[TelephonyAction]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def submit(self, actions: list[TelephonyAction]) -> None:
        for action in actions:
            lane = self._lanes.get(action.lane)
            if lane is not None:
                lane.append(action)
                continue
            self._lanes[action.lane] = deque((action,))
            task = asyncio.get_running_loop().create_task(self._drain(action.lane))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _drain(self, lane_id: str) -> None:
        lane = self._lanes[lane_id]
        try:
            while lane:
                await self._run(lane[0])
                lane.popleft()
        finally:
            self._lanes.pop(lane_id, None)

    async def _run(self, action: TelephonyAction) -> None:
        try:
            await self._perform(action)
        except AriError as exc:
            self._failed(action, exc)
        except Exception:  # a bug in one action must not stop its call's lane (logged with its trace)
            log.exception("ari.action_crashed", action=type(action).__name__, call_id=action.lane)

    async def _perform(self, action: TelephonyAction) -> None:
        c = self._client
        if isinstance(action, Originate):
            await c.originate(
                action.endpoint,
                channel_id=action.leg_id,
                app=self._app,
                app_args=action.app_args,
                caller_id=action.caller_id,
                timeout=action.timeout,
                variables=action.variables or None,
            )
        elif isinstance(action, Answer):
            await c.answer(action.channel_id)
        elif isinstance(action, AddToBridge):
            await c.add_channel(action.bridge_id, list(action.channel_ids))
        elif isinstance(action, Hangup):
            await c.hangup(action.channel_id, reason=action.reason)
        elif isinstance(action, CreateBridge):
            if action.moh_class is not None:
                await ensure_holding_bridge(c, action.bridge_id, action.name, action.moh_class)
            else:
                await c.create_bridge(action.bridge_id, type=action.bridge_type, name=action.name)
        elif isinstance(action, DestroyBridge):
            await c.destroy_bridge(action.bridge_id)
        elif isinstance(action, Ring):
            await c.ring(action.channel_id)
        elif isinstance(action, ContinueInDialplan):
            for name, value in action.variables.items():
                await c.set_variable(action.channel_id, name, value)
            await c.continue_in_dialplan(
                action.channel_id,
                context=action.context,
                extension=action.extension,
                priority=action.priority,
            )

    def _failed(self, action: TelephonyAction, exc: AriError) -> None:
        if isinstance(action, _GONE_IS_FINE) and isinstance(exc, AriNotFound):
            return
        raced = channel_gone_race(action, exc)
        (log.info if raced else log.warning)(
            "ari.action_raced" if raced else "ari.action_failed",
            action=type(action).__name__,
            call_id=action.lane,
            channel_id=getattr(action, "channel_id", None)
            or getattr(action, "leg_id", None)
            or (action.channel_ids[0] if isinstance(action, AddToBridge) else None),
            status=exc.status,
            error=exc.message,
        )
        if isinstance(action, Originate):
            self._report(OriginateFailed(action.leg_id, exc.status, exc.message))
            return
        channel = getattr(action, "channel_id", None)
        name = {Answer: "answer", AddToBridge: "add_to_bridge"}.get(
            type(action), type(action).__name__.lower()
        )
        bridge = None
        if isinstance(action, AddToBridge):
            channel, bridge = action.channel_ids[0], action.bridge_id
        self._report(ActionFailed(action.lane, name, channel, exc.status, exc.message, bridge, raced))

    def pending(self) -> int:
        return sum(len(lane) for lane in self._lanes.values())

    async def drain(self, within: float = 5.0) -> None:
        """Wait (at most ``within`` seconds) for the actions in flight: on shutdown and in tests."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=within)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

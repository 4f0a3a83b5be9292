"""The composition root: the one place that knows every part of the daemon and wires them.

Dependencies point one way: the engine (acd/engine, acd/state, acd/routing) knows neither HTTP,
SQL nor ARI; the edges (acd/ari + acd/telephony, acd/store, acd/web, acd/snapshots) know the
engine. This module builds them from the settings, starts them in order and stops them in reverse.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import Any

from acd.ari.client import AriClient
from acd.ari.stream import AriEventStream
from acd.config import QueueSettings, Settings
from acd.engine.core import Engine, profile_from_settings
from acd.engine.hub import LiveHub
from acd.engine.inputs import AgentProfile, UpsertAgent
from acd.engine.runner import EngineRunner, RecordSink
from acd.logging import get_logger
from acd.metrics import Metrics
from acd.snapshots import SnapshotStore
from acd.telephony.actions import AriActions
from acd.telephony.session import AriSession

log = get_logger(__name__)

#: How stale the Redis snapshot may be when the daemon dies (a clean stop saves a last one).
#: Each save costs CPU in proportion to live agents and calls (most of them re-used as encoded
#: text, see SnapshotEncoder): twice a second keeps that cost a few percent of a call's.
SNAPSHOT_SECONDS = 0.5
STOP_STEP_SECONDS = 10.0
"""The longest one shutdown step may take before it is given up on (and logged)."""


class Daemon:
    """One acd daemon: engine, ARI session, persistence, snapshot, background loops."""

    def __init__(
        self,
        settings: Settings,
        *,
        metrics: Metrics | None = None,
        records: RecordSink | None = None,
        snapshots: SnapshotStore | None = None,
        extra_queues: list[QueueSettings] | None = None,
        extra_agents: list[AgentProfile] | None = None,
    ) -> None:
        self.settings = settings
        self.metrics = metrics or Metrics()
        queues = list(settings.queues)
        known = {q.name for q in queues}
        queues += [q for q in extra_queues or [] if q.name not in known]
        self.engine = Engine(queues, settings.engine)
        self.hub = LiveHub()
        self.runner = EngineRunner(self.engine, metrics=self.metrics, hub=self.hub, records=records)
        profiles = {a.agent_id: profile_from_settings(a) for a in settings.agents}
        for profile in extra_agents or []:
            profiles.setdefault(profile.agent_id, profile)
        for profile in profiles.values():
            self.runner.apply(UpsertAgent(profile))
        self.snapshots = snapshots
        app = settings.ari.app
        self.client = AriClient.from_settings(settings.ari, metrics=self.metrics)
        self.stream = AriEventStream.from_settings(settings.ari, metrics=self.metrics)
        self.actions = AriActions(self.client, app, self.runner.apply_safely)
        self.runner.actions = self.actions
        self.session = AriSession(self.client, self.stream, self.runner, app, self.metrics)
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        if self.snapshots is not None:
            snapshot = await self.snapshots.load()
            if snapshot is not None:
                self.engine.restore_snapshot(snapshot)
                log.info("daemon.snapshot_restored", agents=len(snapshot.get("agents", {})))
        self.stream.start()
        self._spawn(self.session.run(), "ari-session")
        self._spawn(self._snapshot_loop(), "snapshot")
        self._spawn(self._gauge_loop(), "gauges")
        self._spawn(self._queue_stats_loop(), "queue-stats")
        self._spawn(self._loop_lag_probe(), "loop-lag")
        log.info("daemon.started", ari=self.settings.ari.url, app=self.settings.ari.app)

    async def stop(self) -> None:
        """Drain: stop reading events (callers stay in Asterisk), save the snapshot, close.

        Every step is bounded: a shutdown that hangs would keep a restart from happening (and
        systemd would kill us without a word), so a stuck step is logged by name and skipped.
        """
        if self._stopping:
            return
        self._stopping = True
        await self._bounded("stream", self.stream.close())
        self.runner.cancel_all_timers()
        await self.actions.drain(within=3.0)
        if self.snapshots is not None:
            await self._bounded("snapshot", self.snapshots.save(self.engine.export_snapshot()))
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            ended, stuck = await asyncio.wait(self._tasks, timeout=STOP_STEP_SECONDS)
            for task in stuck:
                log.error("daemon.stop_stuck", step="task", task=task.get_name())
            for task in ended:
                if not task.cancelled() and task.exception() is not None:
                    log.warning("daemon.task_failed", task=task.get_name(), error=repr(task.exception()))
        await self._bounded("actions", self.actions.close())
        await self._bounded("ari-client", self.client.close())
        if self.snapshots is not None:
            await self._bounded("redis", self.snapshots.close())
        log.info("daemon.stopped")

    async def _bounded(self, step: str, work: Coroutine[Any, Any, Any]) -> None:
        try:
            async with asyncio.timeout(STOP_STEP_SECONDS):
                await work
        except TimeoutError:
            log.error("daemon.stop_stuck", step=step, seconds=STOP_STEP_SECONDS)

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        task.add_done_callback(self._task_done)
        self._tasks.append(task)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        if task.cancelled() or self._stopping:
            return
        exc = task.exception()
        if exc is not None:
            log.error("daemon.task_failed", task=task.get_name(), error=repr(exc))

    # ------------------------------------------------------------ loops

    # The loops also end on ``_stopping``, not only on cancellation: a cancellation lost inside a
    # library call must not keep one running after stop().

    async def _snapshot_loop(self) -> None:
        if self.snapshots is None:
            return
        while not self._stopping:
            await asyncio.sleep(SNAPSHOT_SECONDS)
            if self.runner.changed:
                self.runner.clear_changed()
                await self.snapshots.save(self.engine.export_snapshot())

    async def _gauge_loop(self) -> None:
        while not self._stopping:
            self.runner.refresh_gauges()
            await asyncio.sleep(1.0)

    async def _queue_stats_loop(self) -> None:
        while not self._stopping:
            await asyncio.sleep(0.25)
            self.runner.publish_queue_stats()

    async def _loop_lag_probe(self) -> None:
        interval = 0.5
        while not self._stopping:
            started = time.perf_counter()
            await asyncio.sleep(interval)
            self.metrics.loop_lag.set(max(0.0, time.perf_counter() - started - interval))

    # ------------------------------------------------------------ health

    def readiness(self) -> dict[str, Any]:
        session = self.session
        ari = session.connected and session.resynced.is_set() and not session.replaced
        redis_ok = self.snapshots is None or self.snapshots.healthy
        return {"ari": ari, "redis": redis_ok}

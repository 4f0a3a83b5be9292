"""The app's life on one Asterisk: consume its events, and set up and resync on every connect.

On every (re)connect, before any further event is applied:
1. ask Asterisk to send our app only the event types it uses (the rest would be most of the
   traffic);
2. subscribe the app to every agent's endpoint, so registration changes reach us (rule 7);
3. make sure each queue's holding bridge (and the shared hold bridge) exists and plays music;
4. read the whole truth (``GET /channels``, ``GET /bridges``, ``GET /endpoints``) and hand it to the
   engine as a ``Resync``: Asterisk does not replay what we missed (rules 8 and 9).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from acd.ari.client import AriClient
from acd.ari.errors import AriError, AriUnprocessable
from acd.ari.events import ApplicationReplaced, AriEvent, UnknownEvent
from acd.ari.stream import AriEventStream, StreamConnected, StreamDisconnected
from acd.engine.inputs import Resync
from acd.engine.runner import EngineRunner
from acd.logging import get_logger
from acd.metrics import Metrics
from acd.telephony.actions import ensure_holding_bridge
from acd.telephony.translate import (
    WANTED_EVENT_TYPES,
    bridge_snapshot,
    channel_snapshot,
    endpoint_name,
    translate,
)

log = get_logger(__name__)


class AriSession:
    def __init__(
        self,
        client: AriClient,
        stream: AriEventStream,
        runner: EngineRunner,
        app: str,
        metrics: Metrics | None = None,
    ) -> None:
        self.metrics = metrics
        self.client = client
        self.stream = stream
        self.runner = runner
        self.app = app
        self.connected = False
        self.replaced = False
        self.resyncs = 0
        self.resynced = asyncio.Event()

    async def run(self) -> None:
        """Consume the stream until it is closed; one item at a time, in Asterisk's order.

        Events go to ``on_event``, which never awaits: the stream calls it as each arrives while we
        wait, and keeps them queued while we await a connect's setup and resync.
        """
        async for item in self.stream.items(self.on_event):
            if isinstance(item, StreamConnected):
                self.connected = True
                self.replaced = False
                await self._on_connected(item.reconnected)
            elif isinstance(item, StreamDisconnected):
                self.connected = False
                self.resynced.clear()
                # 1000 is our own close (shutdown); anything else is a loss worth a warning.
                (log.info if item.code == 1000 else log.warning)(
                    "ari.disconnected", code=item.code, reason=item.reason
                )
            else:
                self.on_event(item)

    def on_event(self, event: AriEvent) -> None:
        if isinstance(event, UnknownEvent):
            return
        if isinstance(event, ApplicationReplaced):
            # Another process took our app: the socket stays open but silent. Reconnecting would
            # make two daemons steal the app from each other, so say it loudly and stay unready.
            self.replaced = True
            log.error("ari.application_replaced", app=self.app)
            return
        try:
            inp = translate(event)
        except Exception:  # one odd event must not end the session (a bad priority once did)
            log.exception("ari.event_untranslatable", type=event.type)
            if self.metrics is not None:
                self.metrics.ari_events_unparsed.labels("untranslatable").inc()
            return
        if inp is not None:
            self.runner.apply_safely(inp)

    async def _on_connected(self, reconnected: bool) -> None:
        log.info("ari.connected", reconnected=reconnected)
        try:
            await self.setup()
            await self.resync()
        except AriError as exc:
            # The socket is up but REST failed: keep going on events; the next connect retries.
            log.error("ari.resync_failed", status=exc.status, error=exc.message)

    async def setup(self) -> None:
        c = self.client
        try:
            await c.set_event_filter(self.app, allowed=list(WANTED_EVENT_TYPES), disallowed=[])
        except AriError as exc:
            log.warning("ari.event_filter_failed", status=exc.status, error=exc.message)
        await self.subscribe_endpoints(a.endpoint for a in self.runner.engine.agents.values())
        for bridge_id, (name, moh_class) in self.runner.engine.holding_bridges().items():
            await ensure_holding_bridge(c, bridge_id, name, moh_class)

    async def subscribe_endpoints(self, endpoints: Iterable[str]) -> None:
        sources = [f"endpoint:{e}" for e in sorted(set(endpoints)) if "/" in e]
        for start in range(0, len(sources), 50):
            batch = sources[start : start + 50]
            try:
                await self.client.subscribe(batch, app=self.app)
            except AriUnprocessable:
                # One unknown endpoint fails the whole request (422): subscribe one by one so a
                # typo in one agent's endpoint does not blind us to everyone else's phone.
                for source in batch:
                    try:
                        await self.client.subscribe(source, app=self.app)
                    except AriError as exc:
                        log.warning(
                            "ari.subscribe_failed", source=source, status=exc.status, error=exc.message
                        )
            except AriError as exc:
                log.warning("ari.subscribe_failed", status=exc.status, error=exc.message)

    async def resync(self) -> None:
        channels, bridges, endpoints = await asyncio.gather(
            self.client.list_channels(), self.client.list_bridges(), self.client.list_endpoints()
        )
        reachable = frozenset(endpoint_name(e) for e in endpoints if e.state == "online")
        event = Resync(
            channels=tuple(channel_snapshot(c, self.app) for c in channels),
            bridges=tuple(bridge_snapshot(b) for b in bridges),
            reachable_endpoints=reachable,
        )
        self.runner.apply_safely(event)
        self.resyncs += 1
        self.resynced.set()
        log.info("ari.resynced", channels=len(channels), bridges=len(bridges))

"""A deliberately tiny ARI client built from raw aiohttp calls, used to poke the simulator.

It is not acd.ari (the simulator must be checked against the wire format, not against our own
client): it sends exactly what a test says and records every WebSocket message as parsed JSON.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

import aiohttp

Event = dict[str, Any]


class AriProbe:
    """One app's view of the simulator: REST calls plus the event WebSocket."""

    def __init__(self, base_url: str, app: str = "acd", user: str = "acd", password: str = "acd") -> None:
        self.base_url = base_url
        self.app = app
        self.auth = aiohttp.encode_basic_auth(user, password)
        self.session = aiohttp.ClientSession(headers={"Authorization": self.auth})
        self.events: list[Event] = []
        self.close_codes: list[int | None] = []
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._arrived = asyncio.Event()

    async def __aenter__(self) -> AriProbe:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self.disconnect()
        await self.session.close()

    async def connect(self, subscribe_all: bool = False, retry_for: float = 0.0) -> None:
        """Open /ari/events; with ``retry_for``, keep trying while connections are refused."""
        url = f"{self.base_url}/ari/events?app={self.app}&subscribeAll={'true' if subscribe_all else 'false'}"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + retry_for
        while True:
            try:
                self.ws = await self.session.ws_connect(url)
                break
            except (aiohttp.ClientConnectionError, aiohttp.WSServerHandshakeError):
                if loop.time() >= deadline:
                    raise
                await asyncio.sleep(0.01)
        self._reader = asyncio.create_task(self._read(self.ws))

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                self.events.append(json.loads(message.data))
                self._arrived.set()
        self.close_codes.append(ws.close_code)

    async def disconnect(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            self.ws = None
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None

    async def wait_closed(self, within: float = 3.0) -> int | None:
        """Wait for the server to close the socket; the close code the client saw."""
        assert self._reader is not None
        async with asyncio.timeout(within):
            await self._reader
        self._reader = None
        self.ws = None
        return self.close_codes[-1]

    async def call(
        self, method: str, path: str, params: dict[str, str] | None = None, body: Any = None
    ) -> tuple[int, Any]:
        """One REST request under /ari; returns the status and the parsed JSON body (or None)."""
        async with self.session.request(
            method, f"{self.base_url}/ari{path}", params=params, json=body
        ) as resp:
            text = await resp.text()
            return resp.status, (json.loads(text) if text else None)

    async def _until(self, condition: Callable[[], bool], within: float) -> None:
        async with asyncio.timeout(within):
            while not condition():
                self._arrived.clear()
                await self._arrived.wait()

    async def wait_event(
        self, type_: str, where: Callable[[Event], bool] | None = None, within: float = 3.0
    ) -> Event:
        """The first event so far (or to come) of ``type_`` matching ``where``."""
        found: list[Event] = []

        def seen() -> bool:
            for event in self.events:
                if event["type"] == type_ and (where is None or where(event)):
                    found.append(event)
                    return True
            return False

        await self._until(seen, within)
        return found[0]

    async def wait_count(self, count: int, within: float = 3.0) -> None:
        await self._until(lambda: len(self.events) >= count, within)

    def types(self) -> list[str]:
        return [e["type"] for e in self.events]

    def of(self, channel_id: str) -> list[str]:
        """Event types that concern one channel (as channel or as Dial peer)."""
        out = []
        for e in self.events:
            ch = e.get("channel") or e.get("peer") or {}
            if ch.get("id") == channel_id:
                out.append(e["type"])
        return out

"""A loopback HTTP + WebSocket server standing in for Asterisk's ARI, for the client's tests.

It records every request exactly as received (method, decoded path under ``/ari``, query, headers,
body) and answers what the test told it to, so tests assert on the wire, not on mocks. WebSocket
connections run scripts the test supplies, one per connection, in order; it can also stop listening
(connection refused) and listen again on the same port.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, cast

from aiohttp import web
from multidict import CIMultiDictProxy

WsScript = Callable[[web.WebSocketResponse, web.Request], Awaitable[None]]


@dataclass
class Received:
    method: str
    path: str  # under /ari, decoded
    query: dict[str, str]
    headers: CIMultiDictProxy[str]
    body: bytes
    raw_path: str = ""  # as sent, still percent-encoded


@dataclass
class Answer:
    status: int
    body: Any = None  # JSON-serialisable; None sends no body
    delay: float = 0.0


@dataclass
class FakeAri:
    answers: dict[tuple[str, str], Answer] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    ws_scripts: list[WsScript] = field(default_factory=list)
    ws_refuse_status: int | None = None
    ws_autoping: bool = True
    ws_connections: list[Received] = field(default_factory=list)
    port: int = 0
    _runner: web.AppRunner | None = None
    _site: web.TCPSite | None = None
    _open_ws: set[web.WebSocketResponse] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def answer(self, method: str, path: str, status: int, body: Any = None, delay: float = 0.0) -> None:
        self.answers[(method, path)] = Answer(status, body, delay)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/ari/events", self._events)
        app.router.add_route("*", "/ari/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        await self.listen()

    async def listen(self) -> None:
        assert self._runner is not None
        self._site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await self._site.start()
        # uvloop's server is not an asyncio.Server subclass, but has the same interface.
        server = cast(asyncio.Server, self._site._server)
        self.port = server.sockets[0].getsockname()[1]

    async def stop_listening(self) -> None:
        """New connections are refused from now on; open ones stay."""
        if self._site is not None:
            server = cast(asyncio.Server, self._site._server)
            server.close()
            self._site = None

    async def close(self) -> None:
        for ws in list(self._open_ws):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _record(self, request: web.Request) -> Received:
        path = request.path.removeprefix("/ari")
        body = await request.read()
        return Received(request.method, path, dict(request.query), request.headers, body, request.raw_path)

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        rec = await self._record(request)
        self.received.append(rec)
        answer = self.answers.get((rec.method, rec.path), Answer(404, {"message": "Resource not found"}))
        if answer.delay:
            await asyncio.sleep(answer.delay)
        if answer.body is None:
            return web.Response(status=answer.status)
        return web.json_response(answer.body, status=answer.status)

    async def _events(self, request: web.Request) -> web.StreamResponse:
        rec = await self._record(request)
        self.ws_connections.append(rec)
        if self.ws_refuse_status is not None:
            return web.json_response({"error": "refused by the test"}, status=self.ws_refuse_status)
        ws = web.WebSocketResponse(autoping=self.ws_autoping)
        await ws.prepare(request)
        self._open_ws.add(ws)
        try:
            if self.ws_scripts:
                await self.ws_scripts.pop(0)(ws, request)
            else:
                async for _ in ws:  # stay open until the client or the test closes it
                    pass
        finally:
            self._open_ws.discard(ws)
        return ws

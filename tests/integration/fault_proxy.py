"""A loopback proxy between the daemon and the simulator that can make ARI misbehave on purpose.

Real sockets on both sides; rules decide per request: answer with a given status and body (a 404,
a 503), or hold the request back for a while (an Asterisk too slow to answer before our timeout).
The event WebSocket is relayed as is.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import cast

import aiohttp
from aiohttp import web


@dataclass
class Rule:
    method: str
    path: re.Pattern[str]
    status: int | None = None
    body: str = ""
    delay: float = 0.0
    times: int = 1
    hits: int = 0


@dataclass
class FaultProxy:
    upstream: str
    rules: list[Rule] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.refuse_ws_until = 0.0
        self._downstreams: set[web.WebSocketResponse] = set()
        self.app = web.Application()
        self.app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail(self, method: str, path: str, status: int, body: str = "", times: int = 1) -> Rule:
        rule = Rule(method, re.compile(path), status=status, body=body, times=times)
        self.rules.append(rule)
        return rule

    def slow(self, method: str, path: str, delay: float, times: int = 1) -> Rule:
        rule = Rule(method, re.compile(path), delay=delay, times=times)
        self.rules.append(rule)
        return rule

    async def start(self) -> None:
        self._session = aiohttp.ClientSession()
        self._runner = web.AppRunner(self.app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        # uvloop's server is not an asyncio.Server subclass, but has the same interface.
        server = cast(asyncio.Server, site._server)
        self.port = server.sockets[0].getsockname()[1]

    async def drop_ws(self, refuse_for: float) -> None:
        """Cut the event WebSocket (as a dead TCP connection would) and refuse it for a while."""
        self.refuse_ws_until = asyncio.get_running_loop().time() + refuse_for
        for ws in list(self._downstreams):
            await ws.close(code=1006)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    def _match(self, request: web.Request) -> Rule | None:
        for rule in self.rules:
            if rule.hits < rule.times and rule.method == request.method and rule.path.search(request.path):
                rule.hits += 1
                return rule
        return None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        if request.path == "/ari/events":
            return await self._relay_ws(request)
        rule = self._match(request)
        if rule is not None and rule.delay:
            await asyncio.sleep(rule.delay)
        if rule is not None and rule.status is not None:
            return web.Response(status=rule.status, text=rule.body, content_type="application/json")
        body = await request.read()
        async with self._session.request(
            request.method,
            self.upstream + request.path_qs,
            headers={
                k: v for k, v in request.headers.items() if k.lower() in ("authorization", "content-type")
            },
            data=body or None,
        ) as upstream:
            payload = await upstream.read()
            return web.Response(
                status=upstream.status,
                body=payload,
                headers={"Content-Type": upstream.headers.get("Content-Type", "application/json")},
            )

    async def _relay_ws(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        if asyncio.get_running_loop().time() < self.refuse_ws_until:
            return web.Response(status=503, text="down")
        async with self._session.ws_connect(
            self.upstream.replace("http", "ws", 1) + request.path_qs,
            headers={"Authorization": request.headers.get("Authorization", "")},
        ) as upstream:
            downstream = web.WebSocketResponse()
            await downstream.prepare(request)
            self._downstreams.add(downstream)

            async def pump() -> None:
                async for message in upstream:
                    if message.type == aiohttp.WSMsgType.TEXT:
                        await downstream.send_str(message.data)
                    else:
                        break
                await downstream.close()

            task = asyncio.create_task(pump())
            async for _ in downstream:
                pass
            task.cancel()
            self._downstreams.discard(downstream)
            return downstream

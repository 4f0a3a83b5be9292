"""The HTTP side: one aiohttp application for ARI, the event WebSocket and ``/_sim/``; restarts.

Middleware does what Asterisk's HTTP layer does before a resource sees a request: Basic auth (or
``api_key=user:password``) with 401 ``{"message": "Authentication required"}``, 404
``{"message": "Resource not found"}`` for unknown ARI paths, 405 ``{"message": "Invalid method"}``.
It also writes each ARI answer itself, with the router holding back the events the request caused,
so the answer always leaves before them (rule 4). :func:`run_standalone` is the ``acd sim`` entry.
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from acd.sim import rest_bridges, rest_channels, rest_misc, websocket
from acd.sim.errors import SimRestError
from acd.sim.events import encode
from acd.sim.pbx import Pbx
from acd.sim.rest_common import PBX_KEY, WRITE_TIMEOUT_KEY, err

if TYPE_CHECKING:
    from acd.sim.actors import PhoneBehaviour
    from acd.sim.traffic import TrafficProfile

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(slots=True)
class RestExchange:
    """One ARI request the simulator answered (path under ``/ari``, as in the traces)."""

    t: float
    method: str
    path: str
    query: dict[str, str]
    request_body: bytes
    status: int
    body_text: str

    @property
    def params(self) -> dict[str, str]:
        """Query parameters, plus the top-level keys of a JSON body (how ARI reads them)."""
        params = dict(self.query)
        try:
            body = json.loads(self.request_body or b"null")
        except ValueError:
            body = None
        if isinstance(body, dict):
            params.update({k: v if isinstance(v, str) else encode(v) for k, v in body.items()})
        return params

    @property
    def body(self) -> Any:
        return json.loads(self.body_text) if self.body_text else None


class SimServer:
    """Owns the aiohttp application and its listening socket (which a restart closes for a while)."""

    def __init__(
        self,
        pbx: Pbx,
        username: str,
        password: str,
        *,
        open_control: bool,
        rest_log_size: int,
        extra_routes: list[web.RouteDef],
        ws_write_timeout: float | None = 0.1,
    ) -> None:
        self.pbx = pbx
        self._credentials = f"{username}:{password}"
        self._expected_header = "Basic " + base64.b64encode(self._credentials.encode()).decode()
        self._open_control = open_control
        self.rest_log: deque[RestExchange] = deque(maxlen=max(1, rest_log_size))
        self._log_rest = rest_log_size > 0
        self.app = web.Application(middlewares=[self._middleware])
        self.app[PBX_KEY] = pbx
        self.app[WRITE_TIMEOUT_KEY] = math.inf if ws_write_timeout is None else ws_write_timeout
        for module in (rest_channels, rest_bridges, rest_misc, websocket):
            self.app.add_routes(module.routes)
        self.app.add_routes(extra_routes)
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self.host = "127.0.0.1"
        self.port = 0

    # --- lifecycle --------------------------------------------------------------------------------

    async def start(self, host: str, port: int) -> int:
        self._runner = web.AppRunner(self.app, handle_signals=False, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        self.host = host
        self._site = web.TCPSite(self._runner, host, port, reuse_address=True)
        await self._site.start()
        self.port = int(self._runner.addresses[0][1])
        return self.port

    async def go_down(self) -> None:
        """Asterisk's process is gone: sockets die without a close frame (1006), connects fail."""
        for conn in self.pbx.router.connections():
            await conn.close(1006)
        if self._site is not None:
            await self._site.stop()
            self._site = None
        server = self._runner.server if self._runner is not None else None
        if server is not None:
            for handler in server.connections:
                if handler.transport is not None:
                    handler.transport.abort()

    async def come_up(self) -> None:
        if self._runner is not None and self._site is None:
            self._site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
            await self._site.start()

    async def stop(self) -> None:
        for conn in self.pbx.router.connections():
            await conn.close(1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self._site = None

    # --- middleware -------------------------------------------------------------------------------

    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if header == self._expected_header:
            return True
        if header[:6].lower() == "basic ":
            try:
                return base64.b64decode(header[6:].strip()).decode() == self._credentials
            except (ValueError, UnicodeDecodeError):
                return False
        return request.query.get("api_key") == self._credentials

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        is_ari = path == "/ari" or path.startswith("/ari/")
        guarded = is_ari or (path.startswith("/_sim/") and not self._open_control)
        if guarded and not self._authorized(request):
            denied = err(401, {"message": "Authentication required"})
            denied.headers["WWW-Authenticate"] = 'Basic realm="Asterisk REST Interface"'
            return denied
        if not is_ari or path == "/ari/events":
            try:
                return await handler(request)
            except SimRestError as exc:
                return err(exc.status, exc.body)
        router = self.pbx.router
        router.hold()
        try:
            response = await self._answer(request, handler)
            response.headers["Server"] = f"Asterisk/{self.pbx.config.version}"
            await response.prepare(request)
            await response.write_eof()
            if self._log_rest:
                await self._log(request, response)
            return response
        finally:
            router.release()

    @staticmethod
    async def _answer(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except SimRestError as exc:
            return err(exc.status, exc.body)
        except web.HTTPMethodNotAllowed:
            return err(405, {"message": "Invalid method"})
        except web.HTTPNotFound:
            return err(404, {"message": "Resource not found"})

    async def _log(self, request: web.Request, response: web.StreamResponse) -> None:
        raw = await request.read() if request.can_read_body else b""
        text = response.text if isinstance(response, web.Response) and response.text is not None else ""
        self.rest_log.append(
            RestExchange(
                time.monotonic(),
                request.method,
                request.path[4:],
                dict(request.query),
                raw,
                response.status,
                text,
            )
        )


async def run_standalone(
    host: str = "127.0.0.1",
    port: int = 8088,
    app: str = "acd",
    username: str = "acd",
    password: str = "acd",
    seed: int = 0,
    agents: int = 10,
    traffic: TrafficProfile | None = None,
    *,
    rate: float = 0.0,
    queues: Sequence[str] = ("support",),
    agent_behaviour: PhoneBehaviour | None = None,
    time_scale: float = 1.0,
    open_control: bool = False,
    stop: Awaitable[object] | None = None,
    started: Callable[[str], None] | None = None,
) -> None:
    """Run a simulated Asterisk until ``stop`` completes (or the task is cancelled): ``acd sim``.

    ``agents`` phones ``PJSIP/agent1..N`` are registered and answer after 1.5 s unless
    ``agent_behaviour`` says otherwise (``PhoneBehaviour.manual()`` for the demo page). Callers
    arrive per ``traffic``, or, given only ``rate`` (calls per second), spread evenly over
    ``queues`` with the default patience and talk times. ``started`` receives the base URL.
    """
    from acd.sim.simulator import PbxSimulator
    from acd.sim.traffic import TrafficProfile

    sim = PbxSimulator(
        app=app,
        username=username,
        password=password,
        seed=seed,
        time_scale=time_scale,
        open_control=open_control,
    )
    sim.add_agents(agents, agent_behaviour)
    await sim.start(host=host, port=port)
    try:
        if traffic is None and rate > 0:
            traffic = TrafficProfile(rate=rate, queues=tuple((q, 1.0) for q in queues))
        if traffic is not None:
            sim.traffic.start(traffic, seed)
        if started is not None:
            started(sim.base_url)
        await (stop if stop is not None else asyncio.Event().wait())
    finally:
        await sim.stop()

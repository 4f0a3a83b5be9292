"""``PbxSimulator``: the Python API tests and benchmarks drive the simulated Asterisk with.

Everything a test needs in one object: start it on a loopback port, add phones, place calls,
answer or refuse as a manual phone, press keys, drop the WebSocket, restart "Asterisk", and then
look at what happened (``event_log``, ``rest_log``, ``channels``, ``bridges``, ``leaks()``). All
durations are simulated seconds, multiplied by ``time_scale``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

from acd.sim.actors import CallerScript, PhoneBehaviour, Stats
from acd.sim.clock import SimClock
from acd.sim.control import control_routes
from acd.sim.model import Bridge, Channel, Endpoint, Kind, Party
from acd.sim.pbx import Pbx, PbxConfig
from acd.sim.server import RestExchange, SimServer
from acd.sim.stasis import LoggedEvent, StasisRouter
from acd.sim.traffic import Arrival, TrafficGenerator


class SimulatorDown(RuntimeError):
    """The simulated Asterisk is restarting: no call can be placed."""


class PbxSimulator:
    """A simulated Asterisk 22 speaking ARI on loopback, with scripted phones and callers."""

    def __init__(
        self,
        app: str = "acd",
        username: str = "acd",
        password: str = "acd",
        *,
        seed: int = 0,
        time_scale: float = 1.0,
        asterisk_id: str = "02:fc:00:00:00:01",
        vary_interleavings: bool = True,
        announcer_visible: float = 0.3,
        restart_grace: float = 1.1,
        playback_seconds: float = 2.0,
        event_log_size: int = 100_000,
        rest_log_size: int = 10_000,
        open_control: bool = False,
        far_end: PhoneBehaviour | None = None,
        ws_write_timeout: float | None = 0.1,
    ) -> None:
        self.app = app
        self.open_control = open_control
        self.clock = SimClock(time_scale)
        self.router = StasisRouter(asterisk_id, event_log_size)
        config = PbxConfig(
            asterisk_id=asterisk_id,
            vary=vary_interleavings,
            announcer_visible=announcer_visible,
            playback_seconds=playback_seconds,
            restart_grace=restart_grace,
            far_end=far_end,
        )
        self.pbx = Pbx(config, self.clock, self.router, seed)
        self.server = SimServer(
            self.pbx,
            username,
            password,
            open_control=open_control,
            rest_log_size=rest_log_size,
            extra_routes=control_routes(self),
            ws_write_timeout=ws_write_timeout,
        )
        self.traffic = TrafficGenerator(self.clock, self._place_arrival)
        self.down = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self.add_endpoint(
            "PJSIP/trunk", registered=True, qualify=False, behaviour=self.pbx.far_end, context="from-trunk"
        )

    # --- lifecycle --------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        await self.server.start(host, port)

    async def stop(self) -> None:
        await self.traffic.stop()
        for task in list(self._tasks):
            task.cancel()
        for ch in list(self.pbx.channels.values()):
            ch.cancel_timers()
        await self.server.stop()

    @property
    def base_url(self) -> str:
        """``http://host:port`` (ARI is under ``/ari``, the control API under ``/_sim``)."""
        return f"http://{self.server.host}:{self.server.port}"

    @property
    def ari_url(self) -> str:
        return f"{self.base_url}/ari"

    def spawn(self, coro: Any) -> asyncio.Task[Any]:
        """Run ``coro`` as a task the simulator owns and cancels on :meth:`stop`."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # --- phones -----------------------------------------------------------------------------------

    def add_endpoint(
        self,
        name: str,
        *,
        registered: bool = True,
        qualify: bool = True,
        behaviour: PhoneBehaviour | None = None,
        context: str = "from-agents",
        caller_name: str = "",
        caller_number: str = "",
    ) -> Endpoint:
        """Configure a PJSIP endpoint (``PJSIP/agent1``); ``qualify=False`` keeps it "offline"."""
        tech, _, resource = name.partition("/")
        if tech != "PJSIP" or not resource:
            raise ValueError(f"endpoint must look like PJSIP/<name>, not {name!r}")
        ep = Endpoint(
            tech=tech,
            resource=resource,
            context=context,
            registered=False,
            qualify=qualify,
            port=5060 + len(self.pbx.endpoints) + 1,
            behaviour=behaviour or PhoneBehaviour.answer(),
            caller=Party(caller_name or resource, caller_number or resource),
        )
        self.pbx.endpoints[ep.key] = ep
        if registered:
            self.pbx.presence.set_registered(ep, True)
        else:
            self.pbx.presence.update_device_state(ep)
        return ep

    def add_agents(self, count: int, behaviour: PhoneBehaviour | None = None, first: int = 1) -> list[str]:
        names = [f"PJSIP/agent{n}" for n in range(first, first + count)]
        for n, name in enumerate(names, start=first):
            self.add_endpoint(name, behaviour=behaviour, caller_name=f"Agent {n}", caller_number=f"agent{n}")
        return names

    def endpoint(self, name: str) -> Endpoint:
        try:
            return self.pbx.endpoints[name]
        except KeyError:
            raise KeyError(f"no endpoint {name!r}") from None

    def set_registered(self, name: str, registered: bool) -> None:
        self.pbx.presence.set_registered(self.endpoint(name), registered)

    def set_behaviour(self, name: str, behaviour: PhoneBehaviour) -> None:
        self.endpoint(name).behaviour = behaviour

    def ringing_legs(self, endpoint: str) -> list[Channel]:
        """Legs to ``endpoint`` that ring now (what a manual phone would show)."""
        return [ch for ch in self.endpoint(endpoint).channels.values() if ch.dialing]

    async def answer(self, channel_id: str) -> bool:
        """A manual phone answers a ringing leg; False if it no longer rings."""
        ch = self.pbx.find(channel_id)
        return ch is not None and self.pbx.actors.answer(ch)

    async def reject(self, channel_id: str, cause: int = 17) -> bool:
        """A manual phone refuses a ringing leg: 17 answers 486 Busy Here, 21 603 Decline."""
        ch = self.pbx.find(channel_id)
        return ch is not None and self.pbx.actors.reject(ch, cause)

    def phone_dial(self, endpoint: str, number: str) -> str:
        """An agent phone dials out: its call enters Stasis(app, outbound, <number>)."""
        if self.down:
            raise SimulatorDown("Asterisk is restarting")
        return self.pbx.agent_dials_out(self.endpoint(endpoint), self.app, number).id

    # --- callers ----------------------------------------------------------------------------------

    async def place_call(
        self,
        queue: str = "support",
        number: str = "+15550001",
        name: str = "Caller 1",
        *,
        patience: float | None = None,
        talk_time: float | None = None,
        hangup_after: float | None = None,
        dtmf: Iterable[tuple[float, str]] = (),
        exten: str = "101",
    ) -> str:
        """A PSTN caller dials in and reaches Stasis(app, inbound, <queue>); returns its channel id.

        If no WebSocket is connected for the app, ``Stasis()`` fails and the dialplan hangs the
        caller up: the id returned then names a channel that is already gone.
        """
        script = CallerScript(patience, talk_time, hangup_after, tuple(dtmf))
        return self._place(queue, number, name, exten, script).id

    def _place(self, queue: str, number: str, name: str, exten: str, script: CallerScript) -> Channel:
        if self.down:
            raise SimulatorDown("Asterisk is restarting")
        return self.pbx.inbound_call(self.app, queue, number, name, exten, script)

    def _place_arrival(self, arrival: Arrival) -> None:
        script = CallerScript(patience=arrival.patience, talk_time=arrival.talk_time)
        self._place(arrival.queue, arrival.number, arrival.name, "101", script)

    async def hangup(self, channel_id: str, cause: int = 16) -> bool:
        """The party on ``channel_id`` (caller, agent, far end) hangs up."""
        ch = self.pbx.find(channel_id)
        if ch is None:
            return False
        if ch.dialing:
            return self.pbx.actors.reject(ch, cause)
        self.pbx.hangup(ch, "remote", cause)
        return True

    def send_dtmf(self, channel_id: str, digits: str, duration_ms: int = 100, gap: float = 0.25) -> None:
        """The party on ``channel_id`` presses keys (ChannelDtmfReceived while in Stasis)."""
        ch = self.pbx.find(channel_id)
        if ch is not None:
            self.pbx.dtmf_from_party(ch, digits, duration_ms, gap)

    def phone_hold(self, channel_id: str, on: bool = True, musicclass: str | None = None) -> None:
        """The phone on ``channel_id`` puts the call on hold (or takes it off)."""
        ch = self.pbx.find(channel_id)
        if ch is not None:
            self.pbx.phone_hold(ch, on, musicclass)

    # --- faults -----------------------------------------------------------------------------------

    async def drop_websocket(self, code: int = 1006) -> int:
        """Close every event WebSocket (1006: the TCP connection just dies). Returns how many."""
        conns = self.router.connections()
        for conn in conns:
            self.router.detach(conn)
            await conn.close(code)
        return len(conns)

    async def restart_asterisk(self, down_for: float = 0.5) -> None:
        """``core restart now`` (trace j): hang-ups with cause 4, StasisEnd, BridgeDestroyed, then the
        socket dies (1006), connections are refused for ``down_for`` s, and Asterisk comes back
        empty: no channels, no bridges, no applications until the app reconnects."""
        self.down = True
        try:
            watchers = self.pbx.shutdown()
            await self.clock.sleep(self.pbx.config.restart_grace)
            for br in list(self.pbx.bridges.values()):
                self.pbx.bridging.destroy(br, watchers.get(br.id, []))
            for conn in self.router.connections():
                await conn.flush()
            await self.server.go_down()
            self.router.reset()
            self.pbx.reset()
            await self.clock.sleep(down_for)
            await self.server.come_up()
        finally:
            self.down = False

    # --- looking at what happened -----------------------------------------------------------------

    @property
    def channels(self) -> dict[str, Channel]:
        return self.pbx.channels

    @property
    def bridges(self) -> dict[str, Bridge]:
        return self.pbx.bridges

    @property
    def stats(self) -> Stats:
        return self.pbx.stats

    @property
    def event_log(self) -> list[LoggedEvent]:
        return list(self.router.log)

    @property
    def rest_log(self) -> list[RestExchange]:
        return list(self.server.rest_log)

    def events(self, type_: str | None = None) -> list[dict[str, Any]]:
        """Messages sent to applications, oldest first, optionally only one event type."""
        return [e.message for e in self.router.log if type_ is None or e.type == type_]

    def leaks(self) -> list[str]:
        """Channels and bridges still alive, described; empty once every call has been cleaned up."""
        found = [f"channel {c.id} {c.name} {c.state}" for c in self.pbx.channels.values()]
        found += [f"bridge {b.id} {b.bridge_type} {b.name!r}" for b in self.pbx.bridges.values()]
        return found

    def caller_channels(self) -> list[Channel]:
        return [c for c in self.pbx.channels.values() if c.kind == Kind.CALLER]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait (real seconds) until ``predicate()`` holds; TimeoutError otherwise.

        Polling, not an event: a predicate may look at anything (channels, logs, counters).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            if loop.time() > deadline:
                raise TimeoutError("condition not met in time")
            await asyncio.sleep(0.005)

    async def wait_for_event(
        self,
        type_: str,
        where: Callable[[dict[str, Any]], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - the tests' own deadline, not an I/O timeout
        since: int = 0,
    ) -> dict[str, Any]:
        """The first event of ``type_`` (at index >= ``since`` of the log) matching ``where``."""
        found: list[dict[str, Any]] = []

        def seen() -> bool:
            for entry in list(self.router.log)[since:]:
                if entry.type == type_ and (where is None or where(entry.message)):
                    found.append(entry.message)
                    return True
            return False

        await self.wait_for(seen, timeout)
        return found[0]

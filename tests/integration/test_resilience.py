"""Lost WebSockets, an Asterisk restart, and a daemon restart: callers are never dropped by us."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
import structlog.testing

from acd.app import Daemon
from acd.engine.inputs import Login, SetNotReady, SetReady
from acd.sim import PbxSimulator, PhoneBehaviour
from acd.snapshots import SnapshotStore
from acd.state.agent import AgentState
from acd.state.call import CallState

from .conftest import daemon_settings, eventually, ready_all, sim_is_clean, start_daemon
from .fault_proxy import FaultProxy

S = AgentState


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    prefix = f"acd-test-{uuid.uuid4().hex[:8]}:"
    yield prefix
    client = aioredis.Redis.from_url("redis://127.0.0.1:6379/0")
    keys = [k async for k in client.scan_iter(match=f"{prefix}*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


async def test_websocket_drop_while_caller_waits_then_resync(sim: PbxSimulator) -> None:
    proxy = FaultProxy(sim.base_url)
    await proxy.start()
    settings = daemon_settings(sim, agents=1)
    settings.ari.url = proxy.base_url
    daemon = await start_daemon(settings)
    try:
        daemon.runner.command(Login("agent1"))  # logged in, not ready: callers wait
        waiting = await sim.place_call(number="+15550001")
        gone = await sim.place_call(number="+15550002")
        await eventually(
            lambda: waiting in daemon.engine.calls and gone in daemon.engine.calls, what="both queued"
        )
        await proxy.drop_ws(refuse_for=0.5)
        await eventually(lambda: not daemon.session.connected, what="the daemon to notice")
        await sim.hangup(gone)  # while we cannot hear it
        await eventually(lambda: daemon.session.resyncs >= 2, timeout=5, what="reconnect and resync")
        assert gone not in daemon.engine.calls  # ended as an abandon by the resync
        assert daemon.engine.calls[waiting].state is CallState.QUEUED
        daemon.runner.command(SetReady("agent1"))
        await eventually(lambda: daemon.engine.calls[waiting].state is CallState.CONNECTED, what="connected")
        await sim.hangup(waiting)
        await eventually(lambda: sim_is_clean(sim), what="cleanup")
    finally:
        await daemon.stop()
        await proxy.stop()


async def test_asterisk_restart_during_a_call(sim: PbxSimulator) -> None:
    daemon = await start_daemon(daemon_settings(sim, agents=1))
    try:
        await ready_all(daemon)
        caller = await sim.place_call()
        await eventually(
            lambda: (
                caller in daemon.engine.calls and daemon.engine.calls[caller].state is CallState.CONNECTED
            ),
            what="connected",
        )
        await sim.restart_asterisk(down_for=0.3)
        await eventually(lambda: daemon.session.resyncs >= 2, timeout=5, what="reconnect after the restart")
        await eventually(lambda: not daemon.engine.calls, what="the call ended by the restart")
        agent = daemon.engine.agents["agent1"]
        await eventually(lambda: agent.state is S.READY, what="agent ready after wrap-up")
        assert "acd-queue-support" in sim.bridges  # recreated on reconnect
        second = await sim.place_call()
        engine = daemon.engine
        await eventually(
            lambda: (
                second in engine.call_by_channel
                and engine.calls[engine.call_by_channel[second]].state is CallState.CONNECTED
            ),
            what="a new call after the restart",
        )
        await sim.hangup(second)
        await eventually(lambda: sim_is_clean(sim), what="cleanup")
    finally:
        await daemon.stop()


async def test_daemon_killed_mid_run_and_a_new_one_takes_over(sim: PbxSimulator, redis_prefix: str) -> None:
    sim.set_behaviour("PJSIP/agent2", PhoneBehaviour.answer(0.5))
    settings = daemon_settings(sim, agents=2)
    settings.redis.key_prefix = redis_prefix

    def store() -> SnapshotStore:
        return SnapshotStore.from_url(settings.redis.url, redis_prefix, settings.ari.app)

    first = Daemon(settings, snapshots=store())
    await first.start()
    await eventually(first.session.resynced.is_set, what="first resync")
    await ready_all(first)
    first.runner.command(SetNotReady("agent1", "break"))
    talking = await sim.place_call(number="+15550000")
    await eventually(
        lambda: talking in first.engine.calls and first.engine.calls[talking].state is CallState.CONNECTED,
        what="agent2 talking",
    )
    waiting = [await sim.place_call(number=f"+1555000{n}") for n in (1, 2, 3)]
    await eventually(lambda: all(c in first.engine.calls for c in waiting), what="three callers queued")
    entered = {c: first.engine.calls[c].entered_at for c in waiting}
    await eventually(lambda: not first.runner.changed, timeout=2, what="a periodic snapshot")
    # Killed: no drain, no final snapshot; Asterisk keeps every caller.
    first.snapshots = None
    await first.stop()

    second = Daemon(settings, snapshots=store())
    await second.start()
    try:
        await eventually(second.session.resynced.is_set, what="the new daemon's resync")
        engine = second.engine
        assert engine.agents["agent2"].state is S.ON_CALL
        assert engine.agents["agent1"].state is S.NOT_READY
        assert [engine.calls[c].state for c in waiting] == [CallState.QUEUED] * 3
        assert {c: engine.calls[c].entered_at for c in waiting} == entered  # places kept
        # The connected call finishes normally under the new daemon.
        await sim.hangup(talking)
        await eventually(lambda: talking not in engine.calls, what="the talking call to end")
        # Callers are offered in their original order.
        sim.set_behaviour("PJSIP/agent1", PhoneBehaviour.answer(0.2, talk_time=0.5))
        sim.set_behaviour("PJSIP/agent2", PhoneBehaviour.answer(0.2, talk_time=0.5))
        second.runner.command(SetReady("agent1"))

        def offered() -> list[str]:
            return [
                r.params["appArgs"].split(",", 1)[1]
                for r in sim.rest_log
                if r.method == "POST" and r.params.get("appArgs", "").startswith("agent,")
            ]

        await eventually(lambda: set(waiting) <= set(offered()), timeout=10, what="every caller offered")
        assert [c for c in offered() if c in waiting] == waiting
        for call_id in waiting:
            await sim.hangup(call_id)
        await eventually(lambda: sim_is_clean(sim), timeout=10, what="cleanup")
    finally:
        await second.stop()


async def test_another_process_taking_the_app_makes_the_daemon_unready(sim: PbxSimulator) -> None:
    import aiohttp

    daemon = await start_daemon(daemon_settings(sim, agents=1))
    try:
        assert daemon.readiness()["ari"] is True
        auth = aiohttp.encode_basic_auth("acd", "acd")
        async with aiohttp.ClientSession(headers={"Authorization": auth}) as session:
            url = f"{sim.base_url.replace('http', 'ws', 1)}/ari/events?app=acd&subscribeAll=false"
            async with session.ws_connect(url):
                await eventually(lambda: daemon.session.replaced, what="ApplicationReplaced to reach us")
                assert daemon.readiness()["ari"] is False
    finally:
        await daemon.stop()


async def test_an_event_that_cannot_be_translated_is_counted_and_the_session_goes_on(
    sim: PbxSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    import acd.telephony.session as session_module
    from acd.ari.events import AriEvent
    from acd.telephony.translate import translate as real

    broken: list[str] = []

    def translate_failing_once(event: AriEvent) -> object:
        if event.type == "StasisStart" and not broken:
            broken.append(event.type)
            raise ValueError("a translation bug")
        return real(event)

    monkeypatch.setattr(session_module, "translate", translate_failing_once)
    daemon = await start_daemon(daemon_settings(sim, agents=1))
    try:
        await ready_all(daemon)
        await sim.place_call(number="+15550001")  # its StasisStart is lost to the bug
        second = await sim.place_call(number="+15550002")
        calls = daemon.engine.calls
        await eventually(
            lambda: second in calls and calls[second].state is CallState.CONNECTED, what="next call served"
        )
        unparsed = daemon.metrics.registry.get_sample_value(
            "acd_ari_events_unparsed_total", {"reason": "untranslatable"}
        )
        assert unparsed == 1
    finally:
        await daemon.stop()


async def test_a_stuck_shutdown_step_is_logged_and_skipped_not_waited_for_forever(
    sim: PbxSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    import acd.app as app_module

    monkeypatch.setattr(app_module, "STOP_STEP_SECONDS", 0.2)
    daemon = await start_daemon(daemon_settings(sim, agents=1))
    release = asyncio.Event()

    async def deaf_to_cancellation() -> None:
        while not release.is_set():
            try:
                await release.wait()
            except asyncio.CancelledError:
                continue  # a bug somewhere: the task will not end when asked

    daemon._spawn(deaf_to_cancellation(), "deaf")
    with structlog.testing.capture_logs() as logs:
        await asyncio.wait_for(daemon.stop(), timeout=5)  # returns: the stuck task was given up on
    release.set()
    stuck = [e for e in logs if e["event"] == "daemon.stop_stuck"]
    assert stuck == [{"event": "daemon.stop_stuck", "step": "task", "task": "deaf", "log_level": "error"}]

"""Replaying the app side of a recorded ARI trace against the simulator, and comparing the results.

A trace is what the app saw: events, its own REST exchanges (with Asterisk's answers) and its
WebSocket's fate. The replay sends the same requests in the same order, with the recorded ids
mapped to the simulator's, and issues request *k* only once the simulator has sent at least as
many events as the app had received before request *k* in the recording (causality, not clock
time: the scripted phones and callers keep their recorded timing, scaled down).

Comparison is by *signature* (event type plus the fields that carry meaning: variable, dialstatus,
cause, cause_txt, tech_cause, soft, channel state and dialplan application, bridge type and
technology, contact status...) and by *shape* (same keys in the same order, recursively, same
value types). Values that differ by nature (ids, timestamps, SIP call ids, names with counters)
are not compared.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from acd.sim import PbxSimulator
from tests.sim.probe import AriProbe, Event

Signature = tuple[Any, ...]

# The orders in which Asterisk reported an originated leg starting to ring (traces a/c/d/e/j,
# b/g and f): Dial with an empty status, the leg's ChannelStateChange to Ringing, Dial RINGING.
# Their relative order depends on thread timing; any recorded order is accepted.
_RINGING_ORDERS = (
    ("Dial:", "ChannelStateChange:Ringing", "Dial:RINGING"),
    ("Dial:", "Dial:RINGING", "ChannelStateChange:Ringing"),
    ("ChannelStateChange:Ringing", "Dial:", "Dial:RINGING"),
)


def signature(event: Event) -> Signature:
    """What must match between the trace and the simulator for one event."""
    ch = event.get("channel") or event.get("peer") or {}
    dialplan = ch.get("dialplan", {})
    bridge = event.get("bridge") or {}
    contact = event.get("contact_info") or {}
    value = event.get("value") if event.get("variable") == "STASISSTATUS" else None
    return (
        event["type"],
        event.get("variable"),
        value,
        event.get("dialstatus"),
        event.get("cause"),
        event.get("cause_txt"),
        event.get("tech_cause"),
        event.get("soft"),
        ch.get("state"),
        dialplan.get("app_name"),
        bridge.get("bridge_type"),
        bridge.get("technology"),
        contact.get("contact_status"),
        (event.get("endpoint") or {}).get("state"),
        tuple(event["args"][:1]) if "args" in event else None,
    )


def _ring_key(sig: Signature) -> str:
    if sig[0] == "Dial":
        return f"Dial:{sig[3]}"
    if sig[0] == "ChannelStateChange":
        return f"ChannelStateChange:{sig[8]}"
    return ""


def normalize(sigs: list[Signature]) -> list[Signature]:
    """Replace each recorded ringing interleaving by one marker, so all recorded variants compare equal."""
    out: list[Signature] = []
    i = 0
    while i < len(sigs):
        window = tuple(_ring_key(s) for s in sigs[i : i + 3])
        if window in _RINGING_ORDERS:
            out.append(("<leg starts ringing>",))
            i += 3
        else:
            out.append(sigs[i])
            i += 1
    return out


def shape_mismatches(ours: Any, theirs: Any, path: str = "$") -> list[str]:
    """Where ``ours`` differs from ``theirs`` in keys, key order or value types (empty: same shape).

    An empty list matches any list: a bridge's channel list or an endpoint's channel_ids is empty
    or not depending on the moment, not on the format.
    """
    if isinstance(ours, dict) and isinstance(theirs, dict):
        if list(ours) != list(theirs):
            return [f"{path}: keys {list(ours)} != recorded {list(theirs)}"]
        found: list[str] = []
        for key in ours:
            found += shape_mismatches(ours[key], theirs[key], f"{path}.{key}")
        return found
    if isinstance(ours, list) and isinstance(theirs, list):
        if not ours or not theirs:
            return []
        found = []
        for item in ours:
            found += shape_mismatches(item, theirs[0], f"{path}[]")
        return found
    if type(ours) is not type(theirs):
        return [f"{path}: {type(ours).__name__} != recorded {type(theirs).__name__}"]
    return []


@dataclass
class Replay:
    """Everything a replay produced, for the test to compare with the recording."""

    trace: list[dict[str, Any]]
    events: list[Event] = field(default_factory=list)
    rest: list[tuple[dict[str, Any], int, Any]] = field(default_factory=list)  # (recorded, status, body)
    close_codes: list[int | None] = field(default_factory=list)

    def trace_events(self) -> list[Event]:
        return [r["event"] for r in self.trace if r["kind"] == "event"]


class IdMap:
    """Recorded ids -> the simulator's, learnt from StasisStart events and REST answers."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}

    def learn(self, recorded: Any, ours: Any) -> None:
        if isinstance(recorded, dict) and isinstance(ours, dict) and "id" in recorded and "id" in ours:
            self.ids[recorded["id"]] = ours["id"]

    def apply(self, text: str) -> str:
        for old in sorted(self.ids, key=len, reverse=True):
            text = text.replace(old, self.ids[old])
        return text


async def replay(
    sim: PbxSimulator,
    trace: list[dict[str, Any]],
    *,
    timed_actions: Sequence[tuple[float, Callable[[], Awaitable[None] | None]]] = (),
    on_note: Callable[[str], None] | None = None,
    wait: float = 3.0,
) -> Replay:
    """Replay the app side of ``trace`` against ``sim`` (see the module docstring)."""
    result = Replay(trace)
    ids = IdMap()
    probe = AriProbe(sim.base_url)
    loop = asyncio.get_running_loop()
    start = loop.time()
    pending: list[asyncio.Task[Any]] = []
    # A scripted action (a phone registering, a caller dialling) happens only after the app's
    # requests recorded before it are answered: at SCALE a few ms of real request latency would
    # otherwise let e.g. trace i's registration overtake its endpoint subscription.
    rest_times = [r["t"] for r in trace if r["kind"] == "rest"]
    rest_done = 0
    rest_progress = asyncio.Event()

    async def run_later(delay: float, action: Callable[[], Awaitable[None] | None]) -> None:
        needed = sum(1 for t in rest_times if t < delay)
        while rest_done < needed:
            rest_progress.clear()
            await rest_progress.wait()
        await asyncio.sleep(max(0.0, start + sim.clock.real(delay) - loop.time()))
        outcome = action()
        if outcome is not None:
            await outcome

    try:
        await probe.connect()
        pending += [asyncio.create_task(run_later(t, a)) for t, a in timed_actions]
        recorded_events = 0
        recorded_starts = [
            r["event"] for r in trace if r["kind"] == "event" and r["event"]["type"] == "StasisStart"
        ]
        for record in trace:
            kind = record["kind"]
            if kind == "event":
                recorded_events += 1
                continue
            await probe.wait_count(recorded_events, within=wait)
            # Never earlier than recorded (scaled): keeps the app's think time, e.g. trace k's
            # second between the caller leaving and DELETE /bridges.
            await asyncio.sleep(max(0.0, start + sim.clock.real(record["t"]) - loop.time()))
            _learn_channels(ids, recorded_starts, probe.events)
            if kind == "rest":
                params = {k: ids.apply(str(v)) for k, v in record["params"].items()}
                status, body = await probe.call(record["method"], ids.apply(record["path"]), params)
                result.rest.append((record, status, body))
                ids.learn(record["body"], body)
                rest_done += 1
                rest_progress.set()
            elif kind == "ws" and record["msgtype"] == "closed by the app":
                await probe.disconnect()
            elif kind == "ws" and record["msgtype"] == "closed":
                result.close_codes.append(await probe.wait_closed())
            elif kind == "ws" and record["msgtype"] == "reconnected":
                await probe.connect(retry_for=wait)
            elif kind == "note" and on_note is not None:
                on_note(record["text"])
        total = sum(1 for r in trace if r["kind"] == "event")
        with contextlib.suppress(TimeoutError):
            await probe.wait_count(total, within=wait)
        await asyncio.sleep(0.1)  # anything the simulator sends beyond the recording shows up too
        result.events = list(probe.events)
    finally:
        for task in pending:
            task.cancel()
        await probe.close()
    return result


def _learn_channels(ids: IdMap, recorded_starts: list[Event], ours: list[Event]) -> None:
    """Pair the n-th recorded StasisStart with the n-th one the simulator sent."""
    starts = [e for e in ours if e["type"] == "StasisStart"]
    for recorded, mine in zip(recorded_starts, starts, strict=False):
        ids.learn(recorded["channel"], mine["channel"])

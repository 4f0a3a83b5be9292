"""The snapshot's incremental JSON must always decode to exactly the snapshot it was given."""

from __future__ import annotations

import json

from acd.config import AgentSettings, EngineSettings, QueueSettings
from acd.engine.core import Engine, profile_from_settings
from acd.engine.inputs import Input, Login, Logout, SetNotReady, SetReady, UpsertAgent
from acd.snapshots import SnapshotEncoder


def test_each_encoding_decodes_to_the_snapshot_as_agents_change() -> None:
    engine = Engine([QueueSettings(name="support")], EngineSettings())
    encoder = SnapshotEncoder()
    now = 1_700_000_000.0
    for n in range(5):
        agent = AgentSettings(agent_id=f"a{n}", endpoint=f"PJSIP/a{n}", queues={"support": 1})
        engine.handle(UpsertAgent(profile_from_settings(agent)), now)
        engine.handle(Login(f"a{n}"), now)
    steps: list[Input] = [
        SetReady("a0"),
        SetReady("a1"),
        SetNotReady("a1", "lunch"),
        Logout("a2"),  # leaves the snapshot
        SetReady("a3"),
        Login("a2"),  # comes back
    ]
    assert json.loads(encoder.encode(engine.export_snapshot())) == engine.export_snapshot()
    for step in steps:
        now += 1.5
        engine.handle(step, now)
        snapshot = engine.export_snapshot()
        assert json.loads(encoder.encode(snapshot)) == snapshot


def test_calls_come_and_go_and_change() -> None:
    encoder = SnapshotEncoder()
    call = {"call_id": "c1", "state": "queued", "offers": [], "entered_at": 1.5}
    steps: list[list[dict[str, object]]] = [
        [call],
        [call, {"call_id": "c2", "state": "queued", "offers": [], "entered_at": 2.0}],
        [{**call, "state": "offered", "offers": [["leg", "a1", 3.0]]}],
        [],
        [call],
    ]
    for calls in steps:
        snapshot = {"version": 3, "agents": {"a1": {"state": "ready"}}, "calls": calls, "segments": {}}
        assert json.loads(encoder.encode(snapshot)) == snapshot


def test_odd_shapes_still_encode_exactly() -> None:
    encoder = SnapshotEncoder()
    odd: list[dict[str, object]] = [
        {},
        {"agents": {}},
        {"version": 1},
        {"agents": {'a"\\': {"x": None}}, "calls": []},
        {"agents": {}, "calls": [{"no_id": 1}]},
        {"agents": {}, "calls": [{"call_id": "c", "x": 1}, {"call_id": "c", "x": 2}]},
    ]
    for snapshot in odd:
        assert json.loads(encoder.encode(snapshot)) == snapshot

"""The snapshot's incremental JSON must always decode to exactly the snapshot it was given."""

from __future__ import annotations

import json

from acd.config import AgentSettings, EngineSettings, QueueSettings
from acd.engine.core import Engine, profile_from_settings
from acd.engine.inputs import Login, Logout, SetNotReady, SetReady, UpsertAgent
from acd.snapshots import SnapshotEncoder


def test_each_encoding_decodes_to_the_snapshot_as_agents_change() -> None:
    engine = Engine([QueueSettings(name="support")], EngineSettings())
    encoder = SnapshotEncoder()
    now = 1_700_000_000.0
    for n in range(5):
        agent = AgentSettings(agent_id=f"a{n}", endpoint=f"PJSIP/a{n}", queues={"support": 1})
        engine.handle(UpsertAgent(profile_from_settings(agent)), now)
        engine.handle(Login(f"a{n}"), now)
    steps = [
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


def test_odd_shapes_still_encode_exactly() -> None:
    encoder = SnapshotEncoder()
    for snapshot in ({}, {"agents": {}}, {"version": 1}, {"agents": {'a"\\': {"x": None}}, "calls": []}):
        assert json.loads(encoder.encode(snapshot)) == snapshot

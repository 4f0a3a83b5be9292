"""The engine's own records (a varied morning on the sans-I/O engine) all fit the schema, and the
reports read them back as the engine lived them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from acd.config import DatabaseSettings, QueueSettings
from acd.engine.effects import AgentActivityRecord, CallEventRecord, CallRecord
from acd.engine.inputs import (
    ChannelGone,
    DtmfReceived,
    HangupCall,
    HoldCall,
    LegAnswered,
    Login,
    Logout,
    OutboundRequested,
    SetNotReady,
    SetReady,
    TransferCall,
    UnholdCall,
)
from acd.metrics import Metrics
from acd.store import reports
from acd.store.outbox import Outbox
from tests.engine.harness import Harness

T0 = datetime(2025, 3, 4, 9, 0, tzinfo=UTC).timestamp()


def a_morning() -> Harness:
    h = Harness(
        queues=[
            QueueSettings(
                name="support", max_wait=60, overflow="queue:backup", exit_key="9", wrapup_seconds=5
            ),
            QueueSettings(name="backup"),
            QueueSettings(name="sales"),
        ],
        now=T0,
    )
    h.add_agent("alice", {"support": 1, "sales": 1})
    h.add_agent("bob", {"backup": 1, "sales": 1}, ready=False)
    h.feed(Login("bob"))
    # c1: alice answers after 3 s, holds 10 s, blind-transfers to sales; bob takes c1#2.
    h.caller("c1", number="+1 555 0100")
    h.advance(3)
    h.answer(h.last_originate_to("alice").leg_id)
    h.advance(20)
    h.feed(HoldCall("alice", "c1"))
    h.advance(10)
    h.feed(UnholdCall("alice", "c1"))
    h.advance(15)
    h.feed(TransferCall("alice", "c1", "queue", "sales"))
    h.feed(SetReady("bob"))
    h.advance(2)
    h.answer(h.last_originate_to("bob").leg_id)
    h.advance(30)
    h.feed(ChannelGone("c1", 16, "Normal Clearing"))
    h.advance(20)  # wrap-ups end
    h.feed(SetNotReady("alice", "break"))
    # c2: nobody in support is ready; the caller hangs up after 2 s (a short abandon).
    h.caller("c2")
    h.advance(2)
    h.gone("c2")
    # c3: waits 60 s, overflows to backup; bob rejects, then answers after his back-off.
    h.caller("c3")
    h.advance(61)
    h.feed(ChannelGone(h.last_originate_to("bob").leg_id, 21, "Call Rejected"))
    h.advance(6)
    h.answer(h.last_originate_to("bob").leg_id)
    h.advance(20)
    h.feed(HangupCall("bob", "c3#2"))
    # c4: presses the exit key.
    h.caller("c4")
    h.advance(4)
    h.feed(DtmfReceived("c4", "9"))
    # alice dials out while on break.
    h.feed(OutboundRequested("o1", "PJSIP/alice", "+15550199"))
    dial = h.originates()[-1]
    h.advance(5)
    h.feed(LegAnswered(dial.leg_id, "dialed", "o1"))
    h.advance(30)
    h.feed(ChannelGone(dial.leg_id, 16, "Normal Clearing"))
    h.advance(30)
    h.feed(Logout("alice"))
    h.feed(Logout("bob"))
    return h


async def test_the_engines_records_fit_the_schema_and_read_back_in_reports(
    conn: Any, db_settings: DatabaseSettings
) -> None:
    h = a_morning()
    records = [e for e in h.effects if isinstance(e, AgentActivityRecord | CallEventRecord | CallRecord)]
    async with Outbox(db_settings, Metrics()) as outbox:
        for record in records:
            outbox.submit(record)
        assert await outbox.drain(within=10)
        assert outbox.stats.rejected == 0  # no CHECK refuses anything the engine produces
    events = sum(isinstance(r, CallEventRecord) for r in records)
    activities = sum(isinstance(r, AgentActivityRecord) for r in records)
    assert await conn.fetchval("SELECT count(*) FROM cc_call_events") == events
    assert await conn.fetchval("SELECT count(*) FROM cc_agent_activities") == activities
    finals = {r.call_id: r for r in records if isinstance(r, CallRecord)}
    rows = {r["call_id"]: r for r in await conn.fetch("SELECT * FROM cc_calls")}
    assert set(rows) == set(finals) == {"c1", "c1#2", "c2", "c3", "c3#2", "c4", "o1"}
    for call_id, final in finals.items():
        assert rows[call_id]["version"] == final.version
        assert rows[call_id]["end_reason"] == final.end_reason
    assert rows["c1#2"]["transferred_from"] == "c1"
    assert rows["o1"]["direction"] == "outbound" and rows["o1"]["number"] == "+15550199"
    states = dict(await conn.fetch("SELECT agent_id, state FROM cc_agents"))  # placeholders, kept current
    assert states == {"alice": "logged-out", "bob": "logged-out"}

    start = datetime.fromtimestamp(T0, UTC)
    by_queue = {
        r["queue"]: r
        for r in await reports.queue_report(
            conn, start=start, end=start + timedelta(hours=1), interval=timedelta(hours=1)
        )
    }
    support = by_queue["support"]
    assert (support["offered"], support["answered"], support["abandoned"], support["short_abandoned"]) == (
        4,
        1,
        1,
        1,
    )
    assert support["exited_by_reason"] == {"timeout": 1, "exit-key": 1}
    assert (support["handled"], support["transfer_rate"], support["hold_rate"]) == (1, 1.0, 1.0)
    assert support["asa"] == 3.0 and support["avg_hold"] == 10.0 and support["avg_wrapup"] == 5.0
    assert (by_queue["sales"]["offered"], by_queue["sales"]["answered"], by_queue["sales"]["asa"]) == (
        1,
        1,
        2.0,
    )
    assert (by_queue["backup"]["offered"], by_queue["backup"]["answered"]) == (1, 1)
    assert by_queue["backup"]["asa"] == 7.0  # rejected, 5 s back-off, answered 1 s later: ring time counts

    agents = {
        r["agent_id"]: r
        for r in await reports.agent_report(
            conn, start=start, end=start + timedelta(hours=1), interval=timedelta(hours=1)
        )
    }
    assert (agents["alice"]["offers"], agents["alice"]["rona_rate"]) == (1, 0.0)
    assert (agents["bob"]["offers"], agents["bob"]["offers_rejected"], agents["bob"]["rona_rate"]) == (
        3,
        1,
        1 / 3,
    )
    # Every second of alice's session is in exactly one state.
    alice = agents["alice"]
    parts = (
        alice["ready"]
        + alice["not_ready"]
        + alice["offered_time"]
        + alice["talk"]
        + alice["hold"]
        + alice["wrapup"]
    )
    assert abs(parts - alice["logged_in"]) < 1e-6 and alice["hold"] == 10.0

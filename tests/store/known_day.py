"""A known morning in queue "support" (2025-03-03, UTC), as the engine would have recorded it.

Every figure of test_reports.py is computed by hand from this timeline; the comments here are
the facts the arithmetic there uses. Interval names: A = 09:00-09:15, B = 09:15-09:30,
C = 09:30-09:45, D = 09:45-10:00.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.store.factories import activity, call, event

DAY = datetime(2025, 3, 3, tzinfo=UTC)


def at(hms: str) -> float:
    h, m, s = (int(x) for x in hms.split(":"))
    return DAY.replace(hour=h, minute=m, second=s).timestamp()


def answered_call(
    cid: str,
    agent: str,
    entered: str,
    answered: str,
    ended: str,
    *,
    talk: float,
    hold: float,
    wrapup: float,
    queue: str = "support",
    end_reason: str = "completed-by-caller",
    started: str | None = None,
    version: int = 5,
    **extra: Any,
) -> Any:
    wait = at(answered) - at(entered)
    return call(
        cid,
        version,
        started_at=at(started or entered),
        queue=queue,
        state="ended",
        end_reason=end_reason,
        agent_id=agent,
        queued_at=at(entered),
        first_queued_at=at(started or entered),
        answered_at=at(answered),
        ended_at=at(ended),
        wait_seconds=wait,
        talk_seconds=talk,
        hold_seconds=hold,
        wrapup_seconds=wrapup,
        duration=at(ended) - at(started or entered),
        **extra,
    )


def unanswered_call(
    cid: str, entered: str, ended: str, end_reason: str, exit_reason: str | None = None
) -> Any:
    return call(
        cid,
        3,
        started_at=at(entered),
        state="ended",
        end_reason=end_reason,
        exit_reason=exit_reason,
        ended_at=at(ended),
        wait_seconds=at(ended) - at(entered),
        duration=at(ended) - at(entered),
    )


def ev(cid: str, kind: str, hms: str, agent: str | None = None, queue: str = "support", **data: Any) -> Any:
    return event(cid, kind, at(hms), queue=queue, agent_id=agent, **data)


def calls() -> list[Any]:
    r: list[Any] = []
    # c0: entered 08:59:59 (before the 15-minute report), answered by dave after 2 s; talk 30.
    r += [
        ev("c0", "entered-queue", "08:59:59"),
        ev("c0", "offered", "08:59:59", "dave", leg_id="l0"),
        ev("c0", "answered", "09:00:01", "dave", wait=2.0, leg_id="l0"),
        ev("c0", "ended", "09:00:31", "dave", reason="completed-by-caller"),
        answered_call("c0", "dave", "08:59:59", "09:00:01", "09:00:31", talk=30, hold=0, wrapup=0),
    ]
    # --- A
    # c1: alice answers after 10 s; talk 100, wrap-up 10.
    r += [
        ev("c1", "entered-queue", "09:00:00"),
        ev("c1", "offered", "09:00:00", "alice", leg_id="l1"),
        ev("c1", "answered", "09:00:10", "alice", wait=10.0, leg_id="l1"),
        ev("c1", "ended", "09:01:50", "alice", reason="completed-by-caller"),
        ev("c1", "wrapup-ended", "09:02:00", "alice", seconds=10.0, disposition=None),
        answered_call("c1", "alice", "09:00:00", "09:00:10", "09:01:50", talk=100, hold=0, wrapup=10),
    ]
    # c2: alice rejects, bob answers after 25 s; talk 200 and one hold of 30; wrap-up 20.
    r += [
        ev("c2", "entered-queue", "09:02:00"),
        ev("c2", "offered", "09:02:05", "alice", leg_id="l2a"),
        ev("c2", "rejected", "09:02:10", "alice", leg_id="l2a", detail="21 rejected"),
        ev("c2", "offered", "09:02:15", "bob", leg_id="l2b"),
        ev("c2", "answered", "09:02:25", "bob", wait=25.0, leg_id="l2b"),
        ev("c2", "held", "09:03:00", "bob", by_phone=False),
        ev("c2", "unheld", "09:03:30", "bob", hold_seconds=30.0),
        ev("c2", "ended", "09:06:15", "bob", reason="completed-by-caller"),
        answered_call("c2", "bob", "09:02:00", "09:02:25", "09:06:15", talk=200, hold=30, wrapup=20),
    ]
    # c3: abandoned after 3 s (short).
    r += [
        ev("c3", "entered-queue", "09:05:00"),
        ev("c3", "abandoned", "09:05:03", wait=3.0, short=True),
        ev("c3", "ended", "09:05:03", reason="abandoned"),
        unanswered_call("c3", "09:05:00", "09:05:03", "abandoned"),
    ]
    # c4: carol's phone rings out, the caller abandons after 40 s.
    r += [
        ev("c4", "entered-queue", "09:10:00"),
        ev("c4", "offered", "09:10:05", "carol", leg_id="l4"),
        ev("c4", "rang-out", "09:10:20", "carol", leg_id="l4", detail="19 no answer"),
        ev("c4", "abandoned", "09:10:40", wait=40.0, short=False),
        ev("c4", "ended", "09:10:40", reason="abandoned"),
        unanswered_call("c4", "09:10:00", "09:10:40", "abandoned"),
    ]
    # c5: entered 09:14:50 (A), alice answers at 09:15:05 (in B: the call stays in A), talk 60,
    # blind transfer to queue sales at 09:16:05, wrap-up 5. Its successor c5#2 is a sales call.
    r += [
        ev("c5", "entered-queue", "09:14:50"),
        ev("c5", "offered", "09:14:55", "alice", leg_id="l5"),
        ev("c5", "answered", "09:15:05", "alice", wait=15.0, leg_id="l5"),
        ev("c5", "transferred", "09:16:05", "alice", to_kind="queue", to="sales"),
        ev("c5", "ended", "09:16:05", "alice", reason="transferred"),
        ev("c5", "wrapup-ended", "09:16:10", "alice", seconds=5.0, disposition="moved"),
        answered_call(
            "c5",
            "alice",
            "09:14:50",
            "09:15:05",
            "09:16:05",
            talk=60,
            hold=0,
            wrapup=5,
            end_reason="transferred",
        ),
    ]
    r += [
        ev("c5#2", "entered-queue", "09:16:05", queue="sales"),
        ev("c5#2", "offered", "09:16:05", "dave", queue="sales", leg_id="l5b"),
        ev("c5#2", "answered", "09:16:09", "dave", queue="sales", wait=4.0, leg_id="l5b"),
        answered_call(
            "c5#2",
            "dave",
            "09:16:05",
            "09:16:09",
            "09:20:00",
            talk=231,
            hold=0,
            wrapup=0,
            queue="sales",
            started="09:14:50",
            transferred_from="c5",
        ),
    ]
    # --- B
    # c6: nobody takes it; max-wait exit after 120 s.
    r += [
        ev("c6", "entered-queue", "09:16:00"),
        ev("c6", "exited", "09:18:00", reason="timeout", wait=120.0),
        ev("c6", "ended", "09:18:00", reason="timeout"),
        unanswered_call("c6", "09:16:00", "09:18:00", "timeout", "timeout"),
    ]
    # c7: bob answers after 5 s; talk 90, two holds of 10 (hold 20), no wrap-up.
    r += [
        ev("c7", "entered-queue", "09:20:00"),
        ev("c7", "offered", "09:20:00", "bob", leg_id="l7"),
        ev("c7", "answered", "09:20:05", "bob", wait=5.0, leg_id="l7"),
        ev("c7", "held", "09:20:35", "bob"),
        ev("c7", "unheld", "09:20:45", "bob"),
        ev("c7", "held", "09:21:15", "bob"),
        ev("c7", "unheld", "09:21:25", "bob"),
        ev("c7", "ended", "09:21:55", "bob", reason="completed-by-agent"),
        answered_call(
            "c7",
            "bob",
            "09:20:00",
            "09:20:05",
            "09:21:55",
            talk=90,
            hold=20,
            wrapup=0,
            end_reason="completed-by-agent",
        ),
    ]
    # c8: rings alice from 09:25:10; the caller hangs up at 09:25:20 after exactly 20 s.
    r += [
        ev("c8", "entered-queue", "09:25:00"),
        ev("c8", "offered", "09:25:10", "alice", leg_id="l8"),
        ev("c8", "offer-canceled", "09:25:20", "alice", leg_id="l8", detail=""),
        ev("c8", "abandoned", "09:25:20", wait=20.0, short=False),
        ev("c8", "ended", "09:25:20", reason="abandoned"),
        unanswered_call("c8", "09:25:00", "09:25:20", "abandoned"),
    ]
    # --- C
    # c9: alice answers after exactly 20 s; talk 50, wrap-up 10.
    r += [
        ev("c9", "entered-queue", "09:31:00"),
        ev("c9", "offered", "09:31:00", "alice", leg_id="l9"),
        ev("c9", "answered", "09:31:20", "alice", wait=20.0, leg_id="l9"),
        ev("c9", "ended", "09:32:10", "alice", reason="completed-by-caller"),
        answered_call("c9", "alice", "09:31:00", "09:31:20", "09:32:10", talk=50, hold=0, wrapup=10),
    ]
    # c10: bob's offer is withdrawn (he went not ready), the caller presses the exit key after 8 s.
    r += [
        ev("c10", "entered-queue", "09:40:00"),
        ev("c10", "offered", "09:40:02", "bob", leg_id="l10"),
        ev("c10", "offer-withdrawn", "09:40:05", "bob", reason="agent-not-ready"),
        ev("c10", "exited", "09:40:08", reason="exit-key", wait=8.0),
        ev("c10", "ended", "09:40:08", reason="exited"),
        unanswered_call("c10", "09:40:00", "09:40:08", "exited", "exit-key"),
    ]
    # --- D
    # c11: entered 09:50, still waiting.
    r += [ev("c11", "entered-queue", "09:50:00"), call("c11", 1, started_at=at("09:50:00"))]
    return r


def activities() -> list[Any]:
    def a(agent: str, frm: str, to: str, hms: str, reason: str | None = None) -> Any:
        return activity(agent, frm, to, at(hms), reason=reason)

    alice = [
        a("alice", "logged-out", "not-ready", "08:50:00", "login"),
        a("alice", "not-ready", "ready", "08:55:00"),
        a("alice", "ready", "offered", "09:00:00"),
        a("alice", "offered", "on-call", "09:00:10"),
        a("alice", "on-call", "wrap-up", "09:01:50"),
        a("alice", "wrap-up", "ready", "09:02:00"),
        a("alice", "ready", "offered", "09:02:05"),
        a("alice", "offered", "ready", "09:02:10"),
        a("alice", "ready", "offered", "09:14:55"),  # rings across the 09:15 boundary
        a("alice", "offered", "on-call", "09:15:05"),
        a("alice", "on-call", "wrap-up", "09:16:05"),
        a("alice", "wrap-up", "not-ready", "09:16:10", "break"),
        a("alice", "not-ready", "ready", "09:25:00"),
        a("alice", "ready", "offered", "09:25:10"),
        a("alice", "offered", "ready", "09:25:20"),
        a("alice", "ready", "offered", "09:31:00"),
        a("alice", "offered", "on-call", "09:31:20"),
        a("alice", "on-call", "wrap-up", "09:32:10"),
        a("alice", "wrap-up", "not-ready", "09:32:20", "lunch"),  # lunch spans C, D and past 10:00
        a("alice", "not-ready", "logged-out", "10:30:00"),
    ]
    bob = [
        a("bob", "logged-out", "not-ready", "08:58:00", "login"),
        a("bob", "not-ready", "ready", "09:00:00"),
        a("bob", "ready", "offered", "09:02:15"),
        a("bob", "offered", "on-call", "09:02:25"),
        a("bob", "on-call", "on-hold", "09:03:00"),
        a("bob", "on-hold", "on-call", "09:03:30"),
        a("bob", "on-call", "wrap-up", "09:06:15"),
        a("bob", "wrap-up", "ready", "09:06:35"),  # ready across the 09:15 boundary
        a("bob", "ready", "offered", "09:20:00"),
        a("bob", "offered", "on-call", "09:20:05"),
        a("bob", "on-call", "on-hold", "09:20:35"),
        a("bob", "on-hold", "on-call", "09:20:45"),
        a("bob", "on-call", "on-hold", "09:21:15"),
        a("bob", "on-hold", "on-call", "09:21:25"),
        a("bob", "on-call", "ready", "09:21:55"),
        a("bob", "ready", "offered", "09:40:02"),
        a("bob", "offered", "not-ready", "09:40:05", "break"),  # break spans C and D
        a("bob", "not-ready", "logged-out", "09:50:00"),
    ]
    carol = [
        a("carol", "logged-out", "not-ready", "09:10:00", "login"),
        a("carol", "not-ready", "ready", "09:10:01"),
        a("carol", "ready", "offered", "09:10:05"),
        a("carol", "offered", "ready", "09:10:20"),
        a("carol", "ready", "logged-out", "09:10:30"),
    ]
    return alice + bob + carol

"""Reports over a known morning (known_day.py), every figure computed by hand below."""

from __future__ import annotations

import argparse
import csv
import json
from datetime import timedelta
from typing import Any

import pytest

from acd.config import DatabaseSettings, Settings
from acd.metrics import Metrics
from acd.store import admin, reports
from acd.store.outbox import Outbox
from tests.store import known_day
from tests.store.known_day import DAY

NINE = DAY.replace(hour=9)
M15 = timedelta(minutes=15)


@pytest.fixture
async def day(conn: Any, db_settings: DatabaseSettings) -> Any:
    """The known morning, written through the outbox like the engine's records."""
    async with Outbox(db_settings, Metrics()) as outbox:
        for record in known_day.calls() + known_day.activities():
            outbox.submit(record)
        assert await outbox.drain(within=10)
        assert outbox.stats.rejected == 0
    return conn


def check(row: dict[str, Any], expected: dict[str, Any]) -> None:
    """Every expected figure, floats to 1e-6; keys not listed are not checked."""
    for key, want in expected.items():
        got = row[key]
        if isinstance(want, float):
            assert got == pytest.approx(want, abs=1e-6), key
        elif isinstance(want, dict):
            assert got.keys() == want.keys(), key
            for sub, value in want.items():
                assert got[sub] == pytest.approx(value, abs=1e-6), f"{key}.{sub}"
        else:
            assert got == want, key


NULL_QUEUE_RATES = dict.fromkeys(
    ["asa", "avg_time_to_abandon", "aht", "avg_talk", "avg_hold", "avg_wrapup", "transfer_rate", "hold_rate",
     "wait_answered_p50", "wait_answered_p90", "wait_answered_p95", "wait_answered_max", "wait_abandoned_p50",
     "wait_abandoned_p90", "wait_abandoned_p95", "wait_abandoned_max"]
)  # fmt: skip


async def test_queue_report_every_15_minutes(day: Any) -> None:
    rows = await reports.queue_report(day, start=NINE, end=NINE + 4 * M15, interval=M15, queues=["support"])
    assert [(r["queue"], r["interval_start"]) for r in rows] == [
        ("support", NINE + i * M15) for i in range(4)
    ]
    a, b, c, d = rows
    # A: c1 (answered, wait 10), c2 (answered, 25), c3 (abandoned, 3: short), c4 (abandoned, 40),
    # c5 (entered 09:14:50, answered 09:15:05 in B, wait 15: it counts in A, where it entered).
    # c0 entered 08:59:59, before the report: not counted.
    check(a, {
        "offered": 5, "answered": 3, "abandoned": 2, "short_abandoned": 1, "exited": 0,
        "exited_by_reason": {}, "failed": 0, "waiting": 0,
        "answered_within_sl": 2,          # waits 10 and 15 are <= 20; 25 is not
        "abandoned_within_sl": 1,         # 3 <= 20; 40 is not
        "service_level": 2 / (5 - 1),     # A_T / (O - Ab_s) = 0.5
        "service_level_answered": 2 / 3,  # A_T / A
        "service_level_sl2": (2 + 1) / (3 + 2),  # (A_T + Ab_T) / (A + Ab) = 0.6
        "asa": (10 + 25 + 15) / 3,        # 16.667
        "avg_time_to_abandon": (3 + 40) / 2,  # 21.5
        "abandon_rate": 2 / 5,
        "adjusted_abandon_rate": (2 - 1) / (5 - 1),  # 0.25
        "answer_rate": 3 / 5,
        "handled": 3,                     # c1, c2, c5: wrap-up over
        "aht": ((100 + 200 + 60) + (0 + 30 + 0) + (10 + 20 + 5)) / 3,  # 425 / 3
        "avg_talk": 360 / 3, "avg_hold": 30 / 3, "avg_wrapup": 35 / 3,
        # answered waits sorted 10, 15, 25 (continuous percentiles: rank p * (n - 1))
        "wait_answered_p50": 15.0,
        "wait_answered_p90": 15 + 0.8 * (25 - 15),   # rank 1.8 -> 23
        "wait_answered_p95": 15 + 0.9 * (25 - 15),   # rank 1.9 -> 24
        "wait_answered_max": 25.0,
        # abandoned waits 3, 40
        "wait_abandoned_p50": 3 + 0.5 * 37,   # 21.5
        "wait_abandoned_p90": 3 + 0.9 * 37,   # 36.3
        "wait_abandoned_p95": 3 + 0.95 * 37,  # 38.15
        "wait_abandoned_max": 40.0,
        "transferred": 1, "transfer_rate": 1 / 3,  # c5
        "held_calls": 1, "hold_rate": 1 / 3,       # c2
    })  # fmt: skip
    # B: c6 (exited: timeout after 120), c7 (answered after 5; two holds, 20 s), c8 (abandoned
    # after exactly 20: within SL, not short).
    check(b, {
        "offered": 3, "answered": 1, "abandoned": 1, "short_abandoned": 0, "exited": 1,
        "exited_by_reason": {"timeout": 1},
        "answered_within_sl": 1, "abandoned_within_sl": 1,
        "service_level": 1 / 3, "service_level_answered": 1.0, "service_level_sl2": (1 + 1) / (1 + 1),
        "asa": 5.0, "avg_time_to_abandon": 20.0,
        "abandon_rate": 1 / 3, "adjusted_abandon_rate": (1 - 0) / (3 - 0), "answer_rate": 1 / 3,
        "handled": 1, "aht": 90 + 20 + 0.0, "avg_talk": 90.0, "avg_hold": 20.0, "avg_wrapup": 0.0,
        "wait_answered_p50": 5.0, "wait_answered_p95": 5.0, "wait_answered_max": 5.0,
        "wait_abandoned_p50": 20.0, "wait_abandoned_max": 20.0,
        "transfer_rate": 0.0,
        "held_calls": 1, "hold_rate": 1.0,  # a call with two holds counts once
    })  # fmt: skip
    # C: c9 (answered after exactly 20: within SL), c10 (exit key after 8).
    check(c, {
        "offered": 2, "answered": 1, "abandoned": 0, "short_abandoned": 0, "exited": 1,
        "exited_by_reason": {"exit-key": 1},
        "service_level": 1 / 2, "service_level_answered": 1.0, "service_level_sl2": 1.0,
        "asa": 20.0, "avg_time_to_abandon": None,  # no abandon: null, not an error
        "abandon_rate": 0.0, "adjusted_abandon_rate": 0.0, "answer_rate": 0.5,
        "handled": 1, "aht": 50 + 0 + 10.0,
        "wait_abandoned_p50": None, "wait_abandoned_max": None,
    })  # fmt: skip
    # D: c11 entered at 09:50 and is still waiting: offered, nothing else.
    check(d, {
        "offered": 1, "answered": 0, "abandoned": 0, "exited": 0, "waiting": 1, "handled": 0,
        "service_level": 0 / 1, "service_level_answered": None, "service_level_sl2": None,
        "abandon_rate": 0.0, "adjusted_abandon_rate": 0.0, "answer_rate": 0.0,
        **NULL_QUEUE_RATES,
    })  # fmt: skip


async def test_queue_report_for_the_whole_day(day: Any) -> None:
    rows = await reports.queue_report(day, start=DAY, end=DAY + timedelta(days=1), interval=timedelta(days=1))
    # Every queue with calls: support, and sales (c5's transferred segment).
    assert [r["queue"] for r in rows] == ["sales", "support"]
    sales, support = rows
    check(sales, {"offered": 1, "answered": 1, "asa": 4.0, "handled": 1, "aht": 231.0})
    # The day adds c0 (answered after 2 s, talk 30) to A, B, C and D:
    # O = 1 + 5 + 3 + 2 + 1 = 12; answered c0 c1 c2 c5 c7 c9 = 6 (waits 2 10 25 15 5 20);
    # abandoned c3 c4 c8 = 3 (waits 3 40 20; short: c3); exited c6 c10 = 2; waiting c11.
    check(support, {
        "offered": 12, "answered": 6, "abandoned": 3, "short_abandoned": 1, "exited": 2, "waiting": 1,
        "exited_by_reason": {"timeout": 1, "exit-key": 1},
        "answered_within_sl": 5,          # all but c2 (25)
        "abandoned_within_sl": 2,         # c3 (3), c8 (20)
        "service_level": 5 / (12 - 1),    # 0.4545
        "service_level_answered": 5 / 6,
        "service_level_sl2": (5 + 2) / (6 + 3),
        "asa": (2 + 10 + 25 + 15 + 5 + 20) / 6,  # 77 / 6
        "avg_time_to_abandon": (3 + 40 + 20) / 3,
        "abandon_rate": 3 / 12, "adjusted_abandon_rate": (3 - 1) / (12 - 1), "answer_rate": 6 / 12,
        "handled": 6,
        # talk 30+100+200+60+90+50 = 530, hold 30+20 = 50, wrap-up 10+20+5+10 = 45
        "aht": (530 + 50 + 45) / 6, "avg_talk": 530 / 6, "avg_hold": 50 / 6, "avg_wrapup": 45 / 6,
        # answered waits sorted 2 5 10 15 20 25: ranks 2.5, 4.5, 4.75
        "wait_answered_p50": 10 + 0.5 * 5, "wait_answered_p90": 20 + 0.5 * 5,
        "wait_answered_p95": 20 + 0.75 * 5, "wait_answered_max": 25.0,
        # abandoned waits sorted 3 20 40: ranks 1, 1.8, 1.9
        "wait_abandoned_p50": 20.0, "wait_abandoned_p90": 20 + 0.8 * 20, "wait_abandoned_p95": 20 + 0.9 * 20,
        "wait_abandoned_max": 40.0,
        "transferred": 1, "transfer_rate": 1 / 6, "held_calls": 2, "hold_rate": 2 / 6,
    })  # fmt: skip


async def test_report_thresholds_are_parameters(day: Any) -> None:
    # T = 10 s and short abandons under 25 s, on interval A: A_T = c1 (10) only; Ab_s = c3 (3).
    # c4 (40) is not short. SL = 1 / (5 - 1).
    [a] = await reports.queue_report(day, start=NINE, end=NINE + M15, interval=M15, queues=["support"],
                                     sl_seconds=10, short_abandon_seconds=25)  # fmt: skip
    check(a, {"answered_within_sl": 1, "short_abandoned": 1, "service_level": 1 / 4})


async def test_agent_report_every_15_minutes_clips_states_to_the_intervals(day: Any) -> None:
    rows = await reports.agent_report(day, start=NINE, end=NINE + 4 * M15, interval=M15)
    by = {(r["agent_id"], int((r["interval_start"] - NINE) / M15)): r for r in rows}
    # Rows only where the agent was logged in or offered a call: carol only in A, dave (no
    # activities, offered c5#2 in B) only in B.
    assert sorted(by) == [("alice", 0), ("alice", 1), ("alice", 2), ("alice", 3), ("bob", 0), ("bob", 1),
                          ("bob", 2), ("bob", 3), ("carol", 0), ("dave", 1)]  # fmt: skip
    # alice A: offered 09:00:00-:10 (10) + 09:02:05-:10 (5) + 09:14:55-09:15 (5 of 10) = 20;
    # on call 09:00:10-09:01:50 = 100; wrap-up 10; ready 09:02:00-:05 (5) + 09:02:10-09:14:55 (765).
    check(by["alice", 0], {
        "logged_in": 900.0, "ready": 770.0, "not_ready": 0.0, "offered_time": 20.0, "talk": 100.0,
        "hold": 0.0, "wrapup": 10.0, "not_ready_by_reason": {},
        "occupancy": (100 + 0 + 10 + 20) / (130 + 770),
        "utilization": (100 + 0 + 10) / 900,
        "not_ready_ratio": 0.0,
        # offers: c1 answered, c2 rejected, c5 answered
        "offers": 3, "offers_answered": 2, "offers_rejected": 1, "offers_not_answered": 1, "rona_rate": 1 / 3,
    })  # fmt: skip
    # alice B: offered 09:15-09:15:05 (5) + c8 09:25:10-:20 (10) = 15; on call 60; wrap-up 5;
    # break 09:16:10-09:25:00 = 530; ready 09:25:00-:10 (10) + 09:25:20-09:30 (280) = 290.
    check(by["alice", 1], {
        "logged_in": 900.0, "ready": 290.0, "offered_time": 15.0, "talk": 60.0, "wrapup": 5.0,
        "not_ready": 530.0, "not_ready_by_reason": {"break": 530.0},
        "occupancy": (60 + 5 + 15) / (80 + 290), "utilization": 65 / 900,
        "not_ready_ratio": 530 / 900, "not_ready_ratio_by_reason": {"break": 530 / 900},
        "offers": 1, "offers_canceled": 1, "offers_not_answered": 0, "rona_rate": 0.0,  # the caller hung up
    })  # fmt: skip
    # alice C: ready 09:30-09:31 (60), offered 20, on call 50, wrap-up 10, lunch from 09:32:20 (760).
    check(by["alice", 2], {
        "logged_in": 900.0, "ready": 60.0, "offered_time": 20.0, "talk": 50.0, "wrapup": 10.0,
        "not_ready_by_reason": {"lunch": 760.0}, "occupancy": 80 / 140, "utilization": 60 / 900,
        "not_ready_ratio": 760 / 900, "offers": 1, "offers_answered": 1, "rona_rate": 0.0,
    })  # fmt: skip
    # alice D: lunch the whole interval; no ready, no work: occupancy 0/0 is null.
    check(by["alice", 3], {
        "logged_in": 900.0, "not_ready_by_reason": {"lunch": 900.0}, "occupancy": None, "utilization": 0.0,
        "not_ready_ratio": 1.0, "not_ready_ratio_by_reason": {"lunch": 1.0}, "offers": 0, "rona_rate": None,
    })  # fmt: skip
    # bob A: ready 09:00-09:02:15 (135) + 09:06:35-09:15 (505) = 640; offered 10; on call 35 + 165 = 200;
    # hold 30; wrap-up 20.
    check(by["bob", 0], {
        "logged_in": 900.0, "ready": 640.0, "offered_time": 10.0, "talk": 200.0, "hold": 30.0, "wrapup": 20.0,
        "occupancy": (200 + 30 + 20 + 10) / (260 + 640), "utilization": 250 / 900,
        "offers": 1, "offers_answered": 1, "rona_rate": 0.0,
    })  # fmt: skip
    # bob B: ready 09:15-09:20 (300) + 09:21:55-09:30 (485) = 785; offered 5; on call 90; hold 20.
    check(by["bob", 1], {
        "logged_in": 900.0, "ready": 785.0, "offered_time": 5.0, "talk": 90.0, "hold": 20.0, "wrapup": 0.0,
        "occupancy": 115 / 900, "utilization": 110 / 900, "offers": 1, "rona_rate": 0.0,
    })  # fmt: skip
    # bob C: ready 09:30-09:40:02 (602), offered 3, break 09:40:05-09:45 (295); c10's offer withdrawn.
    check(by["bob", 2], {
        "logged_in": 900.0, "ready": 602.0, "offered_time": 3.0, "not_ready_by_reason": {"break": 295.0},
        "occupancy": 3 / (3 + 602), "utilization": 0.0, "not_ready_ratio": 295 / 900,
        "offers": 1, "offers_withdrawn": 1, "offers_not_answered": 1, "rona_rate": 1.0,
    })  # fmt: skip
    # bob D: break 09:45-09:50 (300), then logged out: logged-in time is 300, not 900.
    check(by["bob", 3], {"logged_in": 300.0, "not_ready": 300.0, "not_ready_ratio": 1.0, "occupancy": None})
    # carol A: login 1 s, ready 4 + 10, offered 15 (rang out), logged out at 09:10:30.
    check(by["carol", 0], {
        "logged_in": 30.0, "ready": 14.0, "offered_time": 15.0, "not_ready_by_reason": {"login": 1.0},
        "occupancy": 15 / (15 + 14), "utilization": 0.0, "not_ready_ratio_by_reason": {"login": 1 / 30},
        "offers": 1, "offers_rang_out": 1, "rona_rate": 1.0,
    })  # fmt: skip
    # dave B: a config-file agent (placeholder row) with no activities: offers only, ratios null.
    check(by["dave", 1], {"logged_in": 0.0, "offers": 1, "offers_answered": 1, "utilization": None,
                          "occupancy": None, "rona_rate": 0.0})  # fmt: skip


async def test_agent_report_for_the_whole_day(day: Any) -> None:
    rows = await reports.agent_report(day, start=DAY, end=DAY + timedelta(days=1), interval=timedelta(days=1),
                                      agents=["alice", "bob"])  # fmt: skip
    alice, bob = rows
    # alice 08:50-10:30 = 6000 s logged in. ready 300 (08:55-09:00) + 770 + 290 + 60 = 1420;
    # offered 20 + 15 + 20 = 55; talk 100 + 60 + 50 = 210; wrap-up 10 + 5 + 10 = 25;
    # not ready: login 300, break 530, lunch 760 + 900 + 1800 = 3460.
    check(alice, {
        "logged_in": 6000.0, "ready": 1420.0, "offered_time": 55.0, "talk": 210.0, "hold": 0.0,
        "wrapup": 25.0, "not_ready": 4290.0,
        "not_ready_by_reason": {"login": 300.0, "break": 530.0, "lunch": 3460.0},
        "occupancy": (210 + 25 + 55) / (290 + 1420), "utilization": 235 / 6000,
        "not_ready_ratio": 4290 / 6000,
        "not_ready_ratio_by_reason": {"login": 300 / 6000, "break": 530 / 6000, "lunch": 3460 / 6000},
        # c1 answered, c2 rejected, c5 answered, c8 canceled, c9 answered
        "offers": 5, "offers_answered": 3, "offers_rejected": 1, "offers_canceled": 1, "rona_rate": 1 / 5,
    })  # fmt: skip
    # bob 08:58-09:50 = 3120 s. login 120, break 295 + 300; ready 640 + 785 + 602 = 2027;
    # offered 10 + 5 + 3 = 18; talk 200 + 90 = 290; hold 30 + 20 = 50; wrap-up 20.
    check(bob, {
        "logged_in": 3120.0, "ready": 2027.0, "offered_time": 18.0, "talk": 290.0, "hold": 50.0,
        "wrapup": 20.0,
        "not_ready_by_reason": {"login": 120.0, "break": 595.0},
        "occupancy": (290 + 50 + 20 + 18) / (378 + 2027), "utilization": 360 / 3120,
        "not_ready_ratio": 715 / 3120,
        "offers": 3, "offers_answered": 2, "offers_withdrawn": 1, "rona_rate": 1 / 3,
    })  # fmt: skip


async def test_agent_report_for_one_queue_keeps_its_agents_and_offers(day: Any) -> None:
    rows = await reports.agent_report(day, start=NINE, end=NINE + 4 * M15, interval=timedelta(hours=1),
                                      queue="sales")  # fmt: skip
    # Only dave was offered a sales call (and nobody is a member of sales in cc_queue_members).
    assert [(r["agent_id"], r["offers"]) for r in rows] == [("dave", 1)]


async def test_an_empty_range_gives_zeros_and_nulls_not_errors(conn: Any) -> None:
    rows = await reports.queue_report(conn, start=NINE, end=NINE + M15, interval=M15, queues=["support"])
    check(
        rows[0],
        {"offered": 0, "service_level": None, "abandon_rate": None, "answer_rate": None, **NULL_QUEUE_RATES},
    )
    assert await reports.agent_report(conn, start=NINE, end=NINE + M15, interval=M15) == []


def test_report_arguments_are_checked() -> None:
    assert reports.parse_interval("15m") == M15 and reports.parse_interval("1d") == timedelta(days=1)
    with pytest.raises(ValueError, match="invalid interval"):
        reports.parse_interval("fortnight")


async def test_acd_report_says_how_calls_are_attributed_in_every_format(
    day: Any, db_settings: DatabaseSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = argparse.ArgumentParser(prog="acd")
    admin.register(parser.add_subparsers(dest="command", required=True))
    settings = Settings(database=db_settings)

    async def report(*argv: str) -> tuple[int, str, str]:
        args = parser.parse_args(["report", *argv])
        code = await args.func(args, settings)
        out = capsys.readouterr()
        return code, out.out, out.err

    window = ["--from", "2025-03-03T09:00", "--to", "2025-03-03T10:00", "--interval", "15m"]
    code, out, _ = await report("--queue", "support", *window, "--format", "json")
    body = json.loads(out)
    assert code == 0 and body["attribution"] == reports.ATTRIBUTION
    assert body["rows"][0]["interval_start"] == "2025-03-03T09:00:00+00:00"
    assert body["rows"][0]["service_level"] == 0.5 and body["rows"][1]["exited_by_reason"] == {"timeout": 1}

    code, out, _ = await report("--queue", "support", *window, "--format", "csv")
    first, *lines = out.splitlines()
    assert first == f"# {reports.ATTRIBUTION}"
    rows = list(csv.DictReader(lines))
    assert [r["offered"] for r in rows] == ["5", "3", "2", "1"]
    assert [r["exited_timeout"] for r in rows] == ["0", "1", "0", "0"]  # nested figures flattened

    utc_window = ["--from", "2025-03-03T09:00+00:00", "--to", "2025-03-03T10:00+00:00", "--interval", "15m"]
    code, out, _ = await report("--queue", "support", *utc_window, "--tz", "Europe/Paris")
    lines = out.splitlines()
    assert reports.ATTRIBUTION in lines[1]
    assert lines[2].split()[:4] == ["QUEUE", "INTERVAL", "O", "A"]
    assert lines[3].split()[:5] == ["support", "2025-03-03", "10:00", "5", "3"]  # 09:00 UTC is 10:00 in Paris

    code, out, _ = await report("--type", "agent", *window, "--agent", "bob")
    assert [line.split()[0] for line in out.splitlines()[3:]] == ["bob"] * 4

    assert await report("--from", "yesterday-ish") == (
        2,
        "",
        "acd: invalid time 'yesterday-ish': use ISO 8601, e.g. 2026-01-05 or 2026-01-05T08:00\n",
    )
    assert (await report(*window[:4], "--interval", "7s"))[0] == 2

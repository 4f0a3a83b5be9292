"""Interval reports, computed in PostgreSQL from the timelines (docs/reports.md defines every figure).

Queue report: a call (a segment: one stay in one queue) is attributed to the interval in which it
ENTERED the queue (its ``entered-queue`` event), whenever it was answered or abandoned; its
outcome is the first ``answered`` / ``abandoned`` / ``exited`` / ``failed`` event of the segment.
Waits are the engine's (``data.wait``: entering the queue to answer or hang-up, ring time
included). Handle times come from the segment's ``cc_calls`` summary once its wrap-up is over.

Agent report: state time from ``cc_agent_activities`` (an agent is in ``to_state`` from a row's
timestamp to its next row's), clipped to each interval, so a state that spans a boundary is
split across the intervals; offers and their results from ``cc_call_events``.

Every ratio divides with ``NULLIF(..., 0)``: no traffic gives null, never an error.
KPIS.md variants: service level ``A_T / (O - Ab_s)`` (default), ``A_T / A`` and
``(A_T + Ab_T) / (A + Ab)``; occupancy ``(talk + hold + wrap-up + offered) / (that + ready)``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

ATTRIBUTION = "calls are attributed to the interval in which they entered the queue"
AGENT_ATTRIBUTION = (
    "agent state time is clipped to each interval; offers count in the interval they were made"
)

INTERVALS = {
    "15m": timedelta(minutes=15),
    "30m": timedelta(minutes=30),
    "1h": timedelta(hours=1),
    "1d": timedelta(days=1),
}

_INTERVAL = re.compile(r"^(\d+)([mhd])$")


def parse_interval(text: str) -> timedelta:
    """``15m``, ``30m``, ``1h``, ``1d`` (any ``<n>m|h|d`` of at least one minute)."""
    match = _INTERVAL.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"invalid interval {text!r}: use 15m, 30m, 1h or 1d")
    n, unit = int(match.group(1)), match.group(2)
    return {"m": timedelta(minutes=n), "h": timedelta(hours=n), "d": timedelta(days=n)}[unit]


# Intervals [start, end) from the report's start; '1 day' steps follow the TimeZone set below.
_BOUNDS = """
bounds AS (
    SELECT s AS i_start, least(s + $3::interval, $2::timestamptz) AS i_end
    FROM generate_series($1::timestamptz, $2::timestamptz - interval '1 microsecond', $3::interval) AS s
)"""

QUEUE_SQL = f"""
WITH {_BOUNDS},
entered AS (
    SELECT DISTINCT ON (e.call_id) e.call_id, e.queue, e."timestamp" AS entered_at
    FROM cc_call_events e
    WHERE e.event_type = 'entered-queue' AND e."timestamp" >= $1 AND e."timestamp" < $2
      AND ($4::text[] IS NULL OR e.queue = ANY($4::text[]))
    ORDER BY e.call_id, e."timestamp", e.id
),
segments AS (
    SELECT en.call_id, en.queue, en.entered_at, o.event_type AS outcome,
           (o.data ->> 'wait')::float8 AS wait, o.data ->> 'reason' AS exit_reason
    FROM entered en
    LEFT JOIN LATERAL (
        SELECT x.event_type, x.data FROM cc_call_events x
        WHERE x.call_id = en.call_id AND x."timestamp" >= en.entered_at
          AND x.event_type IN ('answered', 'abandoned', 'exited', 'failed')
        ORDER BY x."timestamp", x.id LIMIT 1
    ) o ON true
),
handled AS (
    SELECT s.call_id, c.talk_seconds AS talk, c.hold_seconds AS hold, c.wrapup_seconds AS wrapup,
           EXISTS (SELECT 1 FROM cc_call_events h
                   WHERE h.call_id = s.call_id AND h.event_type = 'held') AS was_held,
           EXISTS (SELECT 1 FROM cc_call_events t
                   WHERE t.call_id = s.call_id AND t.event_type = 'transferred') AS was_transferred
    FROM segments s JOIN cc_calls c ON c.call_id = s.call_id
    WHERE s.outcome = 'answered' AND c.wrapup_seconds IS NOT NULL
),
queues AS (
    SELECT q AS queue FROM unnest($4::text[]) AS q
    UNION
    SELECT queue FROM entered WHERE $4::text[] IS NULL
    UNION
    SELECT name FROM cc_queues WHERE $4::text[] IS NULL
),
counts AS (
    SELECT q.queue, b.i_start, b.i_end,
        count(s.call_id) AS offered,
        count(*) FILTER (WHERE s.outcome = 'answered') AS answered,
        count(*) FILTER (WHERE s.outcome = 'abandoned') AS abandoned,
        count(*) FILTER (WHERE s.outcome = 'abandoned' AND s.wait < $6) AS short_abandoned,
        count(*) FILTER (WHERE s.outcome = 'exited') AS exited,
        count(*) FILTER (WHERE s.outcome = 'failed') AS failed,
        count(*) FILTER (WHERE s.call_id IS NOT NULL AND s.outcome IS NULL) AS waiting,
        count(*) FILTER (WHERE s.outcome = 'answered' AND s.wait <= $5) AS answered_within_sl,
        count(*) FILTER (WHERE s.outcome = 'abandoned' AND s.wait <= $5) AS abandoned_within_sl,
        sum(s.wait) FILTER (WHERE s.outcome = 'answered') AS answered_wait,
        sum(s.wait) FILTER (WHERE s.outcome = 'abandoned') AS abandoned_wait,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY s.wait) FILTER (WHERE s.outcome = 'answered')
            AS wait_answered_p50,
        percentile_cont(0.9) WITHIN GROUP (ORDER BY s.wait) FILTER (WHERE s.outcome = 'answered')
            AS wait_answered_p90,
        percentile_cont(0.95) WITHIN GROUP (ORDER BY s.wait) FILTER (WHERE s.outcome = 'answered')
            AS wait_answered_p95,
        max(s.wait) FILTER (WHERE s.outcome = 'answered') AS wait_answered_max,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY s.wait) FILTER (WHERE s.outcome = 'abandoned')
            AS wait_abandoned_p50,
        percentile_cont(0.9) WITHIN GROUP (ORDER BY s.wait) FILTER (WHERE s.outcome = 'abandoned')
            AS wait_abandoned_p90,
        percentile_cont(0.95) WITHIN GROUP (ORDER BY s.wait) FILTER (WHERE s.outcome = 'abandoned')
            AS wait_abandoned_p95,
        max(s.wait) FILTER (WHERE s.outcome = 'abandoned') AS wait_abandoned_max,
        count(h.call_id) AS handled,
        sum(h.talk) AS talk, sum(h.hold) AS hold, sum(h.wrapup) AS wrapup,
        count(*) FILTER (WHERE h.was_transferred) AS transferred,
        count(*) FILTER (WHERE h.was_held) AS held,
        coalesce(
            (SELECT jsonb_object_agg(r.exit_reason, r.n) FROM (
                SELECT x.exit_reason, count(*) AS n FROM segments x
                WHERE x.queue = q.queue AND x.outcome = 'exited'
                  AND x.entered_at >= b.i_start AND x.entered_at < b.i_end
                GROUP BY x.exit_reason) r),
            '{{}}'::jsonb) AS exited_by_reason
    FROM queues q
    CROSS JOIN bounds b
    LEFT JOIN segments s ON s.queue = q.queue AND s.entered_at >= b.i_start AND s.entered_at < b.i_end
    LEFT JOIN handled h ON h.call_id = s.call_id
    GROUP BY q.queue, b.i_start, b.i_end
)
SELECT queue, i_start AS interval_start, i_end AS interval_end,
    offered, answered, abandoned, short_abandoned, exited, exited_by_reason, failed, waiting,
    answered_within_sl, abandoned_within_sl,
    answered_within_sl::float8 / nullif(offered - short_abandoned, 0) AS service_level,
    answered_within_sl::float8 / nullif(answered, 0) AS service_level_answered,
    (answered_within_sl + abandoned_within_sl)::float8 / nullif(answered + abandoned, 0) AS service_level_sl2,
    answered_wait / nullif(answered, 0) AS asa,
    abandoned_wait / nullif(abandoned, 0) AS avg_time_to_abandon,
    abandoned::float8 / nullif(offered, 0) AS abandon_rate,
    (abandoned - short_abandoned)::float8 / nullif(offered - short_abandoned, 0) AS adjusted_abandon_rate,
    answered::float8 / nullif(offered, 0) AS answer_rate,
    handled,
    (talk + hold + wrapup) / nullif(handled, 0) AS aht,
    talk / nullif(handled, 0) AS avg_talk,
    hold / nullif(handled, 0) AS avg_hold,
    wrapup / nullif(handled, 0) AS avg_wrapup,
    wait_answered_p50, wait_answered_p90, wait_answered_p95, wait_answered_max,
    wait_abandoned_p50, wait_abandoned_p90, wait_abandoned_p95, wait_abandoned_max,
    transferred, transferred::float8 / nullif(handled, 0) AS transfer_rate,
    held AS held_calls, held::float8 / nullif(handled, 0) AS hold_rate
FROM counts
ORDER BY queue, interval_start
"""

AGENT_SQL = f"""
WITH {_BOUNDS},
agents AS (
    SELECT a.agent_id FROM cc_agents a
    WHERE ($4::text[] IS NULL OR a.agent_id = ANY($4::text[]))
      AND ($5::text IS NULL
           OR EXISTS (SELECT 1 FROM cc_queue_members m WHERE m.agent_id = a.agent_id AND m.queue = $5)
           OR EXISTS (SELECT 1 FROM cc_call_events o
                      WHERE o.agent_id = a.agent_id AND o.event_type = 'offered' AND o.queue = $5
                        AND o."timestamp" >= $1 AND o."timestamp" < $2))
),
changes AS (
    -- the state each agent was in when the report starts, then every change within it
    SELECT p.agent_id, p.to_state, p.reason, p."timestamp", p.id
    FROM agents a CROSS JOIN LATERAL (
        SELECT x.agent_id, x.to_state, x.reason, x."timestamp", x.id FROM cc_agent_activities x
        WHERE x.agent_id = a.agent_id AND x."timestamp" < $1
        ORDER BY x."timestamp" DESC, x.id DESC LIMIT 1
    ) p
    UNION ALL
    SELECT x.agent_id, x.to_state, x.reason, x."timestamp", x.id
    FROM cc_agent_activities x JOIN agents a ON a.agent_id = x.agent_id
    WHERE x."timestamp" >= $1 AND x."timestamp" < $2
),
spans AS (
    SELECT agent_id, to_state AS state, reason, greatest("timestamp", $1) AS s,
           coalesce(lead("timestamp") OVER (PARTITION BY agent_id ORDER BY "timestamp", id),
                    least($2::timestamptz, now())) AS e
    FROM changes
),
clipped AS (
    SELECT b.i_start, b.i_end, sp.agent_id, sp.state, sp.reason,
           extract(epoch FROM least(sp.e, b.i_end) - greatest(sp.s, b.i_start))::float8 AS seconds
    FROM spans sp JOIN bounds b ON sp.s < b.i_end AND sp.e > b.i_start
    WHERE sp.e > sp.s AND sp.state <> 'logged-out'
),
times AS (
    SELECT i_start, i_end, agent_id,
        sum(seconds) AS logged_in,
        coalesce(sum(seconds) FILTER (WHERE state = 'ready'), 0) AS ready,
        coalesce(sum(seconds) FILTER (WHERE state = 'not-ready'), 0) AS not_ready,
        coalesce(sum(seconds) FILTER (WHERE state = 'offered'), 0) AS offered_time,
        coalesce(sum(seconds) FILTER (WHERE state = 'on-call'), 0) AS talk,
        coalesce(sum(seconds) FILTER (WHERE state = 'on-hold'), 0) AS hold,
        coalesce(sum(seconds) FILTER (WHERE state = 'wrap-up'), 0) AS wrapup
    FROM clipped GROUP BY i_start, i_end, agent_id
),
not_ready AS (
    SELECT i_start, agent_id, jsonb_object_agg(coalesce(reason, ''), seconds) AS by_reason
    FROM (SELECT i_start, agent_id, reason, sum(seconds) AS seconds FROM clipped
          WHERE state = 'not-ready' GROUP BY i_start, agent_id, reason) r
    GROUP BY i_start, agent_id
),
offers AS (
    SELECT o.agent_id, o."timestamp", r.event_type AS result
    FROM cc_call_events o JOIN agents a ON a.agent_id = o.agent_id
    LEFT JOIN LATERAL (
        SELECT x.event_type FROM cc_call_events x
        WHERE x.call_id = o.call_id
          AND x.event_type IN ('answered', 'rejected', 'rang-out', 'offer-failed', 'offer-canceled',
                               'offer-withdrawn')
          AND (x."timestamp" > o."timestamp" OR (x."timestamp" = o."timestamp" AND x.id > o.id))
          AND (x.data ->> 'leg_id' = o.data ->> 'leg_id'
               OR (x.data ->> 'leg_id' IS NULL AND x.agent_id = o.agent_id))
        ORDER BY x."timestamp", x.id LIMIT 1
    ) r ON true
    WHERE o.event_type = 'offered' AND o."timestamp" >= $1 AND o."timestamp" < $2
      AND ($5::text IS NULL OR o.queue = $5)
),
offer_counts AS (
    SELECT b.i_start, b.i_end, o.agent_id,
        count(*) AS offers,
        count(*) FILTER (WHERE o.result = 'answered') AS offers_answered,
        count(*) FILTER (WHERE o.result = 'rejected') AS offers_rejected,
        count(*) FILTER (WHERE o.result = 'rang-out') AS offers_rang_out,
        count(*) FILTER (WHERE o.result = 'offer-failed') AS offers_failed,
        count(*) FILTER (WHERE o.result = 'offer-withdrawn') AS offers_withdrawn,
        count(*) FILTER (WHERE o.result = 'offer-canceled') AS offers_canceled,
        count(*) FILTER (WHERE o.result IS NULL) AS offers_pending
    FROM offers o JOIN bounds b ON o."timestamp" >= b.i_start AND o."timestamp" < b.i_end
    GROUP BY b.i_start, b.i_end, o.agent_id
),
joined AS (
    SELECT coalesce(t.agent_id, c.agent_id) AS agent_id,
           coalesce(t.i_start, c.i_start) AS i_start, coalesce(t.i_end, c.i_end) AS i_end,
           coalesce(t.logged_in, 0) AS logged_in, coalesce(t.ready, 0) AS ready,
           coalesce(t.not_ready, 0) AS not_ready, coalesce(t.offered_time, 0) AS offered_time,
           coalesce(t.talk, 0) AS talk, coalesce(t.hold, 0) AS hold, coalesce(t.wrapup, 0) AS wrapup,
           coalesce(c.offers, 0) AS offers, coalesce(c.offers_answered, 0) AS offers_answered,
           coalesce(c.offers_rejected, 0) AS offers_rejected,
           coalesce(c.offers_rang_out, 0) AS offers_rang_out,
           coalesce(c.offers_failed, 0) AS offers_failed,
           coalesce(c.offers_withdrawn, 0) AS offers_withdrawn,
           coalesce(c.offers_canceled, 0) AS offers_canceled,
           coalesce(c.offers_pending, 0) AS offers_pending
    FROM times t FULL JOIN offer_counts c ON c.agent_id = t.agent_id AND c.i_start = t.i_start
)
SELECT j.agent_id, j.i_start AS interval_start, j.i_end AS interval_end,
    j.logged_in, j.ready, j.not_ready, coalesce(n.by_reason, '{{}}'::jsonb) AS not_ready_by_reason,
    j.offered_time, j.talk, j.hold, j.wrapup,
    (j.talk + j.hold + j.wrapup + j.offered_time)
        / nullif(j.talk + j.hold + j.wrapup + j.offered_time + j.ready, 0) AS occupancy,
    (j.talk + j.hold + j.wrapup) / nullif(j.logged_in, 0) AS utilization,
    j.not_ready / nullif(j.logged_in, 0) AS not_ready_ratio,
    coalesce((SELECT jsonb_object_agg(k, v::text::float8 / nullif(j.logged_in, 0))
              FROM jsonb_each(n.by_reason) AS e(k, v)), '{{}}'::jsonb) AS not_ready_ratio_by_reason,
    j.offers, j.offers_answered, j.offers_rejected, j.offers_rang_out, j.offers_failed,
    j.offers_withdrawn, j.offers_canceled, j.offers_pending,
    (j.offers_rejected + j.offers_rang_out + j.offers_failed + j.offers_withdrawn) AS offers_not_answered,
    (j.offers_rejected + j.offers_rang_out + j.offers_failed + j.offers_withdrawn)::float8
        / nullif(j.offers, 0) AS rona_rate
FROM joined j
LEFT JOIN not_ready n ON n.agent_id = j.agent_id AND n.i_start = j.i_start
ORDER BY j.agent_id, j.i_start
"""


async def _fetch(pool: Any, sql: str, tz: str, *args: Any) -> list[dict[str, Any]]:
    async with pool.acquire() if hasattr(pool, "acquire") else _Same(pool) as conn, conn.transaction():
        # '1 day' intervals follow the report's time zone (23 h and 25 h days at DST changes).
        await conn.execute("SELECT set_config('TimeZone', $1, true)", tz)
        rows = await conn.fetch(sql, *args)
    return [dict(row) for row in rows]


class _Same:
    """``async with`` over an existing connection (reports accept a pool or a connection)."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    async def __aenter__(self) -> Any:
        return self.conn

    async def __aexit__(self, *exc: object) -> None:
        return None


def _check_range(start: datetime, end: datetime, step: timedelta) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("report bounds must be timezone-aware")
    if end <= start:
        raise ValueError("the report's end must be after its start")
    if step < timedelta(minutes=1):
        raise ValueError("intervals are at least one minute")
    if (end - start) / step > 10_000:
        raise ValueError("too many intervals: use a longer interval or a shorter range")


async def queue_report(
    pool: Any,
    *,
    start: datetime,
    end: datetime,
    interval: timedelta,
    queues: Sequence[str] | None = None,
    sl_seconds: float = 20.0,
    short_abandon_seconds: float = 5.0,
    tz: str = "UTC",
) -> list[dict[str, Any]]:
    """One row per queue and interval in ``[start, end)`` (every interval, zeros included).

    ``queues`` None means the queues of ``cc_queues`` and every queue that had a call in the range.
    """
    _check_range(start, end, interval)
    return await _fetch(
        pool,
        QUEUE_SQL,
        tz,
        start,
        end,
        interval,
        list(queues) if queues else None,
        sl_seconds,
        short_abandon_seconds,
    )


async def agent_report(
    pool: Any,
    *,
    start: datetime,
    end: datetime,
    interval: timedelta,
    agents: Sequence[str] | None = None,
    queue: str | None = None,
    tz: str = "UTC",
) -> list[dict[str, Any]]:
    """One row per agent and interval in which the agent was logged in or offered a call.

    ``queue`` keeps members of that queue and agents offered its calls, and counts only its
    offers (state time is the agent's whole time: it is not divided between queues).
    """
    _check_range(start, end, interval)
    return await _fetch(pool, AGENT_SQL, tz, start, end, interval, list(agents) if agents else None, queue)

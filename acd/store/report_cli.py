"""``acd report``: the interval reports of :mod:`acd.store.reports` as a table, CSV or JSON.

Every format says how calls are attributed to intervals (the interval in which they entered the
queue): a comment line above the table and the CSV, an ``attribution`` key in JSON.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from acd.config import Settings
from acd.store import db, reports
from acd.store.agents import InvalidInput
from acd.store.cli_support import command

_NESTED = {
    "exited_by_reason": "exited",
    "not_ready_by_reason": "not_ready",
    "not_ready_ratio_by_reason": "nr_ratio",
}


def parse_time(text: str, zone: ZoneInfo) -> datetime:
    """An ISO 8601 date or date-time; without an offset it is read in ``zone``."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(
            f"invalid time {text!r}: use ISO 8601, e.g. 2026-01-05 or 2026-01-05T08:00"
        ) from exc
    return value.replace(tzinfo=zone) if value.tzinfo is None else value


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"unknown time zone {name!r}") from exc


def _plain(value: Any, zone: ZoneInfo) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(zone).isoformat()
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _plain(v, zone) for k, v in sorted(value.items())}
    return value


def to_json(meta: dict[str, Any], rows: list[dict[str, Any]], zone: ZoneInfo) -> str:
    body = {**meta, "rows": [{k: _plain(v, zone) for k, v in row.items()} for row in rows]}
    return json.dumps(body, indent=2) + "\n"


def to_csv(meta: dict[str, Any], rows: list[dict[str, Any]], zone: ZoneInfo) -> str:
    """Flat columns: nested figures become ``exited_<reason>``, ``not_ready_<reason>``..."""
    flat: list[dict[str, Any]] = []
    for row in rows:
        out: dict[str, Any] = {}
        for key, value in row.items():
            if key in _NESTED:
                for sub, v in sorted((value or {}).items()):
                    out[f"{_NESTED[key]}_{sub}"] = _plain(v, zone)
            else:
                out[key] = _plain(value, zone)
        flat.append(out)
    columns: list[str] = []
    for row in flat:
        columns += [c for c in row if c not in columns]
    buffer = io.StringIO()
    buffer.write(f"# {meta['attribution']}\n")
    writer = csv.DictWriter(buffer, fieldnames=columns, restval="0", lineterminator="\n")
    writer.writeheader()
    writer.writerows(flat)
    return buffer.getvalue()


def _pct(value: Any) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _sec(value: Any) -> str:
    return "-" if value is None else f"{value:.1f}"


def _hms(value: Any) -> str:
    total = round(value or 0)
    return f"{total // 3600}:{total % 3600 // 60:02d}:{total % 60:02d}"


def _reasons(value: dict[str, Any], fmt: Callable[[Any], str]) -> str:
    return ",".join(f"{k}={fmt(v)}" for k, v in sorted(value.items())) or "-"


Column = tuple[str, Callable[[dict[str, Any]], Any]]


def _field(key: str, fmt: Callable[[Any], str] = str) -> Callable[[dict[str, Any]], str]:
    return lambda row: fmt(row[key])


QUEUE_COLUMNS: list[Column] = [
    ("O", _field("offered")),
    ("A", _field("answered")),
    ("Ab", _field("abandoned")),
    ("Ab_s", _field("short_abandoned")),
    ("X", _field("exited")),
    ("SL", _field("service_level", _pct)),
    ("SL_A", _field("service_level_answered", _pct)),
    ("SL2", _field("service_level_sl2", _pct)),
    ("ASA", _field("asa", _sec)),
    ("ATA", _field("avg_time_to_abandon", _sec)),
    ("AbR", _field("abandon_rate", _pct)),
    ("AbR_adj", _field("adjusted_abandon_rate", _pct)),
    ("AnsR", _field("answer_rate", _pct)),
    ("AHT", _field("aht", _sec)),
    ("TALK", _field("avg_talk", _sec)),
    ("HOLD", _field("avg_hold", _sec)),
    ("WRAP", _field("avg_wrapup", _sec)),
    ("A_P50", _field("wait_answered_p50", _sec)),
    ("A_P90", _field("wait_answered_p90", _sec)),
    ("A_P95", _field("wait_answered_p95", _sec)),
    ("A_MAX", _field("wait_answered_max", _sec)),
    ("Ab_P50", _field("wait_abandoned_p50", _sec)),
    ("Ab_P90", _field("wait_abandoned_p90", _sec)),
    ("Ab_MAX", _field("wait_abandoned_max", _sec)),
    ("XFER", _field("transfer_rate", _pct)),
    ("HOLDR", _field("hold_rate", _pct)),
    ("X_BY_REASON", lambda row: _reasons(row["exited_by_reason"], str)),
]

AGENT_COLUMNS: list[Column] = [
    ("LOGIN", _field("logged_in", _hms)),
    ("READY", _field("ready", _hms)),
    ("NOT_READY", _field("not_ready", _hms)),
    ("TALK", _field("talk", _hms)),
    ("HOLD", _field("hold", _hms)),
    ("WRAP", _field("wrapup", _hms)),
    ("OFFERED", _field("offered_time", _hms)),
    ("OCC", _field("occupancy", _pct)),
    ("UTIL", _field("utilization", _pct)),
    ("NR%", _field("not_ready_ratio", _pct)),
    ("OFFERS", _field("offers")),
    ("ANS", _field("offers_answered")),
    ("RONA", _field("rona_rate", _pct)),
    ("NOT_READY_BY_REASON", lambda row: _reasons(row["not_ready_by_reason"], _hms)),
]


def to_table(meta: dict[str, Any], rows: list[dict[str, Any]], zone: ZoneInfo) -> str:
    queue = meta["report"] == "queue"
    span = f"{meta['from']} .. {meta['to']} every {meta['interval']} ({meta['tz']})"
    if queue:
        notes = [
            f"# queue report {span}",
            f"# {meta['attribution']}; SL threshold {meta['sl_seconds']:g} s, short abandon < "
            f"{meta['short_abandon_seconds']:g} s; times in seconds",
        ]
    else:
        notes = [f"# agent report {span}", f"# {meta['attribution']}"]
    columns = QUEUE_COLUMNS if queue else AGENT_COLUMNS
    header = ["QUEUE" if queue else "AGENT", "INTERVAL", *(name for name, _ in columns)]
    cells = [header]
    for row in rows:
        start = row["interval_start"].astimezone(zone).strftime("%Y-%m-%d %H:%M")
        cells.append([str(row["queue" if queue else "agent_id"]), start, *(str(f(row)) for _, f in columns)])
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [
        "  ".join(
            c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in cells
    ]
    return "\n".join([*notes, *(line.rstrip() for line in lines)]) + "\n"


async def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    zone = _zone(args.tz)
    start = parse_time(args.from_, zone)
    end = parse_time(args.to, zone) if args.to else datetime.now(zone)
    try:
        step = reports.parse_interval(args.interval)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    short = args.short_abandon if args.short_abandon is not None else settings.engine.short_abandon_seconds
    meta: dict[str, Any] = {
        "report": args.type,
        "attribution": reports.ATTRIBUTION if args.type == "queue" else reports.AGENT_ATTRIBUTION,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "interval": args.interval,
        "tz": args.tz,
        "sl_seconds": args.sl_seconds,
        "short_abandon_seconds": short,
    }
    async with db.connection(settings.database.dsn) as conn:
        try:
            if args.type == "queue":
                rows = await reports.queue_report(
                    conn,
                    start=start,
                    end=end,
                    interval=step,
                    queues=args.queue,
                    sl_seconds=args.sl_seconds,
                    short_abandon_seconds=short,
                    tz=args.tz,
                )
            else:
                if args.queue and len(args.queue) > 1:
                    raise InvalidInput("the agent report takes at most one --queue")
                rows = await reports.agent_report(
                    conn,
                    start=start,
                    end=end,
                    interval=step,
                    agents=args.agent,
                    queue=args.queue[0] if args.queue else None,
                    tz=args.tz,
                )
        except ValueError as exc:
            raise InvalidInput(str(exc)) from exc
    render = {"table": to_table, "csv": to_csv, "json": to_json}[args.format]
    sys.stdout.write(render(meta, rows, zone))
    return 0


def register_report(subparsers: Any) -> None:
    """Add ``acd report`` (called by :func:`acd.store.admin.register`)."""
    p = subparsers.add_parser(
        "report",
        help="interval reports from PostgreSQL (calls attributed to the interval they entered the queue)",
    )
    p.add_argument("--type", choices=["queue", "agent"], default="queue")
    p.add_argument(
        "--queue", action="append", metavar="QUEUE", help="repeatable (queue report); default: all"
    )
    p.add_argument(
        "--agent", action="append", metavar="AGENT_ID", help="repeatable (agent report); default: all"
    )
    p.add_argument(
        "--from", dest="from_", required=True, metavar="ISO", help="start, e.g. 2026-01-05 or ...T08:00"
    )
    p.add_argument("--to", metavar="ISO", help="end, excluded (default: now)")
    p.add_argument("--interval", default="1h", help="15m, 30m, 1h or 1d (default 1h)")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.add_argument("--sl-seconds", type=float, default=20.0, help="service-level threshold T (default 20)")
    p.add_argument(
        "--short-abandon", type=float, help="short-abandon threshold (default engine.short_abandon_seconds)"
    )
    p.add_argument("--tz", default="UTC", help="time zone of naive times and of day intervals (default UTC)")
    p.set_defaults(func=command(cmd_report))

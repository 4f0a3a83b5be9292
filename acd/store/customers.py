"""The built-in CRM: customers keyed by their normalised phone number, and the CSV import.

The import is all-or-nothing by default: every row is checked first (number, duplicates within
the file after normalisation, field lengths) and, if any is bad, nothing is written and every
problem is reported with its line number. ``skip_invalid`` imports the good rows anyway.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from acd.store.numbers import normalise_number

COLUMNS = ("number", "name", "account", "notes", "tags")
_TAG_SPLIT = re.compile(r"[;,]")
_MAX_FIELD = 10_000


@dataclass(frozen=True, slots=True)
class Customer:
    number: str
    name: str = ""
    account: str | None = None
    notes: str = ""
    tags: tuple[str, ...] = ()


@dataclass(slots=True)
class ParsedCsv:
    customers: list[tuple[int, Customer]] = field(default_factory=list)
    #: "line N: what is wrong", in file order.
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ImportResult:
    inserted: int
    updated: int
    errors: list[str]
    written: bool


def parse_csv(text: str) -> ParsedCsv:
    """Rows of a customers CSV (header row with ``number`` and any of name,account,notes,tags)."""
    result = ParsedCsv()
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if "number" not in header:
        result.errors.append(
            "line 1: the header must name a 'number' column (and any of name,account,notes,tags)"
        )
        return result
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        result.errors.append(f"line 1: unknown column(s) {', '.join(unknown)} (expected {','.join(COLUMNS)})")
        return result
    reader.fieldnames = header
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if None in row:
            result.errors.append(f"line {line}: more fields than columns")
            continue
        values = {k: (v or "").strip() for k, v in row.items()}
        if not any(values.values()):
            continue  # a blank line
        try:
            number = normalise_number(values.get("number", ""))
        except ValueError as exc:
            result.errors.append(f"line {line}: {exc}")
            continue
        if number in seen:
            result.errors.append(f"line {line}: duplicate number {number} (first on line {seen[number]})")
            continue
        too_long = [k for k, v in values.items() if len(v) > _MAX_FIELD]
        if too_long:
            result.errors.append(f"line {line}: field {too_long[0]} longer than {_MAX_FIELD} characters")
            continue
        seen[number] = line
        tags = tuple(dict.fromkeys(t.strip() for t in _TAG_SPLIT.split(values.get("tags", "")) if t.strip()))
        result.customers.append(
            (
                line,
                Customer(
                    number=number,
                    name=values.get("name", ""),
                    account=values.get("account") or None,
                    notes=values.get("notes", ""),
                    tags=tags,
                ),
            )
        )
    return result


async def upsert_customers(conn: Any, customers: Iterable[Customer]) -> tuple[int, int]:
    """Insert or update by number in one statement; (inserted, updated)."""
    batch = list(customers)
    if not batch:
        return 0, 0
    rows = await conn.fetch(
        """
        INSERT INTO cc_customers (number, name, account, notes, tags)
        SELECT u.number, u.name, u.account, u.notes,
               coalesce((SELECT array_agg(t) FROM jsonb_array_elements_text(u.tags::jsonb) AS t), '{}')
        FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
             AS u(number, name, account, notes, tags)
        ON CONFLICT (number) DO UPDATE SET
            name = EXCLUDED.name, account = EXCLUDED.account, notes = EXCLUDED.notes,
            tags = EXCLUDED.tags, updated_at = now()
        RETURNING (xmax = 0) AS inserted
        """,
        [c.number for c in batch],
        [c.name for c in batch],
        [c.account for c in batch],
        [c.notes for c in batch],
        [_json_list(c.tags) for c in batch],
    )
    inserted = sum(1 for r in rows if r["inserted"])
    return inserted, len(rows) - inserted


def _json_list(values: tuple[str, ...]) -> str:
    return json.dumps(list(values))


async def import_csv(conn: Any, text: str, *, skip_invalid: bool = False) -> ImportResult:
    parsed = parse_csv(text)
    if parsed.errors and not skip_invalid:
        return ImportResult(0, 0, parsed.errors, written=False)
    async with conn.transaction():
        inserted, updated = await upsert_customers(conn, (c for _, c in parsed.customers))
    return ImportResult(inserted, updated, parsed.errors, written=True)


async def find_by_number(conn: Any, raw_number: str) -> dict[str, Any] | None:
    """The customer a caller's number belongs to (screen pop), or None."""
    try:
        number = normalise_number(raw_number)
    except ValueError:
        return None
    row = await conn.fetchrow(
        "SELECT id, number, name, account, notes, tags FROM cc_customers WHERE number = $1", number
    )
    return dict(row) if row is not None else None

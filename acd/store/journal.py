"""The outbox's on-disk journal: records waiting for PostgreSQL, in order, surviving a crash.

Layout: ``journal_dir/seg-<12-digit sequence>.jsonl``, one JSON object per line
(``{"k": "call"|"event"|"activity", "r": {...}}``). Segments are replayed in sequence order and
lines in file order, which is the order the engine emitted the records.

Durability: every append is written whole, flushed and ``fsync``'d before the outbox forgets the
records; a new segment's directory entry is ``fsync``'d too. A crash mid-append can leave a torn
last line: a prefix of a JSON object never parses, so replay detects it, logs it, counts it and
skips it, keeping every line before it. When an append fails (disk full), the file is truncated
back to its previous length, so a partial line can never glue itself to the next append.

Only the outbox's writer task touches a journal; the methods are blocking and meant to be run
with ``asyncio.to_thread``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from acd.engine.effects import AgentActivityRecord, CallEventRecord, CallRecord
from acd.logging import get_logger

log = get_logger(__name__)

Record = AgentActivityRecord | CallEventRecord | CallRecord

_KINDS: dict[str, type[Record]] = {
    "call": CallRecord,
    "event": CallEventRecord,
    "activity": AgentActivityRecord,
}
_KIND_OF: dict[type[Any], str] = {cls: kind for kind, cls in _KINDS.items()}
_FIELDS: dict[str, frozenset[str]] = {
    kind: frozenset(f.name for f in dataclasses.fields(cls)) for kind, cls in _KINDS.items()
}
_SEGMENT = re.compile(r"^seg-(\d{12})\.jsonl$")


def encode(record: Record) -> str:
    """One journal line (with its newline)."""
    body = {"k": _KIND_OF[type(record)], "r": dataclasses.asdict(record)}
    # default=str: a value json cannot encode must not stop a record from reaching the disk.
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=str) + "\n"


def decode(line: str) -> Record:
    """The record of one journal line; ValueError when it is not one (torn or foreign)."""
    body = json.loads(line)
    if not isinstance(body, dict) or body.get("k") not in _KINDS or not isinstance(body.get("r"), dict):
        raise ValueError("not a journal record")
    kind: str = body["k"]
    # Fields a newer version added are dropped rather than refused: the record still lands.
    fields = {k: v for k, v in body["r"].items() if k in _FIELDS[kind]}
    return _KINDS[kind](**fields)


@dataclass(slots=True)
class Segment:
    path: Path
    seq: int
    #: Lines (records) written to it: what its replay takes off the backlog.
    records: int
    size: int


@dataclass(slots=True)
class ReadResult:
    records: list[Record] = field(default_factory=list)
    #: Line numbers (1-based) that could not be decoded.
    bad_lines: list[int] = field(default_factory=list)


class Journal:
    """Append-only segments in one directory. Not thread-safe: one writer at a time."""

    def __init__(self, directory: Path, *, segment_max_bytes: int = 8 * 1024 * 1024) -> None:
        self.directory = directory
        self.segment_max_bytes = segment_max_bytes
        self.segments: list[Segment] = []
        #: The segment appends go to; None until the next append opens a new one.
        self._open: Segment | None = None

    # ------------------------------------------------------------ state

    def scan(self) -> None:
        """Find the segments a previous run left (appends then always start a new segment)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        found: list[Segment] = []
        for path in self.directory.iterdir():
            match = _SEGMENT.match(path.name)
            if match is None:
                continue
            data = path.read_bytes()
            lines = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
            found.append(Segment(path, int(match.group(1)), lines, len(data)))
        found.sort(key=lambda s: s.seq)
        self.segments = found
        self._open = None

    @property
    def records(self) -> int:
        return sum(s.records for s in self.segments)

    @property
    def size(self) -> int:
        return sum(s.size for s in self.segments)

    def __bool__(self) -> bool:
        return bool(self.segments)

    # ------------------------------------------------------------ writing

    def seal(self) -> None:
        """Stop appending to the current segment (before it is replayed and deleted)."""
        self._open = None

    def append(self, records: Iterable[Record]) -> int:
        """Write records durably at the end of the journal; the bytes written.

        Raises OSError (nothing is then considered written: the file is cut back).
        """
        payload = "".join(encode(r) for r in records).encode("utf-8")
        count = payload.count(b"\n")
        if not count:
            return 0
        segment = self._open
        if segment is None or segment.size >= self.segment_max_bytes:
            segment = self._new_segment()
        fd = os.open(segment.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            try:
                view = memoryview(payload)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
                os.fsync(fd)
            except OSError:
                self._cut_back(fd, segment)
                raise
        finally:
            os.close(fd)
        segment.size += len(payload)
        segment.records += count
        return len(payload)

    def _new_segment(self) -> Segment:
        self.directory.mkdir(parents=True, exist_ok=True)
        seq = (self.segments[-1].seq + 1) if self.segments else 1
        while True:  # never reuse a name, even one this journal has not scanned
            segment = Segment(self.directory / f"seg-{seq:012d}.jsonl", seq, 0, 0)
            try:
                fd = os.open(segment.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                seq += 1
                continue
            os.close(fd)
            break
        self._fsync_directory()
        self.segments.append(segment)
        self._open = segment
        return segment

    def _cut_back(self, fd: int, segment: Segment) -> None:
        """After a failed append: remove the partial bytes and never append to this file again."""
        try:
            os.ftruncate(fd, segment.size)
            os.fsync(fd)
        except OSError:
            log.error("outbox.journal_truncate_failed", segment=segment.path.name)
        self._open = None

    def _fsync_directory(self) -> None:
        fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    # ------------------------------------------------------------ replay

    def read(self, segment: Segment) -> ReadResult:
        """Every decodable record of a segment, in order, and the numbers of the bad lines."""
        result = ReadResult()
        with segment.path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                try:
                    result.records.append(decode(raw.decode("utf-8")))
                except (ValueError, TypeError, UnicodeDecodeError):
                    result.bad_lines.append(number)
        return result

    def remove(self, segment: Segment) -> None:
        """Delete a replayed segment."""
        segment.path.unlink(missing_ok=True)
        self.segments.remove(segment)
        if self._open is segment:
            self._open = None
        self._fsync_directory()


def append_rejected(directory: Path, record: Record, error: str) -> None:
    """Keep a record PostgreSQL refused as invalid (a bug, never an outage) for a human to look at."""
    directory.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"error": error, "record": json.loads(encode(record))}, ensure_ascii=False) + "\n"
    fd = os.open(directory / "rejected.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)

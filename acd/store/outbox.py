"""The write-behind outbox: the engine's records reach PostgreSQL without the engine ever waiting.

``submit(record)`` is synchronous and O(1): it appends to memory and returns. One writer task
(started by :meth:`Outbox.start`, stopped by :meth:`Outbox.close`, or ``async with``) commits
batches of ``batch_size`` records, or whatever arrived within ``flush_interval``.

When PostgreSQL is unreachable (refused, terminated, timing out, not accepting connections...)
the batch in hand and everything that arrives afterwards is appended to the on-disk journal
(:mod:`acd.store.journal`, fsync'd), and the writer retries with exponential backoff. Once a
write succeeds again, the journal is replayed in order, segment by segment, and each segment is
deleted once committed; records arriving meanwhile wait in memory and are written only after
the journal is empty, so they never overtake older ones. Everything is idempotent (event ids,
call versions), so a segment replayed twice after a crash mid-replay changes nothing.

PostgreSQL refusing a record as *invalid* (SQLSTATE class 22 or 23: a bug, not an outage) must
not block the ones behind it: the batch is retried record by record and the refused ones are
kept in ``journal_dir/rejected.jsonl`` (logged ``outbox.rejected``). Any other error counts as
an outage: the data waits on disk rather than being dropped.

``close()`` (on SIGTERM) writes what is left to PostgreSQL or, if it is down, to the journal; the
next start replays it first. A record submitted after close is journaled synchronously.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import asyncpg

from acd.config import DatabaseSettings
from acd.logging import get_logger
from acd.metrics import Metrics
from acd.store import db
from acd.store.journal import Journal, Record, Segment, append_rejected
from acd.store.writes import TABLE_ACTIVITIES, TABLE_CALLS, TABLE_EVENTS, Written, write_batch

log = get_logger(__name__)

__all__ = ["Outbox", "OutboxStats"]


@dataclass(slots=True)
class OutboxStats:
    """Counters for tests and ``/readyz`` details (the Prometheus series are in :mod:`acd.metrics`)."""

    submitted: int = 0
    spilled: int = 0
    replayed: int = 0
    #: Journal lines that could not be decoded (a torn last line after a crash) and were skipped.
    torn_lines: int = 0
    #: Records PostgreSQL refused as invalid, kept in rejected.jsonl.
    rejected: int = 0
    outages: int = 0


def is_invalid_data(exc: BaseException) -> bool:
    """A record PostgreSQL will refuse however often it is retried (data exception, constraint)."""
    sqlstate = str(getattr(exc, "sqlstate", "") or "")
    return isinstance(exc, asyncpg.PostgresError) and sqlstate[:2] in ("22", "23")


class Outbox:
    """Accepts records at any time; commits them to PostgreSQL, or keeps them on disk until it can."""

    def __init__(
        self,
        settings: DatabaseSettings,
        metrics: Metrics,
        *,
        retry_min_delay: float = 0.25,
        retry_max_delay: float = 10.0,
        connect_timeout: float = 5.0,
        command_timeout: float = 30.0,
        probe_interval: float = 5.0,
        segment_max_bytes: int = 8 * 1024 * 1024,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self.stats = OutboxStats()
        self._dsn = settings.dsn
        self._batch_size = settings.batch_size
        self._flush_interval = settings.flush_interval
        self._retry_min = retry_min_delay
        self._retry_max = retry_max_delay
        self._connect_timeout = connect_timeout
        self._command_timeout = command_timeout
        self._probe_interval = probe_interval
        self._journal = Journal(settings.journal_dir, segment_max_bytes=segment_max_bytes)
        self._pending: deque[Record] = deque()
        self._first_pending_at: float | None = None
        #: The batch being written, so a cancellation can still put it on disk.
        self._inflight: list[Record] = []
        #: Records and bytes in the journal, maintained on the loop's thread (the journal's own
        #: counters change in worker threads).
        self._journaled = 0
        self._journal_bytes = 0
        self._wake = asyncio.Event()
        self._empty = asyncio.Event()
        self._empty.set()
        self._conn: Any = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._closed = False
        self._gave_up = False
        self._up: bool | None = None
        self._spills_this_outage = 0
        metrics.db_up.set(0)
        # Read at scrape time: exact, and nothing to do per record (a dozen per call).
        metrics.outbox_backlog.set_function(lambda: self.backlog)
        metrics.journal_bytes.set_function(lambda: self._journal_bytes)

    # ------------------------------------------------------------ the engine's side

    def submit(self, record: Record) -> None:
        """Accept one record; never blocks, never raises for the database's sake."""
        self.stats.submitted += 1
        if self._closed:
            self._journal_after_close(record)
            return
        if not self._pending:
            self._first_pending_at = time.monotonic()
            self._wake.set()
        self._pending.append(record)
        if len(self._pending) >= self._batch_size:
            self._wake.set()
        self._empty.clear()

    @property
    def backlog(self) -> int:
        """Records accepted and not yet committed (in memory, being written, or journaled)."""
        return len(self._pending) + len(self._inflight) + self._journaled

    @property
    def db_up(self) -> bool:
        return bool(self._up)

    async def drain(self, within: float | None = None) -> bool:
        """Wait until everything accepted so far is committed; False if ``within`` seconds passed first."""
        try:
            async with asyncio.timeout(within):
                await self._empty.wait()
        except TimeoutError:
            return False
        return True

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Find a previous run's journal (replayed before anything new) and start the writer."""
        if self._task is not None:
            raise RuntimeError("outbox already started")
        await asyncio.to_thread(self._journal.scan)
        self._journaled = self._journal.records
        self._journal_bytes = self._journal.size
        if self._journal:
            log.info("outbox.journal_found", segments=len(self._journal.segments), records=self._journaled)
        self._note_backlog()
        self._task = asyncio.create_task(self._run(), name="outbox-writer")

    async def close(self) -> None:
        """Commit what is left, or journal it if PostgreSQL is down; then stop the writer."""
        if self._closed:
            return
        self._closing = True
        self._wake.set()
        try:
            if self._task is not None:
                await self._task
            elif self._pending:  # never started: keep the records for the next start
                await asyncio.to_thread(self._journal.scan)
                await self._spill(self._take(len(self._pending)))
        finally:
            self._closed = True
            self._drop_connection()
            log.info("outbox.closed", backlog=self.backlog, journaled=self._journaled)

    async def __aenter__(self) -> Outbox:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # ------------------------------------------------------------ the writer

    async def _run(self) -> None:
        """The writer task: never dies of an error (a bug is logged and the loop starts over)."""
        while True:
            try:
                await self._loop()
                return
            except asyncio.CancelledError:
                self._emergency_spill()
                raise
            except Exception:
                log.exception("outbox.writer_crashed")
                # Nothing is dropped: the batch in hand goes back to the head of the line.
                self._pending.extendleft(reversed(self._inflight))
                self._inflight = []
                if self._pending and self._first_pending_at is None:
                    self._first_pending_at = time.monotonic()
                if self._closing:
                    self._emergency_spill()
                    return
                await asyncio.sleep(self._retry_max)

    async def _loop(self) -> None:
        await self._probe()
        delay = self._retry_min
        while True:
            if self._journal:
                if not self._gave_up and await self._replay():
                    delay = self._retry_min
                    continue
                await self._spill_pending()
                if self._closing:
                    return
                await self._wait_retry(delay)
                delay = min(delay * 2, self._retry_max)
                continue
            if not self._pending:
                if self._closing:
                    return
                if not await self._wait(self._probe_interval):
                    await self._probe()
                continue
            if not self._closing and not self._batch_due():
                assert self._first_pending_at is not None
                await self._wait(self._flush_interval - (time.monotonic() - self._first_pending_at))
                continue
            self._inflight = self._take(self._batch_size)
            if await self._write(self._inflight):
                self._inflight = []
                self._note_backlog()
                delay = self._retry_min
                continue
            batch, self._inflight = self._inflight, []
            if await self._spill(batch + self._take(len(self._pending))):
                continue  # the next turn replays, or backs off
            # Neither PostgreSQL nor the disk takes them: keep them in memory and back off.
            if self._closing:
                log.error("outbox.records_lost", records=self.backlog - self._journaled)
                return
            await self._wait_retry(delay)
            delay = min(delay * 2, self._retry_max)

    def _batch_due(self) -> bool:
        if len(self._pending) >= self._batch_size:
            return True
        started = self._first_pending_at
        return started is None or time.monotonic() - started >= self._flush_interval

    def _take(self, n: int) -> list[Record]:
        batch = [self._pending.popleft() for _ in range(min(n, len(self._pending)))]
        if not self._pending:
            self._first_pending_at = None
        return batch

    async def _wait(self, seconds: float) -> bool:
        """Sleep until woken (new records, close) or for ``seconds``; True if woken."""
        self._wake.clear()
        if self._closing:
            return True
        try:
            async with asyncio.timeout(max(0.0, seconds)):
                await self._wake.wait()
        except TimeoutError:
            return False
        return True

    async def _wait_retry(self, delay: float) -> None:
        """Back off before the next attempt, journaling what arrives meanwhile every flush interval."""
        deadline = time.monotonic() + delay
        while not self._closing:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            await self._wait(min(remaining, self._flush_interval))
            await self._spill_pending()

    # ------------------------------------------------------------ PostgreSQL

    async def _connection(self) -> Any:
        if self._conn is None or self._conn.is_closed():
            self._conn = await db.connect(self._dsn, connect_timeout=self._connect_timeout)
        return self._conn

    def _drop_connection(self) -> None:
        if self._conn is not None:
            self._conn.terminate()
            self._conn = None

    async def _probe(self) -> None:
        """Check PostgreSQL while idle, so ``acd_database_up`` tells the truth between writes."""
        try:
            conn = await self._connection()
            await conn.fetchval("SELECT 1", timeout=self._command_timeout)
        except Exception as exc:  # noqa: BLE001 - any failure means PostgreSQL is away
            self._mark_down(exc)
        else:
            self._mark_up()

    async def _write(self, batch: Sequence[Record]) -> bool:
        """Commit a batch; False when PostgreSQL is unreachable (nothing is lost: the caller keeps it)."""
        try:
            conn = await self._connection()
            async with asyncio.timeout(self._command_timeout):
                written = await write_batch(conn, batch)
        except Exception as exc:  # noqa: BLE001 - not data: an outage, so the batch waits on disk
            if is_invalid_data(exc):
                return await self._write_one_by_one(batch)
            self._mark_down(exc)
            return False
        self._mark_up()
        self._count(written)
        return True

    async def _write_one_by_one(self, batch: Sequence[Record]) -> bool:
        """A batch PostgreSQL refused as invalid: commit the good records, set the bad ones aside."""
        for record in batch:
            try:
                conn = await self._connection()
                async with asyncio.timeout(self._command_timeout):
                    written = await write_batch(conn, [record])
            except Exception as exc:  # noqa: BLE001 - not data: an outage, so the record waits on disk
                if not is_invalid_data(exc):
                    self._mark_down(exc)
                    return False
                await self._reject(record, exc)
                continue
            self._count(written)
        self._mark_up()
        return True

    async def _reject(self, record: Record, exc: BaseException) -> None:
        self.stats.rejected += 1
        self.metrics.records_rejected.inc()
        error = f"{type(exc).__name__}: {exc}"
        log.error("outbox.rejected", record_type=type(record).__name__, error=error)
        try:
            await asyncio.to_thread(append_rejected, self.settings.journal_dir, record, error)
        except OSError as io_exc:
            log.error("outbox.rejected_not_kept", error=str(io_exc))

    def _count(self, written: Written) -> None:
        counter = self.metrics.records_written
        if written.calls:
            counter.labels(TABLE_CALLS).inc(written.calls)
        if written.events:
            counter.labels(TABLE_EVENTS).inc(written.events)
        if written.activities:
            counter.labels(TABLE_ACTIVITIES).inc(written.activities)

    def _mark_up(self) -> None:
        self._spills_this_outage = 0
        if self._up is not True:
            if self._up is False:
                log.info("outbox.db_up", journaled=self._journaled)
            self._up = True
            self.metrics.db_up.set(1)

    def _mark_down(self, exc: BaseException) -> None:
        self._drop_connection()
        if self._closing:
            self._gave_up = True
        if self._up is not False:
            self.stats.outages += 1
            log.warning("outbox.db_down", error=f"{type(exc).__name__}: {exc}", backlog=self.backlog)
        else:
            log.debug("outbox.retry_failed", error=f"{type(exc).__name__}: {exc}")
        self._up = False
        self.metrics.db_up.set(0)

    # ------------------------------------------------------------ journal

    async def _spill_pending(self) -> None:
        if self._pending:
            await self._spill(self._take(len(self._pending)))

    async def _spill(self, records: list[Record]) -> bool:
        """Put records on disk, after everything already there; on a disk error keep them in memory."""
        if not records:
            return True
        self._inflight = records  # still counted in the backlog while the thread writes
        try:
            size = await asyncio.to_thread(self._journal.append, records)
        except OSError as exc:
            log.error("outbox.journal_failed", error=str(exc), records=len(records))
            self._inflight = []
            self._pending.extendleft(reversed(records))
            if self._first_pending_at is None:
                self._first_pending_at = time.monotonic()
            self._note_backlog()
            return False
        self._inflight = []
        self._journaled += len(records)
        self._journal_bytes += size
        self.stats.spilled += len(records)
        self._note_backlog()
        # The first spill of an outage at info; the following ones (every flush interval) at debug.
        level = log.info if self._spills_this_outage == 0 else log.debug
        self._spills_this_outage += 1
        level("outbox.spilled", records=len(records), bytes=size, journaled=self._journaled)
        return True

    async def _replay(self) -> bool:
        """Write the journal to PostgreSQL in order; False (journal kept) when it is still away."""
        self._journal.seal()
        for segment in list(self._journal.segments):
            try:
                result = await asyncio.to_thread(self._journal.read, segment)
            except OSError as exc:
                log.error("outbox.journal_unreadable", segment=segment.path.name, error=str(exc))
                return False
            for line in result.bad_lines:
                self.stats.torn_lines += 1
                self.metrics.journal_torn_lines.inc()
                log.warning("outbox.journal_torn_line", segment=segment.path.name, line=line)
            for start in range(0, len(result.records), self._batch_size):
                if not await self._write(result.records[start : start + self._batch_size]):
                    return False
            if not await self._forget(segment):
                return False
            self.stats.replayed += len(result.records)
            log.info("outbox.replayed", segment=segment.path.name, records=len(result.records))
        return True

    async def _forget(self, segment: Segment) -> bool:
        records, size = segment.records, segment.size
        try:
            await asyncio.to_thread(self._journal.remove, segment)
        except OSError as exc:
            log.error("outbox.journal_not_removed", segment=segment.path.name, error=str(exc))
            return False
        self._journaled -= records
        self._journal_bytes -= size
        self._note_backlog()
        return True

    def _emergency_spill(self) -> None:
        """The writer is being cancelled: put everything still in memory on disk, synchronously."""
        records = self._inflight + list(self._pending)
        self._inflight = []
        self._pending.clear()
        self._first_pending_at = None
        if not records:
            return
        try:
            size = self._journal.append(records)
        except OSError as exc:
            log.error("outbox.records_lost", records=len(records), error=str(exc))
            return
        self._journaled += len(records)
        self._journal_bytes += size
        self.stats.spilled += len(records)
        self._note_backlog()
        log.warning("outbox.spilled", records=len(records), bytes=size, reason="cancelled")

    def _journal_after_close(self, record: Record) -> None:
        log.warning("outbox.submit_after_close", record_type=type(record).__name__)
        with contextlib.suppress(OSError):
            self._journal_bytes += self._journal.append([record])
            self._journaled += 1
            self._note_backlog()

    def _note_backlog(self) -> None:
        """Keep ``drain()``'s event in step with the backlog (the gauges read it at scrape time)."""
        if self.backlog == 0:
            self._empty.set()
        else:
            self._empty.clear()

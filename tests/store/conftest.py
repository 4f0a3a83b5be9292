"""Storage tests run against the real PostgreSQL (127.0.0.1:5432, trust auth; ``ACD_TEST_PG``).

The schema is applied once per session to a template database; each test gets its own database
cloned from it (~40 ms) and dropped afterwards, so tests never see each other's rows and a test
may break its database (the outage test refuses connections to it) without harming the others.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from acd.config import DatabaseSettings
from acd.metrics import Metrics
from acd.store import db
from acd.store.crypto import generate_secret_key

BASE_DSN = os.environ.get("ACD_TEST_PG", "postgresql://postgres@127.0.0.1:5432")


def dsn_for(name: str) -> str:
    return f"{BASE_DSN.rstrip('/')}/{name}"


@pytest.fixture(scope="session")
async def pg_admin() -> AsyncIterator[asyncpg.Connection]:
    """A connection to the ``postgres`` database, to create and drop test databases."""
    conn = await asyncpg.connect(dsn_for("postgres"))
    try:
        yield conn
    finally:
        await conn.close()


async def drop_database(admin: asyncpg.Connection, name: str) -> None:
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
async def template_db(pg_admin: asyncpg.Connection) -> AsyncIterator[str]:
    name = f"acd_test_tpl_{uuid.uuid4().hex[:10]}"
    await pg_admin.execute(f'CREATE DATABASE "{name}"')
    try:
        async with db.connection(dsn_for(name)) as conn:
            await db.apply_schema(conn)
        yield name
    finally:
        await drop_database(pg_admin, name)


class DatabaseSupply:
    """Clones of the template, made one step ahead and dropped behind the tests' backs.

    Cloning costs a few hundred milliseconds of fsync on a busy disk; a worker task on its own
    connection makes the next database while the current test runs and drops the finished
    ones afterwards, so a test only waits when it is faster than the clone. Every clone is
    named after this session, so closing drops all of them and nothing else.
    """

    def __init__(self, template: str) -> None:
        self.template = template
        self.prefix = f"acd_test_{uuid.uuid4().hex[:8]}_"
        self.count = 0
        self.ready: asyncio.Queue[str] = asyncio.Queue()
        self.finished: list[str] = []
        self.wake = asyncio.Event()
        self.stopping = False
        self.conn: asyncpg.Connection | None = None
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.conn = await asyncpg.connect(dsn_for("postgres"))
        self.task = asyncio.create_task(self._work(), name="test-database-supply")

    async def take(self) -> str:
        self.wake.set()
        name = await self.ready.get()
        self.wake.set()
        return name

    def give_back(self, name: str) -> None:
        self.finished.append(name)
        self.wake.set()

    async def _clone(self) -> str:
        assert self.conn is not None
        self.count += 1
        name = f"{self.prefix}{self.count}"
        # The default strategy (WAL_LOG on PostgreSQL 15+): FILE_COPY forces two checkpoints per
        # clone, which gets slow when other test suites write to the same server.
        await self.conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return name

    async def _drop(self, name: str) -> None:
        assert self.conn is not None
        await self.conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await drop_database(self.conn, name)

    async def _work(self) -> None:
        while not self.stopping:
            self.wake.clear()
            if self.ready.qsize() < 1:
                self.ready.put_nowait(await self._clone())
            elif self.finished:
                await self._drop(self.finished.pop())
            else:
                await self.wake.wait()

    async def close(self) -> None:
        """Let the worker finish what it is doing (never cancel a CREATE DATABASE), drop all clones."""
        self.stopping = True
        self.wake.set()
        if self.task is not None:
            await self.task
        assert self.conn is not None
        names = await self.conn.fetch(
            "SELECT datname FROM pg_database WHERE starts_with(datname, $1)", self.prefix
        )
        for row in names:
            await self._drop(row["datname"])
        await self.conn.close()


@pytest.fixture(scope="session")
async def database_supply(template_db: str) -> AsyncIterator[DatabaseSupply]:
    supply = DatabaseSupply(template_db)
    await supply.start()
    try:
        yield supply
    finally:
        await supply.close()


@pytest.fixture
async def db_name(database_supply: DatabaseSupply) -> AsyncIterator[str]:
    """A database of this test's own, with the schema applied."""
    name = await database_supply.take()
    try:
        yield name
    finally:
        database_supply.give_back(name)


@pytest.fixture
def dsn(db_name: str) -> str:
    return dsn_for(db_name)


@pytest.fixture
async def conn(dsn: str) -> AsyncIterator[Any]:
    async with db.connection(dsn) as connection:
        yield connection


@pytest.fixture
def metrics() -> Metrics:
    return Metrics()


@pytest.fixture
def journal_dir(tmp_path: Path) -> Path:
    return tmp_path / "journal"


@pytest.fixture
def db_settings(dsn: str, journal_dir: Path) -> DatabaseSettings:
    return DatabaseSettings(
        dsn=dsn,
        journal_dir=journal_dir,
        batch_size=200,
        flush_interval=0.02,
        secret_key=generate_secret_key(),
    )

"""Fixtures for the browser tests: one headless Chromium (Debian's, never downloaded) for the
session, and per test the whole product on loopback (see stack.py) against its own database
cloned from a template that already holds the queues, agents and a customer.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import asyncpg
import pytest
from playwright.async_api import Browser, ViewportSize, async_playwright

from acd.store.crypto import SecretBox, generate_secret_key

from .pages import Watched, watch
from .stack import Stack, prepare_database, running_stack

BASE_DSN = os.environ.get("ACD_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]
VIEWPORT: ViewportSize = {"width": 1280, "height": 720}

OpenPage = Callable[[], Awaitable[Watched]]


def dsn_for(name: str) -> str:
    return f"{BASE_DSN.rstrip('/')}/{name}"


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture(scope="session")
def secret_key() -> str:
    return generate_secret_key()


@pytest.fixture(scope="session")
async def pg_admin() -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(dsn_for("postgres"))
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture(scope="session")
async def browser_template(pg_admin: asyncpg.Connection, secret_key: str) -> AsyncIterator[str]:
    """A database with the schema, queues, dispositions, agent1, super1 and a customer."""
    name = f"acd_browser_tpl_{uuid.uuid4().hex[:10]}"
    await pg_admin.execute(f'CREATE DATABASE "{name}"')
    try:
        await prepare_database(dsn_for(name), SecretBox(secret_key))
        yield name
    finally:
        await pg_admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def dsn(pg_admin: asyncpg.Connection, browser_template: str) -> AsyncIterator[str]:
    name = f"acd_browser_{uuid.uuid4().hex[:12]}"
    strategy = " STRATEGY FILE_COPY" if pg_admin.get_server_version().major >= 15 else ""
    await pg_admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{browser_template}"{strategy}')
    try:
        yield dsn_for(name)
    finally:
        await pg_admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def stack(dsn: str, secret_key: str, tmp_path: Path) -> AsyncIterator[Stack]:
    async with running_stack(dsn, tmp_path / "journal", secret_key) as running:
        yield running


@pytest.fixture
async def open_page(browser: Browser) -> AsyncIterator[OpenPage]:
    """Open pages in fresh contexts (own cookies); each must end without a browser error."""
    opened: list[Watched] = []

    async def open_one() -> Watched:
        context = await browser.new_context(viewport=VIEWPORT)
        page = await context.new_page()
        watched = watch(page)
        opened.append(watched)
        return watched

    yield open_one
    for watched in opened:
        await watched.page.context.close()
    for watched in opened:
        watched.assert_clean()

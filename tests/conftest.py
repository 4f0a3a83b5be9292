"""Fixtures shared by every layer's tests, and a watchdog for tests that hang.

pytest-timeout (pyproject.toml) ends a run whose test is stuck, but its dump shows only the
threads, and with asyncio every thread is parked in ``select``: the stuck coroutine is
invisible. So a watchdog thread prints the stack of every asyncio task of the session's loop
when a test (setup, call or teardown) runs longer than ``HANG_REPORT_SECONDS``, before
pytest-timeout's limit ends it; the stacks appear under "Captured stderr" in its report.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from acd.eventloop import loop_factory

HANG_REPORT_SECONDS = 120.0


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> dict[str, Any]:
    """Every async test runs on the loop ``acd run`` uses by default (acd.eventloop)."""
    return {"uvloop": loop_factory("uvloop")}


@dataclass
class _Watch:
    test: str | None = None
    since: float = 0.0
    reported: bool = False
    loop: asyncio.AbstractEventLoop | None = None


_watch = _Watch()


def _dump_tasks(loop: asyncio.AbstractEventLoop, test: str) -> None:
    out = sys.__stderr__
    assert out is not None
    print(f"\n=== acd watchdog: {test} has run {HANG_REPORT_SECONDS:g} s; asyncio tasks:", file=out)
    for task in asyncio.all_tasks(loop):
        print(f"--- {task!r}", file=out)
        task.print_stack(file=out)
    out.flush()


def _watchdog() -> None:
    while True:
        time.sleep(5.0)
        test, loop = _watch.test, _watch.loop
        if test is None or loop is None or _watch.reported:
            continue
        if time.monotonic() - _watch.since > HANG_REPORT_SECONDS:
            _watch.reported = True
            loop.call_soon_threadsafe(_dump_tasks, loop, test)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    _watch.test, _watch.since, _watch.reported = item.nodeid, time.monotonic(), False
    try:
        return (yield)
    finally:
        _watch.test = None


@pytest.fixture(scope="session", autouse=True)
async def _watch_the_loop() -> AsyncIterator[None]:
    _watch.loop = asyncio.get_running_loop()
    threading.Thread(target=_watchdog, name="acd-hang-watchdog", daemon=True).start()
    yield

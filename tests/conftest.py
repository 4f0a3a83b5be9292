"""Fixtures shared by every layer's tests, and a watchdog for tests that hang.

pytest-timeout (pyproject.toml) ends a run whose test is stuck, but its dump shows only the
threads, and with asyncio every thread is parked in ``select``: the stuck coroutine is
invisible. So a watchdog thread prints the stack of every asyncio task of the session's loop
when a test (setup, call or teardown) runs longer than ``HANG_REPORT_SECONDS``, before
pytest-timeout's limit ends it.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator

import pytest

HANG_REPORT_SECONDS = 120.0

_state: dict[str, object] = {"test": None, "since": 0.0, "loop": None, "reported": False}


def _dump_tasks(loop: asyncio.AbstractEventLoop, test: object) -> None:
    out = sys.__stderr__
    assert out is not None
    print(f"\n=== acd watchdog: {test} has run {HANG_REPORT_SECONDS:g} s; asyncio tasks:", file=out)
    for task in asyncio.all_tasks(loop):
        print(f"--- {task!r}", file=out)
        task.print_stack(file=out)
    out.flush()


def _watch() -> None:
    while True:
        time.sleep(5.0)
        test, since, loop = _state["test"], _state["since"], _state["loop"]
        if test is None or _state["reported"] or not isinstance(since, float):
            continue
        if time.monotonic() - since > HANG_REPORT_SECONDS and isinstance(loop, asyncio.AbstractEventLoop):
            _state["reported"] = True
            loop.call_soon_threadsafe(_dump_tasks, loop, test)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    _state.update(test=item.nodeid, since=time.monotonic(), reported=False)
    try:
        return (yield)
    finally:
        _state["test"] = None


@pytest.fixture(scope="session", autouse=True)
async def _watch_the_loop() -> AsyncIterator[None]:
    _state["loop"] = asyncio.get_running_loop()
    threading.Thread(target=_watch, name="acd-hang-watchdog", daemon=True).start()
    yield

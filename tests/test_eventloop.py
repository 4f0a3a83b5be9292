"""The daemon's event loop is uvloop unless configured otherwise (``event_loop``)."""

from __future__ import annotations

import asyncio

import pytest
import uvloop
from pydantic import ValidationError

from acd.config import Settings
from acd.eventloop import loop_factory


def test_the_configured_loop_is_built() -> None:
    fast, standard = loop_factory("uvloop")(), loop_factory("asyncio")()
    try:
        assert isinstance(fast, uvloop.Loop)
        assert isinstance(standard, asyncio.BaseEventLoop) and not isinstance(standard, uvloop.Loop)
    finally:
        fast.close()
        standard.close()


def test_event_loop_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().event_loop == "uvloop"
    monkeypatch.setenv("ACD_EVENT_LOOP", "asyncio")
    assert Settings().event_loop == "asyncio"
    with pytest.raises(ValidationError):
        Settings.model_validate({"event_loop": "trio"})


async def test_the_test_suite_runs_on_uvloop() -> None:
    assert isinstance(asyncio.get_running_loop(), uvloop.Loop)

"""Fixtures for the ARI client's tests: a loopback fake Asterisk and a fresh metrics registry."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from acd.metrics import Metrics
from tests.ari.fake_ari import FakeAri


@pytest.fixture
async def fake_ari() -> AsyncIterator[FakeAri]:
    server = FakeAri()
    await server.start()
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
def metrics() -> Metrics:
    return Metrics()

"""How the client fails: typed errors with Asterisk's message, no answer as AriUnavailable, auth by header."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from acd.ari import (
    AriBadRequest,
    AriClient,
    AriConflict,
    AriError,
    AriNotFound,
    AriPreconditionFailed,
    AriServerError,
    AriUnavailable,
    AriUnprocessable,
)
from acd.config import AriSettings
from acd.metrics import Metrics
from tests.ari.fake_ari import FakeAri
from tests.ari.samples import CHANNEL


def errors_counted(metrics: Metrics, operation: str, status: str) -> float:
    value = metrics.registry.get_sample_value(
        "acd_ari_errors_total", {"operation": operation, "status": status}
    )
    return value or 0.0


@pytest.mark.parametrize(
    ("status", "body", "error", "message"),
    [
        (400, {"message": "Channel not found"}, AriBadRequest, "Channel not found"),
        (404, {"message": "Channel not found"}, AriNotFound, "Channel not found"),
        (
            409,
            {"message": "Channel not in Stasis application"},
            AriConflict,
            "Channel not in Stasis application",
        ),
        (412, {"message": "Channel in invalid state"}, AriPreconditionFailed, "Channel in invalid state"),
        (
            422,
            {"message": "Channel not in Stasis application"},
            AriUnprocessable,
            "Channel not in Stasis application",
        ),
        (500, {"error": "Allocation failed"}, AriServerError, "Allocation failed"),
        (503, None, AriServerError, "Service Unavailable"),
        (401, {"error": "Authentication required"}, AriError, "Authentication required"),
    ],
)
async def test_error_answers_raise_typed_errors_with_asterisks_message(
    fake_ari: FakeAri, metrics: Metrics, status: int, body: Any, error: type[AriError], message: str
) -> None:
    fake_ari.answer("POST", "/channels/c1/answer", status, body)
    async with AriClient(fake_ari.url, "acd", "secret", "acd", metrics=metrics) as client:
        with pytest.raises(error) as info:
            await client.answer("c1")
    failure = info.value
    assert type(failure) is error
    assert (failure.status, failure.message) == (status, message)
    assert (failure.operation, failure.method, failure.path) == (
        "channels.answer",
        "POST",
        "/channels/c1/answer",
    )
    assert message in str(failure)
    assert errors_counted(metrics, "channels.answer", str(status)) == 1


async def test_an_unknown_path_is_not_found(fake_ari: FakeAri) -> None:
    async with AriClient(fake_ari.url, "acd", "secret", "acd") as client:
        with pytest.raises(AriNotFound, match="Resource not found"):
            await client.ring("c1")


async def test_a_slow_answer_times_out_as_unavailable(fake_ari: FakeAri, metrics: Metrics) -> None:
    fake_ari.answer("GET", "/channels", 200, [], delay=1.0)
    client = AriClient(fake_ari.url, "acd", "secret", "acd", request_timeout=0.1, metrics=metrics)
    async with client:
        with pytest.raises(AriUnavailable) as info:
            await client.list_channels()
    assert info.value.status is None
    assert "0.1 s" in info.value.message
    assert errors_counted(metrics, "channels.list", "0") == 1


async def test_a_refused_connection_is_unavailable(metrics: Metrics) -> None:
    server = FakeAri()
    await server.start()
    url = server.url
    await server.close()
    async with AriClient(url, "acd", "secret", "acd", metrics=metrics) as client:
        with pytest.raises(AriUnavailable) as info:
            await client.get_channel("c1")
    assert info.value.status is None
    assert errors_counted(metrics, "channels.get", "0") == 1


async def test_an_answer_that_does_not_fit_the_model_is_an_error(fake_ari: FakeAri) -> None:
    fake_ari.answer("GET", "/channels/c1", 200, {**CHANNEL, "id": None})
    async with AriClient(fake_ari.url, "acd", "secret", "acd") as client:
        with pytest.raises(AriError, match="unexpected answer") as info:
            await client.get_channel("c1")
    assert info.value.status == 200


async def test_credentials_travel_in_the_authorization_header_only(fake_ari: FakeAri) -> None:
    settings = AriSettings(url=fake_ari.url + "/", username="acd", password="s3cret:x", app="acd")
    fake_ari.answer("POST", "/channels/c1/answer", 204)
    async with AriClient.from_settings(settings) as client:
        await client.answer("c1")
    [sent] = fake_ari.received
    assert sent.headers["Authorization"] == aiohttp.encode_basic_auth("acd", "s3cret:x")
    assert "api_key" not in sent.query
    assert sent.path == "/channels/c1/answer"


async def test_latency_is_measured_per_operation(fake_ari: FakeAri, metrics: Metrics) -> None:
    fake_ari.answer("POST", "/channels/c1/answer", 204)
    async with AriClient(fake_ari.url, "acd", "secret", "acd", metrics=metrics) as client:
        await client.answer("c1")
        await client.answer("c1")
    count = metrics.registry.get_sample_value(
        "acd_ari_request_seconds_count", {"operation": "channels.answer"}
    )
    assert count == 2


async def test_concurrent_requests_share_one_client(fake_ari: FakeAri) -> None:
    fake_ari.answer("POST", "/channels/c1/answer", 204)
    async with AriClient(fake_ari.url, "acd", "secret", "acd") as client:
        await asyncio.gather(*(client.answer("c1") for _ in range(50)))
    assert len(fake_ari.received) == 50


def test_the_keepalive_setting_reaches_the_connection_pool() -> None:
    settings = AriSettings(
        url="http://127.0.0.1:1", username="acd", password="x", app="acd", keepalive_seconds=4
    )
    client = AriClient.from_settings(settings)
    assert client._http._pool._idle_seconds == 4

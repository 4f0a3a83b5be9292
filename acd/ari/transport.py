"""One ARI REST exchange: URL, auth header, timeout, error mapping and metrics, done once for all calls.

Kept apart from ``AriClient`` so that the forty thin methods there only say which operation they are;
everything that costs time per request lives here and is built once (headers, metric children). The
bytes travel through ``acd.ari.http.HttpPool`` (see there why not aiohttp's client).
"""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

import aiohttp
from pydantic import ValidationError
from yarl import URL

from acd.ari.errors import AriError, AriUnavailable, error_class, error_message
from acd.ari.http import DEFAULT_IDLE_SECONDS, HttpPool
from acd.metrics import Metrics

T = TypeVar("T")

QueryValue = str | int | bool | Sequence[str] | None


def query(**params: QueryValue) -> dict[str, str]:
    """Asterisk's query parameters from Python values: None is left out, lists are comma-joined."""
    out: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, str):
            out[key] = value
        elif isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, int):
            out[key] = str(value)
        else:
            out[key] = ",".join(value)
    return out


# ``quote`` escapes byte by byte in a Python loop. Most ids and values are plain ASCII and need
# nothing (one regex match in C says so); an ASCII value that does (a caller id, ``agent,<id>``) has
# only its few reserved characters replaced, by one ``re.sub`` in C. Non-ASCII text goes through
# ``quote``. Parameter names are our own few literals: quoted once each, then remembered.
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")
_ESCAPES = {chr(c): f"%{c:02X}" for c in range(128) if chr(c) not in _UNRESERVED}

_PLAIN_VALUE = re.compile(r"[A-Za-z0-9_.~-]*")
_PLAIN_SEGMENT = re.compile(r"[A-Za-z0-9_.~:@-]*")
_RESERVED_IN_VALUE = re.compile(r"[^A-Za-z0-9_.~-]")
_RESERVED_IN_SEGMENT = re.compile(r"[^A-Za-z0-9_.~:@-]")


def _escape(match: re.Match[str]) -> str:
    return _ESCAPES[match.group()]


def segment(value: str) -> str:
    """Quote one path segment: ids are free text to Asterisk (a device name may hold ``/``)."""
    if _PLAIN_SEGMENT.fullmatch(value):
        return value
    return _RESERVED_IN_SEGMENT.sub(_escape, value) if value.isascii() else quote(value, safe=":@")


def _quote_value(value: str) -> str:
    if _PLAIN_VALUE.fullmatch(value):
        return value
    return _RESERVED_IN_VALUE.sub(_escape, value) if value.isascii() else quote(value, safe="")


_quote_name = functools.lru_cache(maxsize=512)(_quote_value)


def encode_query(params: Mapping[str, str]) -> str:
    """``urlencode(params, quote_via=quote)``: every reserved character escaped, spaces as %20."""
    return "&".join([f"{_quote_name(k)}={_quote_value(v)}" for k, v in params.items()])


def auth_header(username: str, password: str) -> dict[str, str]:
    # A header rather than ``api_key=`` in the URL, which would end up in access logs.
    return {"Authorization": aiohttp.encode_basic_auth(username, password)}


class AriTransport:
    """Sends requests under ``<base_url>/ari`` and turns every failure into an ``AriError``."""

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        request_timeout: float = 5.0,
        keepalive_seconds: float = DEFAULT_IDLE_SECONDS,
        metrics: Metrics | None = None,
        connection_limit: int = 32,
    ) -> None:
        url = URL(base_url)
        # Asterisk's HTTP server allows 100 sessions by default (``sessionlimit``): keep well under it.
        self._pool = HttpPool(url.origin(), limit=connection_limit, idle_seconds=keepalive_seconds)
        self._root = url.raw_path.rstrip("/") + "/ari"
        self._headers = "".join(f"{k}: {v}\r\n" for k, v in auth_header(username, password).items())
        self._request_timeout = request_timeout
        self._metrics = metrics

    async def close(self) -> None:
        await self._pool.close()

    async def call(
        self,
        operation: str,
        method: str,
        path: str,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> None:
        """Send one request whose answer carries nothing we need (204 on success)."""
        await self._send(operation, method, path, params, body)

    async def _send(
        self,
        operation: str,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        body: Mapping[str, Any] | None,
    ) -> tuple[int, bytes]:
        started = time.perf_counter()
        try:
            status, reason, data = await self._pool.request(
                method,
                self._target(path, params),
                headers=self._headers,
                body=None if body is None else json.dumps(body).encode(),
                timeout=self._request_timeout,
            )
        except TimeoutError as exc:
            self._failed(operation, 0, started)
            message = f"no answer within {self._request_timeout:g} s"
            raise AriUnavailable(message, operation=operation, method=method, path=path) from exc
        except OSError as exc:  # refused, reset, closed early, malformed answer
            self._failed(operation, 0, started)
            message = f"{type(exc).__name__}: {exc}"
            raise AriUnavailable(message, operation=operation, method=method, path=path) from exc
        if status >= 300:
            self._failed(operation, status, started)
            raise error_class(status)(
                error_message(data, reason), status=status, operation=operation, method=method, path=path
            )
        if self._metrics is not None:
            self._observe(self._metrics, operation, time.perf_counter() - started)
        return status, data

    def _target(self, path: str, params: Mapping[str, str] | None) -> str:
        """The request target, percent-encoded once here (ids are quoted by ``segment``)."""
        target = self._root + path
        if params:
            target += "?" + encode_query(params)
        return target

    async def fetch(
        self,
        parse: Callable[[bytes], T],
        operation: str,
        method: str,
        path: str,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> T:
        """Send one request and parse its body; an answer that does not fit the model is an error too."""
        status, data = await self._send(operation, method, path, params, body)
        try:
            return parse(data)
        except ValidationError as exc:
            raise AriError(
                f"unexpected answer: {exc.error_count()} field error(s): {exc.errors()[0]['msg']}",
                status=status,
                operation=operation,
                method=method,
                path=path,
            ) from exc

    def _failed(self, operation: str, status: int, started: float) -> None:
        if self._metrics is not None:
            self._observe(self._metrics, operation, time.perf_counter() - started)
            self._metrics.ari_errors.labels(operation, str(status)).inc()

    def _observe(self, metrics: Metrics, operation: str, seconds: float) -> None:
        metrics.ari_request_seconds.labels(operation).observe(seconds)

"""The HTTP edge's one exception family, and the JSON error shape every refusal uses.

Handlers raise :class:`ApiError` (or let the engine's ``CommandRejected`` through); the error
middleware in :mod:`acd.web.security` turns both into
``{"error": {"code": ..., "message": ...}}`` so the page handles every refusal the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

#: The engine's refusal codes and the HTTP status each one means (docs/api.md, "Errors").
ENGINE_STATUS = {"invalid": 400, "not-found": 404, "forbidden": 403, "conflict": 409}

#: A machine code for statuses aiohttp raises by itself (unknown route, wrong method, big body).
STATUS_CODES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "too-large",
    429: "too-many-attempts",
    500: "internal",
    503: "unavailable",
}


class ApiError(Exception):
    """A request refused with ``status``; ``code`` is for programs, ``message`` for people."""

    def __init__(
        self, status: int, code: str, message: str, *, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> web.Response:
    return web.json_response(error_body(code, message), status=status, headers=headers)


def not_logged_in() -> ApiError:
    return ApiError(401, "unauthorized", "not logged in")


def database_unavailable() -> ApiError:
    return ApiError(503, "database-unavailable", "the database is not reachable; try again shortly")


def sessions_unavailable() -> ApiError:
    return ApiError(503, "sessions-unavailable", "the session store (Redis) is not reachable")

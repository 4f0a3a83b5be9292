"""ARI's failures as one exception family, so callers branch on the kind of failure, not on numbers.

Asterisk answers the same mistake with different codes on different paths (``addChannel`` says 400 for
a channel that does not exist, ``answer`` says 404), so the class tells what happened and ``status``
keeps the exact code. ``AriNotFound`` is usually a race, not a bug: the channel hung up between the
event the engine acted on and the request it sent.
"""

from __future__ import annotations

import json


class AriError(Exception):
    """An ARI request that did not succeed; ``status`` is None when Asterisk never answered."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        operation: str = "",
        method: str = "",
        path: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.operation = operation
        self.method = method
        self.path = path

    def __str__(self) -> str:
        status = "no answer" if self.status is None else str(self.status)
        return f"{self.operation} ({self.method} {self.path}): {status}: {self.message}"


class AriBadRequest(AriError):
    """400: a parameter was wrong, or (on ``addChannel``/``removeChannel``) the channel does not exist."""


class AriNotFound(AriError):
    """404: the channel, bridge or playback is gone (often a hang-up race) or the path is unknown."""


class AriConflict(AriError):
    """409: the object is in the wrong state (channel not in Stasis, bridge id already taken...)."""


class AriPreconditionFailed(AriError):
    """412: the channel is in a state that forbids the request (e.g. not answered, or being moved)."""


class AriUnprocessable(AriError):
    """422: the request referenced something unusable (e.g. a channel not in a Stasis application)."""


class AriServerError(AriError):
    """5xx: Asterisk failed, e.g. 500 "Allocation failed" when originating to an endpoint with no contact."""


class AriUnavailable(AriError):
    """No answer at all: connection refused or reset, or the request timed out."""


_BY_STATUS: dict[int, type[AriError]] = {
    400: AriBadRequest,
    404: AriNotFound,
    409: AriConflict,
    412: AriPreconditionFailed,
    422: AriUnprocessable,
}


def error_class(status: int) -> type[AriError]:
    """The exception class for an HTTP error status."""
    if status >= 500:
        return AriServerError
    return _BY_STATUS.get(status, AriError)


def error_message(body: bytes, reason: str) -> str:
    """Asterisk's own words: ``{"message": ...}`` on most paths, ``{"error": ...}`` on others."""
    if body:
        try:
            data = json.loads(body)
        except ValueError:
            return body.decode("utf-8", "replace").strip()[:200] or reason
        if isinstance(data, dict):
            for key in ("message", "error"):
                text = data.get(key)
                if isinstance(text, str):
                    return text
    return reason

"""Middlewares and headers that every answer goes through: errors, CSRF, security headers.

- :func:`error_middleware` turns every refusal into the JSON error shape of docs/api.md and counts
  it in ``acd_http_errors{status}``; an unexpected exception is logged and answered 500 without
  details (no stack trace or SQL reaches a browser).
- :func:`csrf_middleware` refuses state-changing requests from other sites: ``Sec-Fetch-Site``
  must be ``same-origin`` when present, else ``Origin`` must name this host; then the session's
  CSRF token must come in ``X-CSRF-Token`` (``/api/login`` excepted: there is no session yet).
  SameSite=Strict cookies already keep other sites' requests anonymous; this is the second lock.
- :func:`security_headers` (an ``on_response_prepare`` signal, so it also covers streamed
  answers) adds a Content-Security-Policy without any inline script, frame and referrer
  protection, and ``no-store`` on API answers (they carry personal data).
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

from acd.config import WebSettings
from acd.engine.base import CommandRejected
from acd.logging import get_logger
from acd.web.deps_key import DEPS
from acd.web.errors import ENGINE_STATUS, STATUS_CODES, ApiError, error_response, not_logged_in
from acd.web.sessions import USER

log = get_logger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_HEADER = "X-CSRF-Token"
#: Unsafe requests that need no CSRF token (there is no session yet); still same-origin checked.
TOKEN_EXEMPT = frozenset({"/api/login"})


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except ApiError as exc:
        response = error_response(exc.status, exc.code, exc.message, exc.headers)
    except CommandRejected as exc:
        response = error_response(ENGINE_STATUS.get(exc.code, 409), exc.code, exc.message)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        headers = {k: v for k, v in exc.headers.items() if k in ("Allow", "Retry-After")}
        code = STATUS_CODES.get(exc.status, "error")
        response = error_response(exc.status, code, exc.reason, headers)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("web.unhandled_error", method=request.method, path=request.path)
        response = error_response(500, "internal", "internal error")
    if response.status >= 400:
        request.app[DEPS].metrics.http_errors.labels(str(response.status)).inc()
    return response


def same_origin(request: web.Request) -> bool:
    """True unless the browser says the request comes from another site."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        # "none" is a user typing a URL or a bookmark: never a state-changing request.
        return site == "same-origin"
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # not a browser, or a browser too old to say: the token still protects
    parts = urlsplit(origin)
    return bool(parts.netloc) and parts.netloc.lower() == request.host.lower()


@web.middleware
async def csrf_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method in UNSAFE_METHODS:
        if not same_origin(request):
            raise ApiError(403, "csrf", "cross-site request refused")
        if request.path not in TOKEN_EXEMPT:
            user = request.get(USER)
            if user is None:
                raise not_logged_in()
            token = request.headers.get(CSRF_HEADER, "")
            if not token or not hmac.compare_digest(token.encode(), user.csrf_token.encode()):
                raise ApiError(403, "csrf", f"missing or wrong {CSRF_HEADER} header")
    return await handler(request)


def ws_origin(url: str) -> str:
    """``wss://host:port`` of the SIP WebSocket URL, for the CSP's connect-src."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def content_security_policy(settings: WebSettings) -> str:
    connect = " ".join(filter(None, ["'self'", ws_origin(settings.sip_ws_url)]))
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "media-src 'self' blob: mediastream:",
            f"connect-src {connect}",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'self'",
        ]
    )


def security_headers(settings: WebSettings) -> Callable[[web.Request, web.StreamResponse], Awaitable[None]]:
    """The ``on_response_prepare`` hook: the same headers on pages, files, API and streams."""
    fixed = {
        "Content-Security-Policy": content_security_policy(settings),
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Permissions-Policy": "microphone=(self), camera=(), geolocation=(), payment=(), usb=()",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if settings.behind_tls_proxy or (settings.tls_cert is not None and settings.tls_key is not None):
        fixed["Strict-Transport-Security"] = "max-age=31536000"

    async def add_headers(request: web.Request, response: web.StreamResponse) -> None:
        response.headers.update(fixed)
        if request.path.startswith("/api/") and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"

    return add_headers

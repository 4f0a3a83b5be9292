"""The OpenAPI document, the operators' endpoints and the static pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import redis.asyncio as aioredis
from yarl import URL

from tests.certs import self_signed

from .conftest import Stack, StackFactory
from .helpers import PASSWORD


def app_routes(stack: Stack) -> set[tuple[str, str]]:
    routes = set()
    for route in stack.app.router.routes():
        if route.method == "HEAD":
            continue
        path = route.resource.canonical if route.resource is not None else ""
        routes.add((route.method.lower(), path.replace("{path:.+}", "{path}")))
    return routes


async def test_openapi_describes_every_route_and_nothing_else(stack: Stack) -> None:
    answer = await stack.browser().get("/api/openapi.json")
    assert answer.status == 200
    document = answer.body
    assert document["openapi"].startswith("3.1")
    described = {(method, path) for path, ops in document["paths"].items() for method in ops}
    assert described == app_routes(stack)
    schemas = document["components"]["schemas"]
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            assert op["responses"], (method, path)
            body = op.get("requestBody")
            if body is not None:
                name = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
                assert name in schemas
    assert schemas["LoginBody"]["required"] == ["agent_id", "password"]
    not_ready = document["paths"]["/api/me/not-ready"]["post"]
    assert not_ready["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("ReasonBody")


async def test_health_readiness_and_metrics(make_stack: StackFactory) -> None:
    checks: dict[str, Any] = {"ari": True, "redis": True, "database": True}

    async def readiness() -> dict[str, Any]:
        return dict(checks)

    stack = await make_stack(readiness=readiness)
    browser = stack.browser()
    assert (await browser.get("/healthz")).body == {"status": "ok"}
    ready = await browser.get("/readyz")
    assert (ready.status, ready.body["ready"]) == (200, True)
    checks["ari"] = False
    not_ready = await browser.get("/readyz")
    assert (not_ready.status, not_ready.body["ready"]) == (503, False)
    await browser.get("/api/me")  # a 401, counted
    metrics = await browser.get("/metrics")
    assert metrics.status == 200
    assert metrics.headers["Content-Type"].startswith("text/plain")
    assert 'acd_http_errors_total{status="401"} 1.0' in metrics.body
    assert "acd_browser_connections 0.0" in metrics.body


async def test_pages_and_files_are_served_with_the_right_types_and_cache_headers(stack: Stack) -> None:
    browser = stack.browser()
    page = await browser.get("/")
    assert page.status == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert page.headers["Cache-Control"] == "no-cache"
    assert "/ui/app.js" in page.body
    wallboard = await browser.get("/wallboard")
    assert wallboard.status == 200 and "wallboard" in wallboard.body
    script = await browser.get("/ui/app.js")
    assert script.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert script.headers["Cache-Control"] == "no-cache"
    assert "ETag" in script.headers or "Last-Modified" in script.headers
    vendor = await browser.get("/ui/vendor/sip-0.21.2.js")
    assert vendor.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert "immutable" in vendor.headers["Cache-Control"]
    css = await browser.get("/ui/style.css")
    assert css.headers["Content-Type"].startswith("text/css")


async def test_no_file_outside_the_ui_directory_and_no_hidden_file(stack: Stack) -> None:
    browser = stack.browser()
    for path in ("/ui/.secret", "/ui/%2e%2e/%2e%2e/etc/passwd", "/ui/vendor/%2E%2E/%2E%2E/x", "/ui/nope.js"):
        answer = await browser.get(path)
        assert answer.status == 404, path
    # A path sent as is, without the client normalising its dots.
    raw = URL(f"{stack.url}/ui/vendor/../../../../etc/passwd", encoded=True)
    async with browser.http.get(raw) as resp:
        assert resp.status == 404


async def test_redis_down_gives_503_for_sessions_while_pages_and_health_are_served(
    make_stack: StackFactory,
) -> None:
    dead = aioredis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    try:
        stack = await make_stack(redis=dead)
        browser = stack.browser()
        browser.set_cookie("a-session-id")  # without a cookie there is nothing to look up
        for answer in (await browser.get("/api/session"), await browser.login("agent1")):
            assert answer.status == 503
            assert answer.body["error"]["code"] == "sessions-unavailable"
        assert (await browser.get("/")).status == 200
        assert (await browser.get("/healthz")).status == 200
    finally:
        await dead.aclose()


async def test_https_from_tls_cert_and_key_with_secure_cookies(
    make_stack: StackFactory, tmp_path: Path
) -> None:
    cert, key = self_signed(tmp_path)
    stack = await make_stack(web={"tls_cert": cert, "tls_key": key})
    url = stack.url.replace("http://", "https://")
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{url}/healthz", ssl=False) as resp:
            assert resp.status == 200
            assert "max-age" in resp.headers["Strict-Transport-Security"]
        body = {"agent_id": "agent1", "password": PASSWORD}
        async with http.post(f"{url}/api/login", json=body, ssl=False) as resp:
            assert resp.status == 200
            cookie = next(c for c in resp.headers.getall("Set-Cookie") if c.startswith("acd_session="))
            assert "Secure" in cookie

"""CSRF, security headers and the JSON error shape."""

from __future__ import annotations

from collections.abc import Mapping

from .conftest import Stack


async def test_a_post_without_the_csrf_token_is_refused(stack: Stack) -> None:
    browser = await stack.logged_in("agent1")
    token, browser.csrf = browser.csrf, ""
    answer = await browser.post("/api/me/login")
    assert answer.status == 403
    assert answer.body["error"]["code"] == "csrf"
    browser.csrf = "not-the-token"
    assert (await browser.post("/api/me/login")).status == 403
    browser.csrf = token
    assert (await browser.post("/api/me/login")).status == 200


async def test_a_cross_site_post_is_refused_even_with_the_token(stack: Stack) -> None:
    browser = await stack.logged_in("agent1")
    answer = await browser.post("/api/me/login", headers={"Sec-Fetch-Site": "cross-site"})
    assert answer.status == 403 and answer.body["error"]["code"] == "csrf"
    answer = await browser.post("/api/me/login", headers={"Sec-Fetch-Site": "same-site"})
    assert answer.status == 403
    assert stack.engine.agents["agent1"].state.value == "logged-out"


async def test_without_fetch_metadata_the_origin_must_be_this_host(stack: Stack) -> None:
    browser = await stack.logged_in("agent1")
    evil = await browser.request(
        "POST", "/api/me/login", headers={"Sec-Fetch-Site": "", "Origin": "https://evil.example"}
    )
    # An empty Sec-Fetch-Site is "present and not same-origin".
    assert evil.status == 403
    browser.http.headers.clear()
    host = stack.url.removeprefix("http://")
    ok = await browser.http.post(
        "/api/me/login", headers={"Origin": f"http://{host}", "X-CSRF-Token": browser.csrf}
    )
    assert ok.status == 200
    ok.release()
    bad = await browser.http.post(
        "/api/me/ready", headers={"Origin": "http://evil.example", "X-CSRF-Token": browser.csrf}
    )
    assert bad.status == 403
    bad.release()


async def test_login_itself_is_same_origin_checked(stack: Stack) -> None:
    answer = await stack.browser().login("agent1", headers={"Sec-Fetch-Site": "cross-site"})
    assert answer.status == 403
    assert "Set-Cookie" not in answer.headers


def assert_security_headers(headers: Mapping[str, str]) -> None:
    h = headers  # aiohttp's CIMultiDictProxy
    csp = h["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["connect-src"] == "'self' wss://pbx.example.com:8089"
    assert directives["media-src"] == "'self' blob: mediastream:"
    assert h["X-Frame-Options"] == "DENY"
    assert h["Referrer-Policy"] == "no-referrer"
    assert h["X-Content-Type-Options"] == "nosniff"
    assert "microphone=(self)" in h["Permissions-Policy"]


async def test_security_headers_on_pages_files_api_errors_and_streams(stack: Stack) -> None:
    browser = await stack.logged_in("agent1")
    for path in ("/", "/wallboard", "/ui/app.js", "/api/me", "/api/nothing-here", "/healthz"):
        answer = await browser.get(path)
        assert_security_headers(answer.headers)
    stream = await browser.events()
    assert_security_headers(stream.resp.headers)
    stream.close()
    answer = await browser.get("/api/me")
    assert answer.headers["Cache-Control"] == "no-store"


async def test_errors_have_the_json_shape_and_are_counted(stack: Stack) -> None:
    browser = await stack.logged_in("agent1")
    answer = await browser.get("/api/nothing-here")
    assert answer.status == 404
    assert answer.body == {"error": {"code": "not-found", "message": "Not Found"}}
    answer = await browser.request("DELETE", "/api/me")
    assert answer.status == 405
    assert answer.body["error"]["code"] == "method-not-allowed"
    answer = await browser.request("POST", "/api/me/not-ready", raw=b"[1, 2]")
    assert answer.status == 400 and "JSON object" in answer.body["error"]["message"]
    answer = await browser.post("/api/me/not-ready", {"reason": "break", "extra": 1})
    assert answer.status == 400 and "extra" in answer.body["error"]["message"]
    errors = stack.deps.metrics.http_errors
    assert errors.labels("404")._value.get() >= 1
    assert errors.labels("405")._value.get() == 1
    assert errors.labels("400")._value.get() == 2


async def test_a_big_body_is_refused(stack: Stack) -> None:
    browser = await stack.logged_in("agent1")
    answer = await browser.request("POST", "/api/me/not-ready", raw=b'{"reason": "' + b"x" * 100_000 + b'"}')
    assert answer.status == 413
    assert answer.body["error"]["code"] == "too-large"

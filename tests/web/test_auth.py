"""Logging in and out: argon2 against cc_agents, no user enumeration, rate limits, cookie, rotation."""

from __future__ import annotations

from multidict import CIMultiDictProxy

from acd.state.agent import AgentState

from .conftest import Stack, StackFactory
from .helpers import Browser


def set_cookie(answer_headers: CIMultiDictProxy[str]) -> str:
    values = answer_headers.getall("Set-Cookie")
    cookies = [v for v in values if v.startswith("acd_session=")]
    assert len(cookies) == 1, values
    return str(cookies[0])


async def test_login_answers_the_agent_the_user_and_a_csrf_token(stack: Stack) -> None:
    browser = stack.browser()
    answer = await browser.login("agent1")
    assert answer.status == 200
    assert answer.body["user"] == {"agent_id": "agent1", "name": "Agent 1", "role": "agent"}
    assert answer.body["agent"]["agent_id"] == "agent1"
    assert answer.body["agent"]["state"] == "logged-out"
    assert len(answer.body["csrf_token"]) >= 32
    session = await browser.get("/api/session")
    assert session.status == 200
    assert session.body == answer.body


async def test_session_cookie_is_httponly_strict_and_not_secure_over_plain_http(stack: Stack) -> None:
    answer = await stack.browser().login("agent1")
    cookie = set_cookie(answer.headers)
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "Secure" not in cookie
    assert f"Max-Age={stack.settings.web.session_max_age}" in cookie


async def test_session_cookie_is_secure_behind_a_tls_proxy(make_stack: StackFactory) -> None:
    stack = await make_stack(web={"behind_tls_proxy": True})
    answer = await stack.browser().login("agent1")
    cookie = set_cookie(answer.headers)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "max-age=31536000" in answer.headers["Strict-Transport-Security"]


async def test_bad_password_unknown_and_disabled_agents_get_the_same_401(stack: Stack) -> None:
    answers = [
        await stack.browser().login("agent1", "wrong password"),
        await stack.browser().login("nobody", "correct horse battery"),
        await stack.browser().login("gone"),
    ]
    assert [a.status for a in answers] == [401, 401, 401]
    assert {str(a.body) for a in answers} == {
        str({"error": {"code": "bad-credentials", "message": "wrong agent id or password"}})
    }
    assert all("Set-Cookie" not in a.headers for a in answers)
    failures = stack.deps.metrics.login_failures.labels("bad-credentials")._value.get()
    assert failures == 3


async def test_a_malformed_login_is_a_400_that_says_what_is_missing(stack: Stack) -> None:
    answer = await stack.browser().post("/api/login", {"agent_id": "agent1"})
    assert answer.status == 400
    assert answer.body["error"]["code"] == "invalid"
    assert "password" in answer.body["error"]["message"]
    answer = await stack.browser().request("POST", "/api/login", raw=b"{not json")
    assert answer.status == 400 and answer.body["error"]["code"] == "invalid-json"


async def test_failed_logins_are_limited_per_account(make_stack: StackFactory) -> None:
    stack = await make_stack(web={"behind_tls_proxy": True, "login_attempts_per_minute": 3})
    browser = stack.browser()
    for n in range(3):
        answer = await browser.login("agent1", "guess", headers={"X-Forwarded-For": f"10.0.0.{n}"})
        assert answer.status == 401
    # A fourth address, and even the right password: the account is locked for the minute.
    answer = await browser.login("agent1", headers={"X-Forwarded-For": "10.0.0.9"})
    assert answer.status == 429
    assert answer.body["error"]["code"] == "too-many-attempts"
    assert 0 < int(answer.headers["Retry-After"]) <= 60
    # Another account from the same addresses is not affected.
    assert (await browser.login("agent2", headers={"X-Forwarded-For": "10.0.0.9"})).status == 200
    assert stack.deps.metrics.login_failures.labels("rate-limited")._value.get() == 1


async def test_failed_logins_are_limited_per_client_address(make_stack: StackFactory) -> None:
    stack = await make_stack(web={"login_attempts_per_minute": 3})
    browser = stack.browser()
    for account in ("agent1", "agent2", "nobody"):
        assert (await browser.login(account, "guess")).status == 401
    answer = await browser.login("agent3")
    assert answer.status == 429
    assert "Retry-After" in answer.headers


async def test_successful_logins_do_not_count_against_the_limit(make_stack: StackFactory) -> None:
    stack = await make_stack(web={"login_attempts_per_minute": 2})
    for _ in range(3):
        assert (await stack.browser().login("agent1")).status == 200


async def test_login_rotates_the_session_id(stack: Stack) -> None:
    browser = stack.browser()
    browser.set_cookie("planted-by-an-attacker")
    await browser.login("agent1")
    first = browser.cookie()
    assert first not in (None, "planted-by-an-attacker")
    await browser.login("agent1")
    second = browser.cookie()
    assert second not in (None, first)
    # The first id is dead: a browser still holding it is not logged in.
    stale = stack.browser()
    stale.set_cookie(str(first))
    assert (await stale.get("/api/session")).status == 401
    assert (await browser.get("/api/session")).status == 200


async def test_logout_ends_the_session_and_the_acd_login(stack: Stack) -> None:
    browser = await stack.logged_in("agent1")
    agent = stack.engine.agents["agent1"]
    assert (await browser.post("/api/me/login")).status == 200
    assert agent.logged_in
    answer = await browser.post("/api/logout")
    assert answer.status == 204
    assert agent.state is AgentState.LOGGED_OUT
    assert (await browser.get("/api/session")).status == 401
    assert (await browser.get("/api/me")).status == 401


async def test_without_a_session_the_api_answers_401(stack: Stack) -> None:
    browser = Browser(stack.url)
    stack.browsers.append(browser)
    for path in ("/api/session", "/api/me", "/api/agents", "/api/events"):
        answer = await browser.get(path)
        assert answer.status == 401, path
        assert answer.body["error"]["code"] == "unauthorized"


async def test_disabling_an_account_ends_its_sessions(stack: Stack) -> None:
    from acd.store import agents as store_agents
    from acd.web.sessions import ACCOUNTS

    browser = await stack.logged_in("agent1")
    assert (await browser.get("/api/session")).status == 200
    pool = stack.deps.pool
    assert pool is not None
    async with pool.acquire() as conn:
        await store_agents.set_enabled(conn, "agent1", False)
    stack.app[ACCOUNTS].forget("agent1")  # the check runs every few seconds; do not wait for it
    assert (await browser.get("/api/session")).status == 401
    assert (await browser.get("/api/me")).status == 401

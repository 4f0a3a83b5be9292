"""Signing in: bad passwords are refused with a message, attempts are rate-limited, and a
state-changing request without the CSRF token is refused even from the page itself."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from .conftest import OpenPage
from .pages import sign_in, sign_in_to_desk
from .stack import AGENT, PASSWORD, Stack

pytestmark = pytest.mark.browser


async def test_bad_password_is_refused_with_a_message(stack: Stack, open_page: OpenPage) -> None:
    page = (await open_page()).page
    await sign_in(page, stack.base_url, AGENT, "not the password")
    await expect(page.locator("#login-error")).to_have_text("Wrong agent ID or password.")
    await expect(page.locator("#desk-view")).to_be_hidden()
    await expect(page.locator("#login-password")).to_be_focused()


async def test_too_many_attempts_show_how_long_to_wait(stack: Stack, open_page: OpenPage) -> None:
    page = (await open_page()).page
    await page.goto(stack.base_url + "/")
    for _ in range(3):  # the stack allows 3 failed attempts a minute
        await page.locator("#login-agent").fill(AGENT)
        await page.locator("#login-password").fill("wrong")
        await page.locator("#login-submit").click()
        await expect(page.locator("#login-error")).to_have_text("Wrong agent ID or password.")
    await page.locator("#login-password").fill(PASSWORD)
    await page.locator("#login-submit").click()
    await expect(page.locator("#login-error")).to_contain_text("Too many sign-in attempts. Try again in")
    await expect(page.locator("#login-submit")).to_be_disabled()
    await expect(page.locator("#desk-view")).to_be_hidden()


async def test_post_without_csrf_token_is_refused(stack: Stack, open_page: OpenPage) -> None:
    page = (await open_page()).page
    await sign_in_to_desk(page, stack.base_url, AGENT, PASSWORD)
    answer = await page.evaluate(
        """async () => {
            const r = await fetch('/api/me/login', {method: 'POST', credentials: 'same-origin'});
            return {status: r.status, body: await r.json()};
        }"""
    )
    assert answer["status"] == 403
    assert answer["body"]["error"]["code"] == "csrf"
    assert stack.service.daemon.engine.agents[AGENT].state.value == "logged-out"

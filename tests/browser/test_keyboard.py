"""Keyboard use: sign in, go ready, decline with Esc, answer with Enter; a sane focus order."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from .conftest import OpenPage
from .pages import expect_state
from .stack import AGENT, CUSTOMER, PASSWORD, Stack

pytestmark = pytest.mark.browser


async def focused_id(page: Page) -> str:
    script = "(e => (e ? e.id || e.tagName + '.' + e.className : ''))(document.activeElement)"
    return str(await page.evaluate(script))


async def tab_order(page: Page, count: int) -> list[str]:
    """The ids focused by ``count`` Tab presses from the top of the page."""
    await page.mouse.click(2, 2)  # the brand corner: moves the focus starting point to the top
    order = []
    for _ in range(count):
        await page.keyboard.press("Tab")
        order.append(await focused_id(page))
    return order


async def test_keyboard_only_sign_in_decline_and_answer(stack: Stack, open_page: OpenPage) -> None:
    page = (await open_page()).page
    await page.goto(stack.base_url + "/")
    await expect(page.locator("#login-agent")).to_be_focused()
    await page.keyboard.type(AGENT)
    await page.keyboard.press("Tab")
    await expect(page.locator("#login-password")).to_be_focused()
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")
    await expect(page.locator("#desk-view")).to_be_visible()
    await expect(page.locator("#live-status")).to_be_hidden()

    await page.locator("#btn-ready").focus()
    await page.keyboard.press("Enter")
    await expect_state(page, "ready")
    # Header, then availability, then the dialpad: the order things are read in.
    assert await tab_order(page, 8) == [
        "logout",
        "btn-ready",
        "nr-reason",
        "btn-not-ready",
        "btn-acd-logout",
        "dial-number",
        "btn-dial",
        "BUTTON.key",
    ]

    # A call rings: focus is on Answer; Esc declines it.
    await stack.place_call(CUSTOMER.number, "First Caller")
    await expect(page.locator("#offer-dialog")).to_be_visible()
    await expect(page.locator("#btn-answer")).to_be_focused()
    await expect(page.locator("#btn-answer kbd")).to_have_text("Enter")
    await expect(page.locator("#btn-decline kbd")).to_have_text("Esc")
    await page.keyboard.press("Escape")
    await expect(page.locator("#offer-dialog")).to_be_hidden()
    assert not stack.sim.ringing_legs(f"PJSIP/{AGENT}")

    # The declined caller is offered again once the agent is back: Enter answers.
    await page.locator("#btn-ready").focus()
    await page.keyboard.press("Enter")
    await expect(page.locator("#offer-dialog")).to_be_visible(timeout=10000)
    await expect(page.locator("#btn-answer")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect_state(page, "on-call")
    # Focus lands on the call's heading, never on Hang up (a held Enter must not end the call).
    await expect(page.locator("#call-title")).to_be_focused()
    order = await tab_order(page, 9)
    assert (
        order.index("btn-mute")
        < order.index("btn-hold")
        < order.index("btn-transfer")
        < order.index("btn-hangup")
    )

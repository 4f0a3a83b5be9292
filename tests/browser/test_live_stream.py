"""The live stream: when the server drops it, the page says so, reconnects, and shows the state
as it is now, including a change made while it was disconnected."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from acd.engine.inputs import SetNotReady

from .conftest import OpenPage
from .pages import expect_state, go_ready, sign_in_to_desk
from .stack import AGENT, PASSWORD, Stack

pytestmark = pytest.mark.browser


async def test_page_reconnects_and_shows_a_change_made_while_disconnected(
    stack: Stack, open_page: OpenPage
) -> None:
    page = (await open_page()).page
    await sign_in_to_desk(page, stack.base_url, AGENT, PASSWORD)
    await go_ready(page)

    await stack.stop_web()  # ends every live stream from the server side, then refuses connections
    await expect(page.locator("#live-status")).to_be_visible()
    await expect(page.locator("#live-status-text")).to_contain_text("Reconnecting")

    stack.service.daemon.runner.command(SetNotReady(AGENT, "lunch"))
    await page.wait_for_timeout(300)
    await expect_state(page, "ready")  # the page cannot know yet, but it says it is reconnecting

    await stack.start_web()
    await expect_state(page, "not-ready", within_ms=10000)
    await expect(page.locator("#state-reason")).to_have_text("· Lunch")
    await expect(page.locator("#live-status")).to_be_hidden()
    await expect(page.locator("#workspace-title")).to_have_text("Not ready: Lunch")


async def test_page_reloads_its_state_when_the_stream_is_cut_off(stack: Stack, open_page: OpenPage) -> None:
    """Streams closed by the server while it keeps running (a logout elsewhere, an overflow)."""
    page = (await open_page()).page
    await sign_in_to_desk(page, stack.base_url, AGENT, PASSWORD)
    await go_ready(page)
    live = stack.apps[-1]
    from acd.web.live import LIVE

    live[LIVE].stop_all()
    stack.service.daemon.runner.command(SetNotReady(AGENT, "break"))
    await expect_state(page, "not-ready", within_ms=10000)
    await expect(page.locator("#state-reason")).to_have_text("· Break")
    await expect(page.locator("#live-status")).to_be_hidden()

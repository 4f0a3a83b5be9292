"""An agent's call from the ringing popup to wrap-up, on the demo phone, down to PostgreSQL."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from playwright.async_api import Page, expect

from .conftest import OpenPage
from .pages import expect_state, go_ready, sign_in_to_desk
from .stack import AGENT, CUSTOMER, PASSWORD, Stack

pytestmark = pytest.mark.browser

HOSTILE = "<img src=x onerror=alert(1)>"


async def ringing_call(stack: Stack, page: Page, name: str = HOSTILE) -> str:
    caller = await stack.place_call(CUSTOMER.number, name)
    await expect(page.locator("#offer-dialog")).to_be_visible()
    await expect(page.locator("#btn-answer")).to_be_enabled()
    return caller


async def test_caller_name_is_shown_as_text_never_as_html(stack: Stack, open_page: OpenPage) -> None:
    watched = await open_page()
    page = watched.page
    await sign_in_to_desk(page, stack.base_url, AGENT, PASSWORD)
    await go_ready(page)
    await ringing_call(stack, page)

    await expect(page.locator("#offer-caller")).to_have_text(HOSTILE)
    await expect(page.locator("#offer-number")).to_have_text(CUSTOMER.number)
    await expect(page.locator("#offer-queue")).to_have_text("Queue: support")
    # The customer comes from the built-in directory (sent with the offer or looked up).
    customer = page.locator("#offer-customer")
    await expect(customer).to_contain_text(CUSTOMER.name)
    await expect(customer).to_contain_text("AC-1042")
    await expect(customer).to_contain_text("Prefers email")
    assert await page.evaluate("document.querySelectorAll('img').length") == 0
    assert await page.evaluate("document.title") == "☎ Incoming call · Agent desk"
    await page.wait_for_timeout(300)  # an onerror handler would have fired by now
    assert watched.dialogs == []


async def test_answer_hold_hang_up_and_wrap_up_reach_postgresql(
    stack: Stack, open_page: OpenPage, dsn: str
) -> None:
    page = (await open_page()).page
    await sign_in_to_desk(page, stack.base_url, AGENT, PASSWORD)
    await go_ready(page)
    caller = await ringing_call(stack, page, "Maria Lopez")

    await page.locator("#btn-answer").click()
    await expect_state(page, "on-call")
    await expect(page.locator("#offer-dialog")).to_be_hidden()
    await expect(page.locator("#call-title")).to_have_text("Maria Lopez")
    await expect(page.locator("#call-customer")).to_contain_text(CUSTOMER.name)
    first = await page.locator("#call-duration").text_content()
    await expect(page.locator("#call-duration")).not_to_have_text(first or "", timeout=2500)  # it ticks

    await page.locator("#btn-hold").click()
    await expect_state(page, "on-hold")
    await expect(page.locator("#call-status")).to_have_text("On hold")
    await expect(page.locator("#btn-hold")).to_have_attribute("aria-pressed", "true")
    await page.wait_for_timeout(1100)  # some hold time to find in the database
    await page.locator("#btn-hold").click()
    await expect_state(page, "on-call")
    await expect(page.locator("#call-status")).to_have_text("Connected")

    # Not ready asked during the call waits for its end, and says so.
    await page.locator("#nr-reason").select_option("lunch")
    await page.locator("#btn-not-ready").click()
    await expect(page.locator("#pending")).to_have_text("After this call: Not ready (Lunch)")
    await expect_state(page, "on-call")

    await page.locator("#btn-hangup").click()
    await expect_state(page, "wrap-up")
    await expect(page.locator("#wrap-next")).to_have_text("Then: Not ready (Lunch)")
    await expect(page.locator("#wrap-summary")).to_contain_text("Maria Lopez")
    await expect(page.locator("#wrap-required")).to_be_visible()
    await expect(page.locator("#wrap-countdown-label")).to_have_text("Time left")
    # The queue requires a disposition: the server refuses (409) and the page says so.
    await page.locator("#btn-wrap-end").click()
    await expect(page.locator("#wrap-error")).to_contain_text("disposition")
    await expect_state(page, "wrap-up")
    await page.get_by_label("Solved").check()
    await page.locator("#btn-wrap-end").click()
    await expect_state(page, "not-ready")
    await expect(page.locator("#state-reason")).to_have_text("· Lunch")
    await expect(page.locator("#pending")).to_be_hidden()
    # Today's figures are refreshed after the call.
    await expect(page.locator('[data-stat="answered"] dd')).to_have_text("1", timeout=6000)

    conn = await asyncpg.connect(dsn)
    try:
        row = None
        for _ in range(100):
            row = await conn.fetchrow(
                "SELECT disposition, talk_seconds, hold_seconds, agent_id, state FROM cc_calls"
                " WHERE call_id = $1",
                caller,
            )
            if row is not None and row["disposition"] is not None:
                break
            await asyncio.sleep(0.05)
        assert row is not None, "no cc_calls row"
        assert row["disposition"] == "solved"
        assert row["agent_id"] == AGENT
        assert row["state"] == "ended"
        assert row["talk_seconds"] > 0
        assert row["hold_seconds"] >= 1.0
        events = {
            r["event_type"]
            for r in await conn.fetch("SELECT event_type FROM cc_call_events WHERE call_id = $1", caller)
        }
        assert {"offered", "answered", "ended"} <= events, events
        moves = [
            (r["from_state"], r["to_state"])
            for r in await conn.fetch(
                "SELECT from_state, to_state FROM cc_agent_activities"
                ' WHERE agent_id = $1 ORDER BY "timestamp", id',
                AGENT,
            )
        ]
        for move in [
            ("ready", "offered"),
            ("offered", "on-call"),
            ("on-call", "on-hold"),
            ("on-hold", "on-call"),
            ("on-call", "wrap-up"),
            ("wrap-up", "not-ready"),
        ]:
            assert move in moves, (move, moves)
    finally:
        await conn.close()


async def test_transfer_to_a_queue_then_an_outbound_call(stack: Stack, open_page: OpenPage) -> None:
    page = (await open_page()).page
    await sign_in_to_desk(page, stack.base_url, AGENT, PASSWORD)
    await go_ready(page)
    caller = await ringing_call(stack, page, "Transfer Me")
    await page.keyboard.press("Enter")
    await expect_state(page, "on-call")
    await expect(page.locator("#dialpad-mode")).to_have_text("Tones to the caller")
    await page.locator('.key[data-digit="5"]').click()
    await expect(page.locator("#dial-number")).to_have_value("5")

    await page.locator("#btn-transfer").click()
    await expect(page.locator("#transfer-dialog")).to_be_visible()
    await page.locator("#transfer-queue").select_option("sales")
    await page.locator("#transfer-go").click()
    await expect(page.locator("#transfer-dialog")).to_be_hidden()
    await expect_state(page, "wrap-up")
    await expect(page.locator("#wrap-summary")).to_contain_text("was transferred")
    engine = stack.service.daemon.engine
    assert any(c.queue == "sales" and c.channel_id == caller for c in engine.calls.values())
    await page.locator("#nr-reason").select_option("break")
    await page.get_by_label("Solved").check()
    await page.locator("#btn-not-ready").click()  # ends the wrap-up: not ready, the sales call waits
    await expect_state(page, "not-ready")

    await page.locator("#dial-number").fill("+1 555 765-4321")
    await page.locator("#btn-dial").click()
    await expect_state(page, "on-call")
    await expect(page.locator("#call-meta")).to_have_text("Outbound")
    await expect(page.locator("#call-title")).to_have_text("+15557654321")
    await expect(page.locator("#call-status")).to_have_text("Connected")
    await page.locator("#btn-hangup").click()
    await expect_state(page, "not-ready")

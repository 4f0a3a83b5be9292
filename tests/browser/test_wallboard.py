"""The wallboard: queues and agents live; a supervisor's force not-ready reaches the agent's page."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from .conftest import OpenPage
from .pages import expect_state, go_ready, sign_in, sign_in_to_desk
from .stack import AGENT, AGENT_NAME, PASSWORD, SUPERVISOR, Stack

pytestmark = pytest.mark.browser


async def test_wallboard_is_live_and_force_not_ready_reaches_the_agent(
    stack: Stack, open_page: OpenPage
) -> None:
    board = (await open_page()).page
    await sign_in(board, stack.base_url, SUPERVISOR, PASSWORD, path="/wallboard")
    await expect(board.locator("#board")).to_be_visible()
    await expect(board.locator("#live-status")).to_be_hidden()
    support = board.locator('.qcard[data-queue="support"]')
    await expect(support).to_be_visible()
    await expect(board.locator('.qcard[data-queue="sales"]')).to_be_visible()
    row = board.locator(f'tr[data-agent="{AGENT}"]')
    await expect(row.locator(".agent-name")).to_have_text(AGENT_NAME)
    await expect(row.locator(".badge")).to_have_attribute("data-state", "logged-out")

    agent = (await open_page()).page
    await sign_in_to_desk(agent, stack.base_url, AGENT, PASSWORD)
    await go_ready(agent)
    await expect(row.locator(".badge")).to_have_attribute("data-state", "ready")  # live agent.state

    # Force not-ready from the wallboard: the agent's page follows.
    await row.get_by_role("button", name="Not ready…").click()
    await expect(board.locator("#force-dialog")).to_be_visible()
    await board.locator("#force-reason").select_option("break")
    await board.locator("#force-go").click()
    await expect(board.locator("#force-dialog")).to_be_hidden()
    await expect_state(agent, "not-ready")
    await expect(agent.locator("#state-reason")).to_have_text("· Break")
    await expect(row.locator(".badge")).to_have_attribute("data-state", "not-ready")
    await expect(row.locator(".badge")).to_contain_text("Break")

    # A caller waits: the queue card shows it live, the oldest wait ticks.
    await stack.place_call("+15550001111", "Waiting Caller")
    await expect(support.locator(".metric-waiting")).to_have_text("1")
    await expect(support.locator(".metric-oldest")).to_have_text("0:02", timeout=4000)

    # The agent goes ready and is offered the call: the board shows it ringing, with the caller.
    await agent.locator("#btn-ready").click()
    await expect_state(agent, "offered")
    await expect(row.locator(".badge")).to_have_attribute("data-state", "offered")
    await expect(row.locator(".call-cell")).to_contain_text("Waiting Caller")
    await agent.locator("#btn-answer").click()
    await expect(row.locator(".badge")).to_have_attribute("data-state", "on-call")
    await expect(support.locator(".metric-waiting")).to_have_text("0")
    await expect(board.locator("#wb-summary")).to_have_text("1 agent signed in · 1 on call")


async def test_wallboard_tells_an_agent_it_is_for_supervisors(stack: Stack, open_page: OpenPage) -> None:
    page = (await open_page()).page
    await sign_in(page, stack.base_url, AGENT, PASSWORD, path="/wallboard")
    await expect(page.locator("#forbidden")).to_be_visible()
    await expect(page.locator("#forbidden-title")).to_have_text("The wallboard is for supervisors")
    await expect(page.locator("#wb-main")).to_be_hidden()

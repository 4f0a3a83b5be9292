"""Regenerate docs/screenshots/*.png: the agent page and the wallboard in their main states at
1280x720, against the real product (simulator, daemon, PostgreSQL, Redis, web server).

    .venv/bin/python -m tests.browser.screenshots [output directory]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import uuid
from pathlib import Path

import asyncpg
from playwright.async_api import Page, async_playwright, expect

from acd.engine.inputs import Login, SetNotReady, SetReady
from acd.sim import PhoneBehaviour
from acd.store.agents import NewAgent
from acd.store.crypto import SecretBox, generate_secret_key

from .conftest import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, dsn_for
from .pages import expect_state, go_ready, sign_in, sign_in_to_desk
from .stack import AGENT, CUSTOMER, PASSWORD, SUPERVISOR, Stack, prepare_database, running_stack

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

TEAM = [
    NewAgent("agent2", "Bob Stone", "agent2", PASSWORD, "sip-secret-a2", queues={"support": 1}),
    NewAgent(
        "agent3", "Carla Nguyen", "agent3", PASSWORD, "sip-secret-a3", queues={"support": 1, "sales": 1}
    ),
    NewAgent("agent4", "Dev Patel", "agent4", PASSWORD, "sip-secret-a4", queues={"sales": 1}),
    NewAgent("agent5", "Eve Larsen", "agent5", PASSWORD, "sip-secret-a5", queues={"support": 2, "sales": 1}),
]
PHONES = {
    "agent2": PhoneBehaviour.answer(0.5),
    "agent3": PhoneBehaviour.answer(0.5, talk_time=2.0),
    "agent4": PhoneBehaviour.manual(),
    "agent5": PhoneBehaviour.manual(),
}


async def agent_screens(stack: Stack, page: Page, out: Path) -> None:
    await page.goto(stack.base_url + "/")
    await expect(page.locator("#login-agent")).to_be_focused()
    await page.screenshot(path=out / "login.png")

    await sign_in_to_desk(page, stack.base_url, AGENT, PASSWORD)
    await go_ready(page)
    await page.wait_for_timeout(3200)
    await page.mouse.move(0, 700)
    await page.screenshot(path=out / "ready.png")

    await stack.place_call(CUSTOMER.number, "Jane Doe")
    await expect(page.locator("#offer-customer")).to_contain_text(CUSTOMER.name)
    await page.wait_for_timeout(2200)
    await page.screenshot(path=out / "ringing.png")

    await page.keyboard.press("Enter")
    await expect_state(page, "on-call")
    await page.locator("#dial-number").focus()
    for digit in "1042":
        await page.keyboard.press(digit)
    await page.locator("#call-title").focus()
    await page.wait_for_timeout(3500)
    await page.screenshot(path=out / "on-call.png")

    await page.locator("#btn-hold").click()
    await expect_state(page, "on-hold")
    await page.wait_for_timeout(1500)
    await page.screenshot(path=out / "on-hold.png")
    await page.locator("#btn-hold").click()
    await expect_state(page, "on-call")

    await page.locator("#btn-hangup").click()
    await expect_state(page, "wrap-up")
    await page.get_by_label("Escalated").check()
    await page.wait_for_timeout(2200)
    await page.screenshot(path=out / "wrap-up.png")
    await page.locator("#btn-wrap-end").click()
    await expect_state(page, "ready")


async def wallboard_screens(stack: Stack, board: Page, agent: Page, out: Path) -> None:
    runner = stack.service.daemon.runner
    for agent_id in ("agent2", "agent3", "agent4", "agent5"):
        runner.command(Login(agent_id))
    runner.command(SetReady("agent2"))
    runner.command(SetReady("agent3"))
    runner.command(SetNotReady("agent4", "lunch"))
    await sign_in(board, stack.base_url, SUPERVISOR, PASSWORD, path="/wallboard")
    await expect(board.locator("#board")).to_be_visible()
    for n, name in enumerate(["Olivia Brown", "Liam Wilson", "Noah Garcia"]):
        await stack.place_call(f"+1555010{n:04d}", name)
        await asyncio.sleep(0.3)
    await expect(agent.locator("#offer-dialog")).to_be_visible()
    await agent.keyboard.press("Enter")
    await asyncio.sleep(3.0)  # Carla's caller hangs up after 2 s: she is in wrap-up
    await stack.place_call("+15550209999", "Ava Martinez")
    await stack.place_call("+15550208888", "Lucas Kim", queue="sales")
    await stack.place_call("+15550207777", "Mia Rossi")
    await board.wait_for_timeout(6500)
    await board.mouse.move(0, 700)
    await board.screenshot(path=out / "wallboard.png")
    await board.goto(stack.base_url + "/wallboard?tv=1")
    await expect(board.locator("#live-status")).to_be_hidden()
    await board.wait_for_timeout(1500)
    await board.screenshot(path=out / "wallboard-tv.png")


async def main(out: Path) -> None:
    key = generate_secret_key()
    name = f"acd_screens_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(dsn_for("postgres"))
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        await prepare_database(dsn_for(name), SecretBox(key), TEAM)
        with tempfile.TemporaryDirectory() as tmp:
            async with (
                running_stack(dsn_for(name), Path(tmp) / "journal", key, PHONES) as stack,
                async_playwright() as playwright,
            ):
                browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                agent = await (await browser.new_context(viewport=VIEWPORT)).new_page()
                board = await (await browser.new_context(viewport=VIEWPORT)).new_page()
                await agent_screens(stack, agent, out)
                await wallboard_screens(stack, board, agent, out)
                await browser.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    target.mkdir(parents=True, exist_ok=True)
    asyncio.run(main(target))
    for shot in sorted(target.glob("*.png")):
        print(shot)

"""Helpers to drive the agent page and the wallboard, and to watch a page for browser errors."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from playwright.async_api import ConsoleMessage, Dialog, Error, Page, expect

#: The browser logs every non-2xx answer as a console error; these are API answers the page
#: expects and handles (not signed in yet, CSRF refusal, illegal state change, rate limit).
EXPECTED_HTTP = re.compile(
    r"^Failed to load resource: the server responded with a status of (401|403|409|429)\b"
)


@dataclass
class Watched:
    page: Page
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.errors == [], f"browser errors: {self.errors}"
        assert self.dialogs == [], f"unexpected dialogs: {self.dialogs}"


def watch(page: Page) -> Watched:
    watched = Watched(page)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not EXPECTED_HTTP.match(message.text):
            watched.errors.append(f"console: {message.text}")

    def on_page_error(error: Error) -> None:
        watched.errors.append(f"pageerror: {error}")

    async def on_dialog(dialog: Dialog) -> None:
        watched.dialogs.append(f"{dialog.type}: {dialog.message}")
        await dialog.dismiss()

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    page.on("dialog", on_dialog)
    return watched


async def sign_in(page: Page, base_url: str, agent_id: str, password: str, path: str = "/") -> None:
    await page.goto(base_url + path)
    await page.locator("#login-agent").fill(agent_id)
    await page.locator("#login-password").fill(password)
    await page.locator("#login-submit").click()


async def sign_in_to_desk(page: Page, base_url: str, agent_id: str, password: str) -> None:
    await sign_in(page, base_url, agent_id, password)
    await expect(page.locator("#desk-view")).to_be_visible()
    await expect(page.locator("#phone-health")).to_have_attribute("data-health", "demo")
    await expect(page.locator("#live-status")).to_be_hidden()


async def expect_state(page: Page, state: str, within_ms: float = 5000) -> None:
    await expect(page.locator("#state-badge")).to_have_attribute("data-state", state, timeout=within_ms)


async def go_ready(page: Page) -> None:
    await page.locator("#btn-ready").click()
    await expect_state(page, "ready")

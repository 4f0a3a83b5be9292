"""The WebRTC phone (SIP.js) registers with the credentials from /api/me/sip, shows its health,
and offers a retry when registration is refused. Against a small digest-checking registrar."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import expect

from .conftest import OpenPage
from .pages import sign_in
from .sip_registrar import Registrar
from .stack import AGENT, PASSWORD, Stack, running_stack, wait_until

pytestmark = pytest.mark.browser


@pytest.fixture
async def registrar() -> AsyncIterator[Registrar]:
    server = Registrar(username=AGENT, password="sip-secret-1")
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def sip_stack(dsn: str, secret_key: str, tmp_path: Path, registrar: Registrar) -> AsyncIterator[Stack]:
    async with running_stack(dsn, tmp_path / "journal", secret_key, sip_ws_url=registrar.ws_url) as running:
        yield running


async def test_phone_registers_with_digest_credentials(
    sip_stack: Stack, registrar: Registrar, open_page: OpenPage
) -> None:
    page = (await open_page()).page
    await sign_in(page, sip_stack.base_url, AGENT, PASSWORD)
    health = page.locator("#phone-health")
    await expect(health).to_have_attribute("data-health", "registered", timeout=10000)
    await expect(page.locator("#phone-health-text")).to_have_text("Phone ready")
    assert registrar.registered and f"sip:{AGENT}@127.0.0.1" in registrar.registered[0]

    await page.locator("#logout").click()  # signing out unregisters the phone
    await expect(page.locator("#login-view")).to_be_visible()
    await wait_until(lambda: registrar.unregistered > 0, "the phone to unregister")


async def test_refused_registration_shows_failure_and_retry(
    sip_stack: Stack, registrar: Registrar, open_page: OpenPage
) -> None:
    registrar.refuse = True
    page = (await open_page()).page
    await sign_in(page, sip_stack.base_url, AGENT, PASSWORD)
    await expect(page.locator("#phone-health")).to_have_attribute("data-health", "failed", timeout=10000)
    await expect(page.locator("#phone-health-text")).to_contain_text("403 Forbidden")
    retry = page.locator("#phone-retry")
    await expect(retry).to_be_visible()

    registrar.refuse = False
    await retry.click()
    await expect(page.locator("#phone-health")).to_have_attribute("data-health", "registered", timeout=10000)
    await expect(retry).to_be_hidden()

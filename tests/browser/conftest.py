"""What the browser tests share: Debian's Chromium driven by Playwright, signing
up through the page, and servers started with settings of their own."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.live import ChatServer, LiveDatabase

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
PASSWORD = "a-long-test-password-1"
# The browser's language (Playwright's locale: navigator.language and Accept-Language).
ENGLISH = "en-US"
CHINESE = "zh-CN"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One headless Chromium for the module; each user gets a context of their own."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def new_context(browser, base_url: str, *, locale: str = ENGLISH, **options):
    """A browser context (one person's browser) for the server at ``base_url``, its
    language ``locale`` (ENGLISH or CHINESE), a 1280x800 window unless ``options`` say
    otherwise."""
    options.setdefault("viewport", {"width": 1280, "height": 800})
    context = browser.new_context(base_url=base_url, locale=locale, **options)
    context.set_default_timeout(10_000)
    return context


def sign_up_through_the_page(page, prefix: str, password: str = PASSWORD) -> str:
    """Sign a fresh user up on ``page`` (its context's base URL is the server); their name."""
    from playwright.sync_api import expect

    username = f"{prefix}-{uuid.uuid4().hex[:6]}"
    page.goto("/accounts/signup/")
    page.fill("#id_username", username)
    page.fill("#id_password1", password)
    page.fill("#id_password2", password)
    page.click("[data-testid=signup-submit]")
    expect(page).to_have_url(re.compile(r"/$"))
    return username


@contextmanager
def server_with(env: dict[str, str]) -> Iterator[ChatServer]:
    """A server process on a fresh database, with ``env`` added to its environment."""
    database = LiveDatabase(os.environ.get("DATABASE_URL", "")).create()
    server = ChatServer(database, env=env).start()
    try:
        yield server
    finally:
        server.stop()
        database.drop()

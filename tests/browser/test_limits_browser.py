"""The server's limits, as the browser meets them: the cap on a user's sockets
(the oldest tab gives way with 4409 and stays disconnected until its user asks,
so tabs never push each other out in a loop), and the longest message body,
which the page reads from the server rather than knowing it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

pytestmark = pytest.mark.browser

from tests.browser.conftest import CHROMIUM  # noqa: E402

if not CHROMIUM.exists():
    pytest.skip("Chromium is not installed at /usr/bin/chromium", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect  # noqa: E402

from tests.browser.conftest import server_with, sign_up_through_the_page  # noqa: E402
from tests.browser.test_chat_browser import wait_connected  # noqa: E402
from tests.live import ChatServer  # noqa: E402


@pytest.fixture(scope="module")
def capped_chat() -> Iterator[ChatServer]:
    with server_with({"CHAT_MAX_SOCKETS_PER_USER": "2", "CHAT_MAX_BODY": "40"}) as server:
        yield server


def status(page: Page):
    return page.get_by_test_id("status")


def signed_up(page: Page) -> None:
    sign_up_through_the_page(page, "tabs")
    wait_connected(page)


def test_the_oldest_tab_gives_way_and_comes_back_when_asked(browser: Browser, capped_chat) -> None:
    context = browser.new_context(base_url=capped_chat.url)
    context.set_default_timeout(10_000)
    first = context.new_page()
    signed_up(first)
    second = context.new_page()
    second.goto("/")
    wait_connected(second)

    third = context.new_page()
    third.goto("/")
    wait_connected(third)

    expect(status(first)).to_contain_text("too many tabs")
    expect(status(first)).to_have_attribute("data-state", "replaced")
    # It does not reconnect by itself (which would push out the next tab in turn).
    first.wait_for_timeout(2000)
    expect(status(first)).to_have_attribute("data-state", "replaced")
    expect(status(second)).to_have_text("Connected")

    first.get_by_role("button", name="Use here").click()

    wait_connected(first)
    expect(status(second)).to_have_attribute("data-state", "replaced")
    expect(status(third)).to_have_text("Connected")
    context.close()


def test_the_composer_knows_the_servers_body_limit(browser: Browser, capped_chat) -> None:
    context = browser.new_context(base_url=capped_chat.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    signed_up(page)
    page.goto("/rooms/new/")
    page.fill("#id_name", f"Limits {uuid.uuid4().hex[:4]}")
    page.click("[data-testid=room-create-submit]")
    wait_connected(page)
    composer = page.get_by_test_id("composer")

    composer.fill("x" * 41)

    expect(page.locator("#composer-counter")).to_contain_text("40")
    expect(page.get_by_test_id("send")).to_be_disabled()
    composer.fill("x" * 40)
    expect(page.get_by_test_id("send")).to_be_enabled()
    composer.press("Enter")
    expect(page.get_by_test_id("message").filter(has_text="x" * 40)).to_have_count(1)
    context.close()

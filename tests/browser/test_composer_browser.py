"""The composer and the outbox in a real browser: messages sent faster than the
server's rate limit are stored in the order they were typed, each once, and a
room's unsent draft survives going to another room and coming back."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator

import pytest

pytestmark = pytest.mark.browser

from tests.browser.conftest import CHROMIUM  # noqa: E402

if not CHROMIUM.exists():
    pytest.skip("Chromium is not installed at /usr/bin/chromium", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect  # noqa: E402

from tests.browser.conftest import server_with, sign_up_through_the_page  # noqa: E402
from tests.browser.test_chat_browser import (  # noqa: E402
    create_room,
    messages,
    record_frames,
    send,
    wait_connected,
)
from tests.live import ChatServer  # noqa: E402

BURST = 26


@pytest.fixture(scope="module")
def strict_chat() -> Iterator[ChatServer]:
    """A server that lets a user send 5 messages at once, then 5 a second."""
    with server_with({"CHAT_SEND_BURST": "5", "CHAT_SEND_RATE": "5"}) as server:
        yield server


@pytest.fixture
def page(browser: Browser, strict_chat: ChatServer) -> Iterator[Page]:
    """A fresh user, signed up and connected, in a browser context of their own."""
    context = browser.new_context(base_url=strict_chat.url, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_up_through_the_page(page, "composer")
    wait_connected(page)
    try:
        yield page
    finally:
        context.close()


SEQ_AND_BODY = """els => els.map(e => [
    e.dataset.seq,
    e.querySelector("[data-testid=message-body]")?.textContent ?? "",
])"""


def shown_messages(page: Page) -> list[tuple[int, str]]:
    """(seq, body) of every stored message on the page, top to bottom."""
    return [
        (int(seq), body) for seq, body in page.eval_on_selector_all("[data-testid=message]", SEQ_AND_BODY)
    ]


def assert_in_typed_order(page: Page, typed: list[str]) -> None:
    bodies = messages(page).get_by_test_id("message-body").filter(has_text=re.compile(r"^burst \d+$"))
    # Waits until every message is stored and shown, then compares them in page order.
    expect(bodies).to_have_text(typed, timeout=30_000)
    expect(page.get_by_test_id("pending-message")).to_have_count(0)
    burst = [(seq, body) for seq, body in shown_messages(page) if body in typed]
    assert [body for _seq, body in burst] == typed
    first = burst[0][0]
    assert [seq for seq, _body in burst] == list(range(first, first + len(typed)))


def test_messages_sent_past_the_rate_limit_keep_their_order(page: Page) -> None:
    frames = record_frames(page)
    create_room(page, f"Burst {uuid.uuid4().hex[:4]}")
    typed = [f"burst {n}" for n in range(1, BURST + 1)]

    for body in typed:
        send(page, body)

    # The server refused some of them at first; they are still stored in the
    # order typed, each once.
    assert_in_typed_order(page, typed)
    refusals = [frame for frame in map(json.loads, frames) if frame.get("code") == "rate_limited"]
    assert refusals
    page.reload()
    wait_connected(page)
    assert_in_typed_order(page, typed)


def test_each_room_keeps_its_own_draft(page: Page) -> None:
    first = create_room(page, f"Drafts A {uuid.uuid4().hex[:4]}")
    second = create_room(page, f"Drafts B {uuid.uuid4().hex[:4]}")
    composer = page.get_by_test_id("composer")

    page.get_by_test_id(f"room-link-{first}").click()
    expect(page).to_have_url(re.compile(rf"/r/{first}/$"))
    wait_connected(page)
    composer.fill("half a thought for A")
    page.get_by_test_id(f"room-link-{second}").click()
    expect(page).to_have_url(re.compile(rf"/r/{second}/$"))
    wait_connected(page)
    expect(composer).to_have_value("")
    composer.fill("a line\nfor B")

    page.get_by_test_id(f"room-link-{first}").click()
    expect(page).to_have_url(re.compile(rf"/r/{first}/$"))
    expect(composer).to_have_value("half a thought for A")
    wait_connected(page)
    page.get_by_test_id(f"room-link-{second}").click()
    expect(page).to_have_url(re.compile(rf"/r/{second}/$"))
    expect(composer).to_have_value("a line\nfor B")
    wait_connected(page)

    # Sending A's draft clears it; B's stays.
    page.get_by_test_id(f"room-link-{first}").click()
    expect(page).to_have_url(re.compile(rf"/r/{first}/$"))
    wait_connected(page)
    expect(composer).to_have_value("half a thought for A")
    composer.press("Enter")
    expect(messages(page).filter(has_text="half a thought for A")).to_have_count(1)
    page.reload()
    wait_connected(page)
    expect(messages(page).filter(has_text="half a thought for A")).to_have_count(1)
    expect(composer).to_have_value("")
    page.get_by_test_id(f"room-link-{second}").click()
    expect(page).to_have_url(re.compile(rf"/r/{second}/$"))
    expect(composer).to_have_value("a line\nfor B")

"""Opening a room with unread messages, in a real browser (headless Chromium,
Playwright, against a live server): the room opens at the first unread message
under a "New messages" line, and the read marker moves only once the reader has
scrolled to the end.

Sign-ups are rate limited per address (5 in a burst): the module signs up three
people in all.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser import test_chat_browser
from tests.browser.conftest import server_with
from tests.browser.test_chat_browser import create_room, messages, send, wait_connected
from tests.live import ChatServer

pytestmark = pytest.mark.browser

# The chat page's users, who sign up through the page (Chromium is tests/browser/conftest.py's).
new_user = test_chat_browser.new_user

SCROLLER = "#scroller"
UNREAD = 60
# Longer than the page waits before it tells the server what was read.
SETTLE_MS = 1_500


@pytest.fixture(scope="module")
def live_chat() -> Iterator[ChatServer]:
    """The server ``new_user`` signs up on, with room to post a backlog at once."""
    with server_with({"CHAT_SEND_RATE": "500", "CHAT_SEND_BURST": "500"}) as server:
        yield server


def room_name(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:4]}"


def note(n: int) -> str:
    return f"note {n:02d} of {UNREAD}"


def message_with(page: Page, body: str) -> Locator:
    return messages(page).filter(has_text=body)


def divider(page: Page) -> Locator:
    return page.get_by_role("separator", name="New messages")


def post_backlog(page: Page, count: int) -> None:
    for n in range(1, count + 1):
        send(page, note(n))
    expect(message_with(page, note(count))).to_have_count(1)
    expect(page.get_by_test_id("pending-message")).to_have_count(0)


def offset_in_scroller(page: Page, locator: Locator) -> float:
    """How far below the top edge of the message list's viewport ``locator``'s top edge is, in px."""
    return locator.evaluate(
        """(node, selector) => node.getBoundingClientRect().top
            - document.querySelector(selector).getBoundingClientRect().top""",
        SCROLLER,
    )


def scroll_to_the_end(page: Page) -> None:
    page.locator(SCROLLER).hover()
    page.mouse.wheel(0, 100_000)


def test_a_room_opens_at_the_first_unread_message_and_is_read_at_the_end(new_user) -> None:
    alice, bob_user = new_user("alice").page, new_user("bob")
    bob = bob_user.page
    room = create_room(alice, room_name("Backlog"))
    bob.goto(f"/r/{room}/")
    bob.get_by_test_id("join").click()
    expect(bob).to_have_url(re.compile(rf"/r/{room}/$"))
    wait_connected(bob)
    expect(bob.get_by_test_id("composer")).to_be_visible()

    # Bob is elsewhere: in a room of his own, and on the index page in a second tab.
    create_room(bob, room_name("Elsewhere"))
    index = bob.context.new_page()
    index.goto("/")
    wait_connected(index)

    post_backlog(alice, UNREAD)
    expect(bob.get_by_test_id(f"unread-{room}")).to_have_text(str(UNREAD))
    expect(index.get_by_test_id(f"unread-{room}")).to_have_text(str(UNREAD))

    bob.get_by_test_id(f"room-link-{room}").click()
    expect(bob).to_have_url(re.compile(rf"/r/{room}/$"))
    wait_connected(bob)

    # The room opens at the first unread message, the "New messages" line just above it.
    line = divider(bob)
    first, last = message_with(bob, note(1)), message_with(bob, note(UNREAD))
    expect(line).to_be_visible()
    expect(line).to_have_text("New messages")
    expect(line.locator("xpath=following-sibling::*[1]")).to_contain_text(note(1))
    expect(first).to_be_in_viewport()
    expect(last).to_have_count(1)
    expect(last).not_to_be_in_viewport()
    assert 0 <= offset_in_scroller(bob, line) < 40
    # The read messages above are loaded too, for context: the page starts at the room's first message.
    assert messages(bob).first.get_attribute("data-seq") == "1"

    # Loaded is not read: nothing moves while Bob has not scrolled to the end.
    bob.wait_for_timeout(SETTLE_MS)
    expect(bob.get_by_test_id(f"unread-{room}")).to_have_text(str(UNREAD))
    expect(index.get_by_test_id(f"unread-{room}")).to_have_text(str(UNREAD))
    index.reload()
    wait_connected(index)
    expect(index.get_by_test_id(f"unread-{room}")).to_have_text(str(UNREAD))

    # At the end, the room is read: in this tab, in the other one, and on the server.
    scroll_to_the_end(bob)
    expect(last).to_be_in_viewport()
    expect(bob.get_by_test_id(f"unread-{room}")).to_be_hidden()
    expect(index.get_by_test_id(f"unread-{room}")).to_be_hidden()
    index.reload()
    wait_connected(index)
    expect(index.get_by_test_id(f"unread-{room}")).to_be_hidden()

    # Opened again with nothing unread: at the bottom, no line.
    bob.reload()
    wait_connected(bob)
    expect(last).to_be_in_viewport()
    expect(divider(bob)).to_have_count(0)


def test_a_room_with_nothing_unread_opens_at_the_bottom(new_user) -> None:
    carol = new_user("carol").page
    create_room(carol, room_name("Notes"))
    post_backlog(carol, 40)  # her own messages: read as she sends them

    carol.reload()
    wait_connected(carol)
    expect(message_with(carol, note(40))).to_be_in_viewport()
    expect(message_with(carol, note(1))).not_to_be_in_viewport()
    expect(divider(carol)).to_have_count(0)
    expect(carol.locator("#jump")).to_be_hidden()

"""The room page on a phone, in a real browser (headless Chromium, Playwright,
against a live server): popovers stay on a narrow screen, and on a touch screen
a message's actions come from a menu that a tap opens, not from a row of buttons
under every message.

Sign-ups are rate limited per address (5 in a burst): the module signs up three
people in all.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.browser import test_chat_browser
from tests.browser.test_chat_browser import Person, create_room, messages, send, wait_connected

pytestmark = pytest.mark.browser

# The chat page's users, who sign up through the page (Chromium is tests/browser/conftest.py's).
new_user = test_chat_browser.new_user

PHONE = {"width": 360, "height": 740}


@pytest.fixture
def on_a_phone(browser: Browser, live_chat) -> Iterator[Callable[[Person], Page]]:
    """``on_a_phone(person)``: a page for someone already signed up, in a touch-screen browser."""
    contexts: list[BrowserContext] = []

    def _on_a_phone(person: Person) -> Page:
        context = browser.new_context(
            base_url=live_chat.url,
            viewport=PHONE,
            has_touch=True,
            is_mobile=True,
            storage_state=person.page.context.storage_state(),
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield _on_a_phone
    for context in contexts:
        context.close()


def room_name(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:4]}"


def assert_within_viewport(page: Page, locator: Locator) -> None:
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    width = page.viewport_size["width"]
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"{box} is not within 0..{width}"


def message_with(page: Page, body: str) -> Locator:
    """The message that reads ``body`` now, found by its seq so that it stays found after an edit."""
    seq = (
        messages(page)
        .filter(has=page.get_by_test_id("message-body").get_by_text(body, exact=True))
        .get_attribute("data-seq")
    )
    return page.locator(f"[data-testid=message][data-seq='{seq}']")


# 1. Popovers on a narrow screen ----------------------------------------------------------


def test_popovers_lie_within_a_narrow_viewport(new_user) -> None:
    page = new_user("alice").page
    page.set_viewport_size(PHONE)
    create_room(page, room_name("Narrow"))

    page.get_by_test_id("members-toggle").click()
    assert_within_viewport(page, page.get_by_test_id("members"))

    page.get_by_test_id("user-menu").click()
    expect(page.get_by_test_id("members")).to_be_hidden()
    assert_within_viewport(page, page.locator(".user-menu__panel"))

    # Still within after the screen turns and back.
    page.set_viewport_size({"width": 740, "height": 360})
    page.set_viewport_size(PHONE)
    assert_within_viewport(page, page.locator(".user-menu__panel"))


# 2. Message actions on a touch screen ----------------------------------------------------


def test_on_a_touch_screen_a_tap_on_a_message_opens_its_actions_menu(new_user, on_a_phone) -> None:
    alice_user, bob = new_user("alice"), new_user("bob").page
    room = create_room(alice_user.page, room_name("Pocket"))
    bob.goto(f"/r/{room}/")
    bob.get_by_test_id("join").click()
    wait_connected(bob)
    send(bob, "from bob")

    phone = on_a_phone(alice_user)
    phone.goto(f"/r/{room}/")
    wait_connected(phone)
    send(phone, "first from alice")
    send(phone, "second from alice")
    expect(phone.get_by_test_id("pending-message")).to_have_count(0)
    first, second, bobs = (
        message_with(phone, "first from alice"),
        message_with(phone, "second from alice"),
        message_with(phone, "from bob"),
    )
    menu = phone.get_by_role("menu")

    # No row of buttons under the messages until asked.
    for row in (first, second, bobs):
        expect(row.get_by_test_id("edit")).to_be_hidden()
        expect(row.get_by_test_id("delete")).to_be_hidden()
    expect(phone.get_by_role("button", name="Edit")).to_have_count(0)
    expect(menu).to_have_count(0)

    # A tap opens the message's menu; Escape closes it.
    second.get_by_test_id("message-body").tap()
    expect(menu).to_be_visible()
    expect(menu.get_by_role("menuitem")).to_have_text(["Edit", "Add reaction", "Reply in thread", "Delete"])
    assert_within_viewport(phone, menu)
    phone.keyboard.press("Escape")
    expect(menu).to_have_count(0)

    # One open at a time; a tap elsewhere closes it.
    first.get_by_test_id("message-body").tap()
    expect(first.get_by_role("menu")).to_be_visible()
    bobs.get_by_test_id("message-body").tap()
    expect(menu).to_have_count(1)
    expect(bobs.get_by_role("menu")).to_be_visible()
    # The room's admin may delete bob's message, not edit it.
    expect(menu.get_by_role("menuitem")).to_have_text(["Add reaction", "Reply in thread", "Delete"])
    phone.get_by_test_id("room-name").tap()
    expect(menu).to_have_count(0)

    # Edit from the menu opens the editor.
    second.get_by_test_id("message-body").tap()
    menu.get_by_role("menuitem", name="Edit").tap()
    expect(menu).to_have_count(0)
    editor = second.get_by_test_id("edit-input")
    expect(editor).to_be_visible()
    expect(editor).to_have_value("second from alice")
    editor.fill("second from alice, edited")
    second.get_by_test_id("edit-save").tap()
    expect(second.get_by_test_id("message-body")).to_contain_text("second from alice, edited")
    expect(second.get_by_test_id("edit")).to_be_hidden()

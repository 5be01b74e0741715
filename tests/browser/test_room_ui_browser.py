"""The room page's own controls in a real browser (headless Chromium, Playwright,
against a live server): links in messages, the message editor, the popovers, and
deleting a message.

Sign-ups are rate limited per address (5 in a burst): the module signs up five
people in all.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.browser import test_chat_browser
from tests.browser.test_chat_browser import create_room, messages, send, wait_connected

pytestmark = pytest.mark.browser

# The chat page's users, who sign up through the page (Chromium is tests/browser/conftest.py's).
new_user = test_chat_browser.new_user

SCROLLER = "#scroller"


def room_name(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:4]}"


def within_scroller(page: Page, selector: str) -> None:
    """Wait until every element ``selector`` matches lies wholly inside the message list's viewport."""
    page.wait_for_function(
        """([scrollerSelector, selector]) => {
            const box = document.querySelector(scrollerSelector).getBoundingClientRect();
            const nodes = [...document.querySelectorAll(selector)];
            return nodes.length > 0 && nodes.every((node) => {
                const r = node.getBoundingClientRect();
                return r.height > 0 && r.top >= box.top && r.bottom <= box.bottom;
            });
        }""",
        arg=[SCROLLER, selector],
    )


# 1. Links open beside the chat -----------------------------------------------------------


def test_a_link_in_a_message_opens_a_new_page_and_the_chat_stays(new_user) -> None:
    page = new_user("alice").page
    # The linked site, served by the browser itself: the test needs no network.
    page.context.route(
        "https://docs.example/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body="<title>Guide</title>guide"),
    )
    create_room(page, room_name("Links"))
    room_url = page.url
    send(page, "the guide: https://docs.example/guide")
    link = messages(page).last.get_by_role("link", name="https://docs.example/guide")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")

    with page.context.expect_page() as opened:
        link.click()
    guide = opened.value
    guide.wait_for_load_state()

    assert guide.url == "https://docs.example/guide"
    assert guide.evaluate("window.opener") is None
    assert page.url == room_url
    wait_connected(page)
    expect(messages(page).last).to_contain_text("the guide: https://docs.example/guide")


# 2. The editor stays on screen ---------------------------------------------------------


def test_editing_the_last_message_brings_save_and_cancel_into_view(new_user) -> None:
    page = new_user("alice").page
    page.set_viewport_size({"width": 1280, "height": 520})
    create_room(page, room_name("Long"))
    for n in range(16):
        send(page, f"line {n}")
    expect(messages(page).filter(has_text="line 15")).to_have_count(1)
    expect(page.get_by_test_id("pending-message")).to_have_count(0)
    assert page.eval_on_selector(SCROLLER, "s => s.scrollHeight > s.clientHeight")

    last = messages(page).last
    last.hover()
    last.get_by_test_id("edit").click()

    save = last.get_by_test_id("edit-save")
    cancel = last.locator("[data-action=cancel-edit]")
    expect(last.get_by_test_id("edit-input")).to_be_focused()
    expect(save).to_be_in_viewport(ratio=1)
    expect(cancel).to_be_in_viewport(ratio=1)
    within_scroller(page, "form.edit [data-testid=edit-save], form.edit [data-action=cancel-edit]")

    last.get_by_test_id("edit-input").fill("line 15, edited")
    save.click()
    expect(last.get_by_test_id("message-body")).to_contain_text("line 15, edited")
    expect(last.get_by_test_id("edited")).to_be_visible()


# 3. Popovers ----------------------------------------------------------------------------


def test_popovers_close_on_escape_and_outside_clicks_and_never_stack(new_user) -> None:
    page = new_user("alice").page
    create_room(page, room_name("Menus"))
    members_toggle = page.get_by_test_id("members-toggle")
    members = page.get_by_test_id("members")
    user_toggle = page.get_by_test_id("user-menu")
    user_panel = page.locator(".user-menu__panel")
    expect(members_toggle).to_have_attribute("aria-expanded", "false")
    expect(user_toggle).to_have_attribute("aria-expanded", "false")

    # Escape closes, and focus goes back to the toggle.
    members_toggle.click()
    expect(members).to_be_visible()
    expect(members_toggle).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Escape")
    expect(members).to_be_hidden()
    expect(members_toggle).to_have_attribute("aria-expanded", "false")
    expect(members_toggle).to_be_focused()

    # From the keyboard, with focus inside the popover.
    page.keyboard.press("Enter")
    expect(members).to_be_visible()
    page.get_by_test_id("add-member-form").get_by_role("textbox").focus()
    page.keyboard.press("Escape")
    expect(members).to_be_hidden()
    expect(members_toggle).to_be_focused()

    # A click outside closes; a click inside does not.
    members_toggle.click()
    page.get_by_role("heading", name="Members").click()
    expect(members).to_be_visible()
    page.get_by_test_id("history-status").click()
    expect(members).to_be_hidden()
    expect(members_toggle).to_have_attribute("aria-expanded", "false")

    # Opening one closes the other.
    members_toggle.click()
    expect(members).to_be_visible()
    user_toggle.click()
    expect(user_panel).to_be_visible()
    expect(members).to_be_hidden()
    expect(members_toggle).to_have_attribute("aria-expanded", "false")
    expect(user_toggle).to_have_attribute("aria-expanded", "true")
    # The open user menu covers the members button: reach it from the keyboard.
    members_toggle.focus()
    page.keyboard.press("Enter")
    expect(members).to_be_visible()
    expect(user_panel).to_be_hidden()
    expect(user_toggle).to_have_attribute("aria-expanded", "false")

    user_toggle.click()
    page.keyboard.press("Escape")
    expect(user_panel).to_be_hidden()
    expect(members).to_be_hidden()
    expect(user_toggle).to_be_focused()

    # On a narrow screen the room list is a drawer, and closes the same way.
    page.set_viewport_size({"width": 600, "height": 800})
    drawer_toggle = page.locator("[data-sidebar-toggle]")
    expect(drawer_toggle).to_have_attribute("aria-expanded", "false")
    drawer_toggle.click()
    expect(drawer_toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator("body")).to_have_class(re.compile(r"\bsidebar-open\b"))
    page.keyboard.press("Escape")
    expect(drawer_toggle).to_have_attribute("aria-expanded", "false")
    expect(page.locator("body")).not_to_have_class(re.compile(r"\bsidebar-open\b"))
    expect(drawer_toggle).to_be_focused()
    drawer_toggle.click()
    expect(drawer_toggle).to_have_attribute("aria-expanded", "true")
    page.mouse.click(590, 400)  # on the backdrop, beside the drawer
    expect(drawer_toggle).to_have_attribute("aria-expanded", "false")
    expect(page.locator("body")).not_to_have_class(re.compile(r"\bsidebar-open\b"))


# 4. Deleting asks in the page ---------------------------------------------------------


def test_delete_asks_in_the_message_row_and_confirming_leaves_a_tombstone_for_everyone(new_user) -> None:
    alice, bob = new_user("alice").page, new_user("bob").page
    dialogs: list[str] = []

    def on_dialog(dialog) -> None:
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    alice.on("dialog", on_dialog)
    room = create_room(alice, room_name("Tidy"))
    bob.goto(f"/r/{room}/")
    bob.get_by_test_id("join").click()
    wait_connected(bob)
    send(alice, "delete me")
    expect(messages(bob).filter(has_text="delete me")).to_have_count(1)
    seq = messages(alice).filter(has_text="delete me").get_attribute("data-seq")
    row = alice.locator(f"[data-testid=message][data-seq='{seq}']")
    bobs_row = bob.locator(f"[data-testid=message][data-seq='{seq}']")
    question = row.get_by_test_id("delete-confirm")
    confirm = row.get_by_test_id("delete-confirm-button")
    cancel = row.get_by_test_id("delete-cancel")

    # Asked in the row; Cancel keeps the message.
    row.hover()
    row.get_by_test_id("delete").click()
    expect(question).to_be_visible()
    expect(question).to_contain_text("Delete this message?")
    expect(cancel).to_be_focused()
    cancel.click()
    expect(question).to_have_count(0)
    expect(row.get_by_test_id("message-body")).to_have_text("delete me")

    # Escape cancels too, and focus goes back to the message's Delete button.
    row.hover()
    row.get_by_test_id("delete").click()
    expect(question).to_be_visible()
    alice.keyboard.press("Escape")
    expect(question).to_have_count(0)
    expect(row.get_by_test_id("delete")).to_be_focused()
    expect(bobs_row.get_by_test_id("message-body")).to_have_text("delete me")

    # All from the keyboard: ask, move to Delete, confirm.
    alice.keyboard.press("Enter")
    expect(cancel).to_be_focused()
    alice.keyboard.press("Shift+Tab")
    expect(confirm).to_be_focused()
    alice.keyboard.press("Enter")

    expect(row.get_by_test_id("tombstone")).to_be_visible()
    expect(bobs_row.get_by_test_id("tombstone")).to_be_visible()
    expect(row).not_to_contain_text("delete me")
    expect(bobs_row).not_to_contain_text("delete me")
    assert dialogs == []

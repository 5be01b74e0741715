"""The chat from the keyboard, and what it says about itself, in a real browser
(headless Chromium, Playwright, against a live server): the offline banner, Up to
edit and Escape to cancel, the Ctrl+K room switcher, and flash messages that go.

Where the page's own timers matter (the reconnect countdown, a flash that should
stay), the page runs on Playwright's fake clock, so the test moves time itself.

Sign-ups are rate limited per address (5 in a burst): the module signs up five
people in all.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.browser import test_chat_browser
from tests.browser.test_chat_browser import create_room, messages, send, socket_gate, wait_connected

pytestmark = pytest.mark.browser

# The chat page's users, who sign up through the page (Chromium is tests/browser/conftest.py's).
new_user = test_chat_browser.new_user


def room_name(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:4]}"


def pause_clock(page: Page) -> None:
    """Stop the page's time: from here on, its timers fire only when the test says."""
    page.clock.pause_at(page.evaluate("Date.now()") + 1000)


# 1. Offline: a banner with a countdown and "Retry now" ---------------------------------


def test_offline_banner_counts_down_and_retry_now_reconnects(new_user) -> None:
    page = new_user("alice").page
    create_room(page, room_name("Outage"))
    page.clock.install()
    page.reload()
    wait_connected(page)
    banner = page.get_by_test_id("offline-banner")
    countdown = page.get_by_test_id("offline-countdown")
    retry = banner.get_by_role("button", name="Retry now")
    expect(banner).to_be_hidden()

    # The server stays out of reach until the test lets the page through; the
    # page's time stands still, so only "Retry now" can start a new try.
    gate = socket_gate(page)
    pause_clock(page)
    # The longest wait of each backoff step (no jitter): 0.5 s, 1 s, 2 s, 4 s...
    page.evaluate("Math.random = () => 1")
    page.evaluate("window.chatApp.connection.socket.close()")

    expect(banner).to_be_visible()
    expect(banner).to_have_attribute("role", "status")
    expect(banner).to_contain_text(re.compile(r"You're offline\. Reconnecting in \d+ s…"))
    expect(retry).to_be_visible()
    expect(page.get_by_test_id("status")).to_contain_text("Reconnecting")

    # Each "Retry now" tries at once (the button waits while a try is under way);
    # each failure doubles the wait.
    expect(countdown).to_have_text("Reconnecting in 1 s…")
    retry.click()
    expect(countdown).to_have_text("Reconnecting in 1 s…")
    retry.click()
    expect(countdown).to_have_text("Reconnecting in 2 s…")
    retry.click()
    expect(countdown).to_have_text("Reconnecting in 4 s…")

    # The countdown is live.
    page.clock.run_for(1000)
    expect(countdown).to_have_text("Reconnecting in 3 s…")
    page.clock.run_for(1000)
    expect(countdown).to_have_text("Reconnecting in 2 s…")

    # Back online: "Retry now" connects without waiting out the countdown.
    gate.reachable = True
    retry.click()
    wait_connected(page)
    expect(banner).to_be_hidden()
    send(page, "back again")
    expect(messages(page).last).to_contain_text("back again")


# 2. Up edits my last message; Escape cancels --------------------------------------------


def test_up_in_an_empty_composer_edits_my_last_message_and_escape_cancels(new_user) -> None:
    page = new_user("alice").page
    create_room(page, room_name("Keys"))
    for body in ("first", "second", "third"):
        send(page, body)
        # Confirmed by the server: it can be edited.
        expect(messages(page).filter(has_text=body).get_by_test_id("edit")).to_have_count(1)

    # The newest one deleted: Up skips it.
    third = messages(page).filter(has_text="third")
    third.hover()
    third.get_by_test_id("delete").click()
    third.get_by_test_id("delete-confirm-button").click()
    expect(messages(page).last.get_by_test_id("tombstone")).to_be_visible()

    composer = page.get_by_test_id("composer")
    editor = page.get_by_test_id("edit-input")
    # With text in the box, Up is the caret's.
    composer.fill("a draft")
    composer.press("ArrowUp")
    expect(editor).to_have_count(0)
    expect(composer).to_be_focused()
    composer.fill("")

    composer.press("ArrowUp")
    second = messages(page).filter(has_text="second")
    expect(second.get_by_test_id("edit-input")).to_be_focused()
    expect(editor).to_have_value("second")

    # Escape: the editor closes, nothing changes, and typing goes on in the composer.
    editor.fill("second, rewritten")
    editor.press("Escape")
    expect(editor).to_have_count(0)
    expect(second.get_by_test_id("message-body")).to_have_text("second")
    expect(second.get_by_test_id("edited")).to_have_count(0)
    expect(composer).to_be_focused()

    # And Up again, then Enter, saves as before.
    composer.press("ArrowUp")
    editor.fill("second, edited")
    editor.press("Enter")
    expect(second.get_by_test_id("message-body")).to_contain_text("second, edited")
    expect(second.get_by_test_id("edited")).to_be_visible()
    expect(composer).to_be_focused()


# 3. Ctrl+K: the room switcher -----------------------------------------------------------


def test_ctrl_k_opens_a_room_switcher_to_filter_pick_and_open_a_room(new_user) -> None:
    page = new_user("alice").page
    tag = uuid.uuid4().hex[:4]
    create_room(page, f"Apple {tag}")
    apricot = create_room(page, f"Apricot {tag}")
    create_room(page, f"Banana {tag}")

    composer = page.get_by_test_id("composer")
    composer.focus()
    page.keyboard.press("Control+k")
    dialog = page.get_by_role("dialog", name="Switch to a room")
    expect(dialog).to_be_visible()
    search = dialog.get_by_role("combobox")
    listbox = dialog.get_by_role("listbox")
    options = listbox.get_by_role("option")
    expect(search).to_be_focused()
    expect(search).to_have_attribute("aria-controls", listbox.get_attribute("id"))
    expect(search).to_have_attribute("aria-expanded", "true")

    # Typing filters the user's rooms by name.
    page.keyboard.type(tag)
    expect(options).to_have_count(3)
    expect(options).to_contain_text([f"Apple {tag}", f"Apricot {tag}", f"Banana {tag}"])

    def highlighted(index: int) -> None:
        option = options.nth(index)
        expect(option).to_have_attribute("aria-selected", "true")
        expect(search).to_have_attribute("aria-activedescendant", option.get_attribute("id"))
        expect(listbox.locator("[aria-selected=true]")).to_have_count(1)

    # The arrows move the highlight (and wrap); focus stays in the field.
    highlighted(0)
    page.keyboard.press("ArrowDown")
    highlighted(1)
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    highlighted(2)
    expect(search).to_be_focused()

    # Escape closes, and focus is back where it was.
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(composer).to_be_focused()

    # Cmd+K (a Mac's) opens it too; Enter opens the highlighted room.
    page.keyboard.press("Meta+k")
    expect(dialog).to_be_visible()
    expect(search).to_have_value("")
    page.keyboard.type("apr")
    expect(options).to_have_count(1)
    expect(options).to_contain_text(f"Apricot {tag}")
    page.keyboard.press("ArrowDown")  # one option: it stays highlighted
    highlighted(0)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/r/{apricot}/$"))
    wait_connected(page)

    # Nothing matches: no options, and Enter does nothing.
    page.keyboard.press("Control+k")
    page.keyboard.type("no such room at all")
    expect(options).to_have_count(0)
    expect(dialog).to_contain_text("No room matches.")
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()


# 4. Flash messages -----------------------------------------------------------------------


def test_a_success_flash_goes_away_by_itself(new_user) -> None:
    page = new_user("alice").page
    page.goto("/accounts/profile/")
    page.fill("#id_display_name", "Alice Liddell")
    page.get_by_test_id("profile-submit").click()
    saved = page.locator(".flash__item--success")
    expect(saved).to_have_text("Your profile was saved.")
    expect(saved.get_by_role("button")).to_have_count(0)
    expect(saved).to_be_hidden(timeout=20_000)


def test_an_error_flash_stays_until_dismissed(new_user) -> None:
    page = new_user("alice").page
    create_room(page, room_name("Flash"))
    page.clock.install()
    page.get_by_test_id("members-toggle").click()
    form = page.get_by_test_id("add-member-form")
    form.get_by_role("textbox").fill(f"nobody-{uuid.uuid4().hex[:6]}")
    form.get_by_role("button", name="Add").click()
    error = page.locator(".flash__item--error")
    expect(error).to_contain_text("No user is called")

    # A minute on, it is still there, and so is its close button.
    page.clock.run_for("01:00")
    expect(error).to_be_visible()
    close = error.get_by_role("button", name="Dismiss")
    close.click()
    expect(error).to_have_count(0)
    expect(page.locator(".flash")).to_have_count(0)

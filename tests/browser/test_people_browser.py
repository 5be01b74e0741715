"""The people picker on the index page in a real browser (headless Chromium,
Playwright, against a live server): find someone by part of their display name in
any case, pick them with the keyboard or the mouse, and land in the conversation;
a username typed in another case, or an unknown one, without the list.

Sign-ups are rate limited per address (5 in a burst): the module signs up four
people in all.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.browser import test_chat_browser

pytestmark = pytest.mark.browser

# The chat page's users, who sign up through the page (Chromium is tests/browser/conftest.py's).
new_user = test_chat_browser.new_user

DIRECT_ROOM = re.compile(r"/r/dm-\d+-\d+/$")


def set_display_name(page: Page, display_name: str) -> None:
    page.goto("/accounts/profile/")
    page.fill("#id_display_name", display_name)
    page.click("[data-testid=profile-submit]")
    expect(page.locator("#id_display_name")).to_have_value(display_name)


def option_for(page: Page, username: str):
    return page.get_by_role("listbox", name="People").get_by_role("option").filter(has_text=f"@{username}")


def test_someone_found_by_part_of_their_display_name_is_picked_with_the_keyboard(new_user) -> None:
    bob = new_user("bob")
    tag = uuid.uuid4().hex[:6]
    display_name = f"Roberta Quill {tag}"
    set_display_name(bob.page, display_name)
    alice = new_user("alice")
    page = alice.page

    field = page.get_by_role("combobox", name="Message someone")
    expect(field).to_have_attribute("aria-expanded", "false")
    expect(field).to_have_attribute("aria-controls", "dm-people")
    field.press_sequentially(f"quill {tag}".upper(), delay=20)

    listbox = page.get_by_role("listbox", name="People")
    expect(field).to_have_attribute("aria-expanded", "true")
    expect(listbox.get_by_role("option")).to_have_count(1)
    option = option_for(page, bob.username)
    expect(option).to_contain_text(display_name)
    expect(option).to_contain_text(f"@{bob.username}")
    expect(option).to_have_attribute("aria-selected", "false")

    field.press("ArrowDown")
    expect(option).to_have_attribute("aria-selected", "true")
    expect(field).to_have_attribute("aria-activedescendant", option.get_attribute("id") or "")
    field.press("Enter")

    expect(page).to_have_url(DIRECT_ROOM)
    expect(page.get_by_test_id("room-name")).to_have_text(display_name)
    room_url = page.url

    # A username typed exactly, in capitals, and submitted opens the same conversation.
    page.goto("/")
    page.get_by_test_id("dm-username").fill(bob.username.upper())
    page.get_by_test_id("dm-submit").click()
    expect(page).to_have_url(room_url)


def test_someone_is_picked_with_the_mouse_and_escape_closes_the_list(new_user) -> None:
    carol = new_user("carol")
    tag = uuid.uuid4().hex[:6]
    set_display_name(carol.page, f"Carolina {tag}")
    dave = new_user("dave")
    page = dave.page
    field = page.get_by_role("combobox", name="Message someone")

    field.press_sequentially(f"LINA {tag}", delay=20)
    option = option_for(page, carol.username)
    expect(option).to_be_visible()
    field.press("ArrowDown")
    field.press("Escape")
    expect(field).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_test_id("dm-people")).to_be_hidden()
    expect(field).not_to_have_attribute("aria-activedescendant", re.compile(".*"))
    expect(page).to_have_url(re.compile(r"/$"))

    # No one matches: the list stays shut and says so; submitting is an error beside the field.
    field.fill(f"nobody-{tag}")
    expect(page.get_by_test_id("dm-people-status")).to_have_text("No one found.")
    expect(field).to_have_attribute("aria-expanded", "false")
    page.get_by_test_id("dm-submit").click()
    expect(page.locator("#dm-username-errors")).to_contain_text(f"No user is called “nobody-{tag}”.")
    expect(page.get_by_test_id("dm-form")).to_be_visible()

    field = page.get_by_role("combobox", name="Message someone")
    field.fill("")
    field.press_sequentially(f"carolina {tag}".upper()[:8], delay=20)
    option_for(page, carol.username).click()

    expect(page).to_have_url(DIRECT_ROOM)
    expect(page.get_by_test_id("room-name")).to_have_text(f"Carolina {tag}")

"""Presence in a real browser: the member list and the direct conversations show
who has the chat open, and show them gone when they close it (issue 7).

The live server runs with the default grace (CHAT_PRESENCE_GRACE, 2 s), so a
closed page shows offline a little after it closed; the module signs up four
people (sign-ups are rate limited per address).
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser import test_chat_browser
from tests.browser.test_chat_browser import create_room, wait_connected

pytestmark = pytest.mark.browser

new_user = test_chat_browser.new_user


def member_item(page, username: str):
    return page.get_by_test_id("members").locator(f"li.member[data-username='{username}']")


def test_the_member_list_shows_who_is_online(new_user) -> None:
    alice, bob = new_user("alice"), new_user("bob")
    slug = create_room(alice.page, f"Here {uuid.uuid4().hex[:4]}")
    bob.page.goto(f"/r/{slug}/")
    wait_connected(bob.page)
    bob.page.get_by_test_id("join").click()
    wait_connected(bob.page)

    bob.page.get_by_test_id("members-toggle").click()
    alice_there = member_item(bob.page, alice.username)
    expect(alice_there.locator(".presence")).to_have_attribute("data-presence", "online")
    expect(alice_there.get_by_role("img", name="Online")).to_be_visible()
    bob_there = member_item(bob.page, bob.username)
    expect(bob_there.locator(".presence")).to_have_attribute("data-presence", "online")

    alice.page.close()  # her only tab

    expect(alice_there.locator(".presence")).to_have_attribute("data-presence", "offline", timeout=15_000)
    expect(alice_there.get_by_role("img", name="Offline")).to_be_visible()


def test_a_direct_conversation_shows_whether_the_other_person_is_online(new_user) -> None:
    bob, alice = new_user("bob"), new_user("alice")
    # alice starts a conversation with bob through the people picker.
    field = alice.page.get_by_role("combobox", name="Message someone")
    field.press_sequentially(bob.username, delay=20)
    alice.page.get_by_role("listbox", name="People").get_by_role("option").filter(
        has_text=f"@{bob.username}"
    ).click()
    expect(alice.page).to_have_url(re.compile(r"/r/dm-\d+-\d+/$"))
    wait_connected(alice.page)
    slug = alice.page.url.rstrip("/").rsplit("/", 1)[-1]

    # bob, on his index page, hears of the new conversation, and that alice is online.
    link = bob.page.get_by_test_id(f"room-link-{slug}")
    expect(link.locator(".presence")).to_have_attribute("data-presence", "online")
    # alice sees bob online in hers.
    expect(alice.page.get_by_test_id(f"room-link-{slug}").locator(".presence")).to_have_attribute(
        "data-presence", "online"
    )

    bob.page.close()

    expect(alice.page.get_by_test_id(f"room-link-{slug}").locator(".presence")).to_have_attribute(
        "data-presence", "offline", timeout=15_000
    )

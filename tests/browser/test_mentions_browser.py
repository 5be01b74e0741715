"""Mentions in a real browser (headless Chromium, Playwright, against a live server):
the composer's @ autocomplete (an ARIA combobox), the red mention badge and the tab
title of the person mentioned, live, and the mentions page leading back to the message.

Sign-ups are rate limited per address (5 in a burst): the module signs up two people.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser import test_chat_browser
from tests.browser.test_chat_browser import create_room, messages, send, wait_connected

pytestmark = pytest.mark.browser

# The chat page's users, who sign up through the page (Chromium is tests/browser/conftest.py's).
new_user = test_chat_browser.new_user


def test_a_mention_picked_from_the_list_reaches_the_person_apart_from_unread(new_user) -> None:
    alice_user, bob_user = new_user("alice"), new_user("bob")
    alice, bob = alice_user.page, bob_user.page
    slug = create_room(alice, f"Plans {uuid.uuid4().hex[:4]}")
    bob.goto(f"/r/{slug}/")
    bob.get_by_test_id("join").click()
    wait_connected(bob)
    # Bob looks at a room of his own, so the mention arrives in a room he is not reading.
    elsewhere = create_room(bob, f"Elsewhere {uuid.uuid4().hex[:4]}")
    send(alice, "a plain message first")
    expect(bob.get_by_test_id(f"unread-{slug}")).to_have_text("1")
    expect(bob.get_by_test_id(f"mentions-{slug}")).to_be_hidden()

    # "@" and the start of a name opens the list of the room's members (bob joined live).
    composer = alice.get_by_role("combobox", name=re.compile("Message"))
    expect(composer).to_have_attribute("aria-expanded", "false")
    composer.press_sequentially("see @")
    listbox = alice.get_by_role("listbox", name="People to mention")
    expect(listbox).to_be_visible()
    expect(composer).to_have_attribute("aria-expanded", "true")
    expect(composer).to_have_attribute("aria-controls", listbox.get_attribute("id") or "")
    # Alice herself is not offered.
    expect(listbox.get_by_role("option")).to_have_text([f"{bob_user.username}"])
    composer.press_sequentially("BO")
    option = listbox.get_by_role("option", name=bob_user.username)
    expect(option).to_have_attribute("aria-selected", "true")
    expect(composer).to_have_attribute("aria-activedescendant", option.get_attribute("id") or "")

    # Escape closes the list only; the text stays and the list comes back with the next @.
    composer.press("Escape")
    expect(listbox).to_be_hidden()
    expect(composer).to_have_attribute("aria-expanded", "false")
    expect(composer).to_have_value("see @BO")
    expect(composer).to_be_focused()
    composer.press("Backspace")
    composer.press("Backspace")
    composer.press("Backspace")
    composer.press_sequentially("@b")
    expect(listbox.get_by_role("option")).to_have_count(1)

    # Down wraps round the one option; Enter picks it rather than sending.
    composer.press("ArrowDown")
    composer.press("Enter")
    expect(listbox).to_be_hidden()
    expect(composer).to_have_value(f"see @{bob_user.username} ")
    composer.press_sequentially("about the plan")
    composer.press("Enter")
    sent = messages(alice).filter(has_text="about the plan")
    expect(sent).to_have_count(1)
    mention = sent.locator(".mention")
    expect(mention).to_have_attribute("data-username", bob_user.username)
    expect(mention).not_to_have_class(re.compile(r"\bmention-me\b"))  # alice's view: not hers
    seq = sent.get_attribute("data-seq")
    assert seq is not None

    # Bob, in another room: a red mention badge beside the unread count, and the title says so.
    badge = bob.get_by_test_id(f"mentions-{slug}")
    expect(badge).to_be_visible()
    expect(badge).to_have_text("@1")
    expect(badge).to_have_attribute("aria-label", "1 mention")
    expect(bob.get_by_test_id(f"unread-{slug}")).to_have_text("2")
    expect(bob).to_have_title(re.compile(r"^@1 \(2\) "))
    color = badge.evaluate("node => getComputedStyle(node).backgroundColor")
    red, green, blue = (int(part) for part in re.findall(r"\d+", color)[:3])
    assert red > 150 and green < 80 and blue < 80, color
    assert bob.url.endswith(f"/r/{elsewhere}/")

    # The mentions page lists it and opens the room at the message.
    bob.get_by_test_id("mentions-link").click()
    expect(bob).to_have_url(re.compile(r"/mentions/$"))
    result = bob.get_by_test_id("mention-result")
    expect(result).to_have_count(1)
    expect(result).to_have_attribute("data-seq", seq)
    expect(result).to_contain_text("about the plan")
    expect(result.locator("mark")).to_have_text(f"@{bob_user.username}")
    result.get_by_role("link").click()

    expect(bob).to_have_url(re.compile(rf"/r/{slug}/\?seq={seq}$"))
    wait_connected(bob)
    found = messages(bob).filter(has_text="about the plan")
    expect(found).to_have_class(re.compile(r"\bmessage--found\b"))
    expect(found.locator(".mention")).to_have_class(re.compile(r"\bmention-me\b"))
    # Read: the badge and the title's marks go, as unread does.
    expect(bob.get_by_test_id(f"mentions-{slug}")).to_be_hidden()
    expect(bob.get_by_test_id(f"unread-{slug}")).to_be_hidden()
    expect(bob).not_to_have_title(re.compile(r"^@"))


def test_the_server_renders_the_mention_badge_of_a_fresh_page(new_user) -> None:
    alice_user, bob_user = new_user("alice"), new_user("bob")
    alice, bob = alice_user.page, bob_user.page
    slug = create_room(alice, f"Later {uuid.uuid4().hex[:4]}")
    bob.goto(f"/r/{slug}/")
    bob.get_by_test_id("join").click()
    wait_connected(bob)
    bob.goto("/")

    send(alice, f"@{bob_user.username.upper()} ping, and @nobody-{uuid.uuid4().hex[:4]}")
    expect(messages(alice).filter(has_text="ping")).to_have_count(1)
    bob.reload()

    badge = bob.get_by_test_id(f"mentions-{slug}")
    expect(badge).to_be_visible()
    expect(badge).to_have_text("@1")
    expect(badge).to_have_attribute("aria-label", "1 mention")

"""Reactions in a real browser (headless Chromium, Playwright, against a live server):
the picker (search, most used first, the keyboard), the toggle, counts and who
reacted live for everyone, and a page that was offline catching up on what it
missed (the ``changes`` frame) without a reload.

Sign-ups are rate limited per address (5 in a burst): the module signs up five people.
"""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser import test_chat_browser
from tests.browser.axe import assert_no_serious_violation
from tests.browser.test_chat_browser import (
    create_room,
    messages,
    reconnect_now,
    send,
    socket_gate,
    wait_connected,
)

pytestmark = pytest.mark.browser

# The chat page's users, who sign up through the page (Chromium is tests/browser/conftest.py's).
new_user = test_chat_browser.new_user

THUMBS, PARTY = "\U0001f44d", "\U0001f389"


def room_name(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:4]}"


def message_with(page: Page, body: str) -> Locator:
    """The confirmed message holding ``body`` (not the pending copy of a send)."""
    found = messages(page).filter(has_text=body)
    expect(found).to_have_count(1)
    return found


def reaction(message: Locator, emoji: str) -> Locator:
    return message.locator(f'[data-testid=reaction][data-emoji="{emoji}"]')


def picker(page: Page) -> Locator:
    return page.get_by_role("dialog", name="Add reaction")


def open_picker(message: Locator) -> Locator:
    message.hover()
    message.get_by_role("button", name="Add reaction").click()
    dialog = picker(message.page)
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("searchbox", name="Search emoji")).to_be_focused()
    return dialog


def join(page: Page, slug: str) -> None:
    page.goto(f"/r/{slug}/")
    page.get_by_test_id("join").click()
    wait_connected(page)


def test_a_reaction_shows_live_for_everyone_and_the_same_emoji_again_takes_it_back(new_user) -> None:
    alice_user, bob_user = new_user("alice"), new_user("bob")
    alice, bob = alice_user.page, bob_user.page
    slug = create_room(alice, room_name("Cheers"))
    join(bob, slug)
    send(alice, "we shipped it")
    mine, theirs = message_with(alice, "we shipped it"), message_with(bob, "we shipped it")

    # Alice finds the emoji by its shortcode, whatever its case.
    dialog = open_picker(mine)
    dialog.get_by_role("searchbox", name="Search emoji").fill("TADA")
    expect(dialog.get_by_test_id("reaction-choice")).to_have_count(1)
    dialog.get_by_role("button", name="tada").click()
    expect(dialog).to_have_count(0)
    hers = reaction(mine, PARTY)
    expect(hers).to_have_attribute("aria-pressed", "true")
    expect(hers.locator(".reaction__count")).to_have_text("1")
    expect(hers).to_have_accessible_name(f"{PARTY} 1 reaction")

    # Bob sees it live, with who reacted; it is not pressed for him.
    his = reaction(theirs, PARTY)
    expect(his).to_have_attribute("aria-pressed", "false")
    expect(his).to_have_attribute("title", f"{alice_user.username} reacted with {PARTY}")

    # He adds his own by clicking it: two, pressed for him, both names for both.
    his.click()
    expect(his).to_have_attribute("aria-pressed", "true")
    expect(his.locator(".reaction__count")).to_have_text("2")
    expect(his).to_have_accessible_name(f"{PARTY} 2 reactions")
    both = f"{alice_user.username} and {bob_user.username} reacted with {PARTY}"
    expect(hers).to_have_attribute("title", both)
    expect(hers.locator(".reaction__count")).to_have_text("2")
    expect(hers).to_have_attribute("aria-pressed", "true")

    # Again takes it back.
    his.click()
    expect(his).to_have_attribute("aria-pressed", "false")
    expect(his.locator(".reaction__count")).to_have_text("1")
    expect(hers).to_have_attribute("title", f"{alice_user.username} reacted with {PARTY}")

    # Picking the same emoji again in the picker takes Alice's back too: none left.
    dialog = open_picker(mine)
    dialog.get_by_role("searchbox", name="Search emoji").fill("tada")
    dialog.get_by_role("searchbox", name="Search emoji").press("Enter")
    expect(reaction(mine, PARTY)).to_have_count(0)
    expect(reaction(theirs, PARTY)).to_have_count(0)
    expect(theirs.get_by_test_id("reactions")).to_have_count(0)

    # A click outside closes the picker.
    open_picker(mine)
    alice.get_by_test_id("room-name").click()
    expect(picker(alice)).to_have_count(0)


def test_a_page_that_was_offline_catches_up_on_reactions_and_edits_without_a_reload(new_user) -> None:
    alice_user, bob_user = new_user("alice"), new_user("bob")
    alice, bob = alice_user.page, bob_user.page
    slug = create_room(alice, room_name("Away"))
    join(bob, slug)
    send(alice, "while you were out")
    mine, theirs = message_with(alice, "while you were out"), message_with(bob, "while you were out")

    # Bob's socket drops, and the server stays out of his reach until the test lets him through.
    gate = socket_gate(bob)
    bob.evaluate("window.chatApp.connection.socket.close()")
    banner = bob.get_by_test_id("offline-banner")
    expect(banner).to_be_visible()

    # Meanwhile Alice reacts (searching "+1") and edits.
    dialog = open_picker(mine)
    dialog.get_by_role("searchbox", name="Search emoji").fill("+1")
    dialog.get_by_role("button", name="+1").click()
    expect(reaction(mine, THUMBS)).to_have_attribute("aria-pressed", "true")
    mine.hover()
    mine.get_by_test_id("edit").click()
    mine.get_by_test_id("edit-input").fill("while you were out, edited")
    mine.get_by_test_id("edit-input").press("Enter")
    expect(mine.get_by_test_id("edited")).to_be_visible()
    expect(reaction(theirs, THUMBS)).to_have_count(0)

    # Back online, the same page: what changed arrives through `changes`.
    gate.reachable = True
    # Not the button: the page's own retry may come first and hide it ("Retry now" itself
    # is tested in test_keyboard_browser.py).
    reconnect_now(bob)
    caught_up = reaction(theirs, THUMBS)
    expect(caught_up).to_have_attribute("title", f"{alice_user.username} reacted with {THUMBS}")
    expect(caught_up).to_have_attribute("aria-pressed", "false")
    expect(theirs.get_by_test_id("message-body")).to_contain_text("while you were out, edited")
    asked = [frame for frame in gate.sent if frame.get("type") == "changes"]
    assert asked and asked[0]["room"] == slug and asked[0]["after_rev"] >= 0, gate.sent

    # And it is live again from there.
    caught_up.click()
    expect(reaction(mine, THUMBS).locator(".reaction__count")).to_have_text("2")


def test_the_picker_from_the_keyboard_and_a_touch_screen_most_used_first(
    new_user, browser, live_chat
) -> None:
    page = new_user("carol").page
    create_room(page, room_name("Keys"))
    send(page, "react to me")
    own = message_with(page, "react to me")
    expect(page.get_by_test_id("pending-message")).to_have_count(0)

    # The message, then its actions: Edit, then Add reaction.
    page.get_by_test_id("composer").focus()
    page.keyboard.press("Shift+Tab")
    expect(own).to_be_focused()
    page.keyboard.press("Tab")
    expect(own.get_by_role("button", name="Edit")).to_be_focused()
    page.keyboard.press("Tab")
    add = own.get_by_role("button", name="Add reaction")
    expect(add).to_be_focused()

    # Enter opens it on the search; Down goes to the first match; Enter picks it.
    page.keyboard.press("Enter")
    dialog = picker(page)
    search = dialog.get_by_role("searchbox", name="Search emoji")
    expect(search).to_be_focused()
    page.keyboard.type("tada")
    page.keyboard.press("ArrowDown")
    expect(dialog.get_by_role("button", name="tada")).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_have_count(0)
    party = reaction(own, PARTY)
    expect(party).to_have_attribute("aria-pressed", "true")
    expect(add).to_be_focused()

    # Tab goes from the field to the grid; the arrows move; no serious axe finding
    # in either scheme; Escape closes and puts focus back.
    page.keyboard.press("Enter")
    expect(search).to_be_focused()
    page.keyboard.press("Tab")
    choices = dialog.get_by_test_id("reaction-choice")
    expect(choices.first).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(choices.nth(1)).to_be_focused()
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        assert_no_serious_violation(page, scheme)
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(add).to_be_focused()

    # Back past Edit to the reaction itself: Space takes it back.
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    expect(party).to_be_focused()
    page.keyboard.press("Space")
    expect(party).to_have_count(0)

    # Used most, shown first: after a reload, the emoji she reacts with leads the grid.
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.keyboard.type("heart_eyes")
    page.keyboard.press("Enter")
    expect(reaction(own, "\U0001f60d")).to_have_count(1)
    page.reload()
    wait_connected(page)
    own = message_with(page, "react to me")
    choices = open_picker(own).get_by_test_id("reaction-choice")
    expect(choices.first).to_have_attribute("data-emoji", "\U0001f60d")
    expect(choices.nth(1)).to_have_attribute("data-emoji", THUMBS)

    # A narrow phone-sized window: the picker stays on screen.
    page.keyboard.press("Escape")
    page.set_viewport_size({"width": 360, "height": 740})
    dialog = open_picker(own)
    box = dialog.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360, box
    assert box["y"] >= 0 and box["y"] + box["height"] <= 740, box

    # A touch screen: a tap opens the message's menu, whose "Add reaction" opens the picker.
    phone = browser.new_context(
        base_url=live_chat.url,
        viewport={"width": 360, "height": 740},
        has_touch=True,
        is_mobile=True,
        storage_state=page.context.storage_state(),
    )
    try:
        phone.set_default_timeout(10_000)
        tapper = phone.new_page()
        tapper.goto(page.url)
        wait_connected(tapper)
        held = message_with(tapper, "react to me")
        held.get_by_test_id("message-body").tap()
        tapper.get_by_role("menu").get_by_role("menuitem", name="Add reaction").tap()
        dialog = picker(tapper)
        expect(dialog).to_be_visible()
        box = dialog.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360, box
        dialog.get_by_role("button", name="+1").tap()
        expect(dialog).to_have_count(0)
        expect(reaction(held, THUMBS)).to_have_attribute("aria-pressed", "true")
        expect(reaction(own, THUMBS)).to_have_attribute("aria-pressed", "true")  # her other page, live
    finally:
        phone.close()

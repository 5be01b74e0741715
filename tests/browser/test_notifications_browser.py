"""Browser notifications in Chromium: asked for on a click, never on load; shown
for a direct message or a mention while the tab is hidden, not while it is in
view, and not for a muted room; muting itself (issue 7).

The page's Notification and visibility are replaced by an init script that
records what the page does: headless Chromium has no screen to show a
notification on, and a test cannot hide a tab.

Sign-ups are rate limited per address (5 in a burst): the module signs up four people.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser import test_chat_browser
from tests.browser.test_chat_browser import create_room, messages, send, wait_connected

pytestmark = pytest.mark.browser

new_user = test_chat_browser.new_user

RECORDER = """
(() => {
  const notes = [];
  let asked = 0;
  let hidden = false;
  class RecordedNotification {
    constructor(title, options = {}) {
      notes.push({ title, body: options.body, tag: options.tag });
    }
    close() {}
    static requestPermission() {
      asked += 1;
      RecordedNotification.permission = "granted";
      return Promise.resolve("granted");
    }
  }
  RecordedNotification.permission = "default";
  window.Notification = RecordedNotification;
  Object.defineProperty(document, "visibilityState", { get: () => (hidden ? "hidden" : "visible") });
  Object.defineProperty(document, "hidden", { get: () => hidden });
  window.recorded = { notes, asked: () => asked, hide: (value) => { hidden = value; } };
})();
"""


def notes(page: Page) -> list[dict]:
    return page.evaluate("window.recorded.notes")


def open_direct(page: Page, username: str) -> str:
    field = page.get_by_role("combobox", name="Message someone")
    field.press_sequentially(username, delay=20)
    page.get_by_role("listbox", name="People").get_by_role("option").filter(has_text=f"@{username}").click()
    expect(page).to_have_url(re.compile(r"/r/dm-\d+-\d+/$"))
    wait_connected(page)
    return page.url.rstrip("/").rsplit("/", 1)[-1]


def with_recorder(page: Page, path: str = "/") -> Page:
    page.context.add_init_script(RECORDER)
    page.goto(path)
    wait_connected(page)
    return page


def test_a_direct_message_notifies_a_hidden_tab_once_asked_on_a_click(new_user) -> None:
    alice, bob = new_user("alice"), new_user("bob")
    page = with_recorder(alice.page)
    button = page.get_by_role("button", name="Enable notifications")
    expect(button).to_be_visible()
    assert page.evaluate("window.recorded.asked()") == 0, "the page asked for permission on load"

    button.click()

    expect(button).to_be_hidden()
    assert page.evaluate("window.recorded.asked()") == 1
    page.evaluate("window.recorded.hide(true)")
    slug = open_direct(bob.page, alice.username)
    send(bob.page, "are you around?")

    page.wait_for_function("window.recorded.notes.length === 1")
    [note] = notes(page)
    assert note["title"] == bob.username
    assert note["body"] == "are you around?"
    assert note["tag"].startswith(f"chat:{slug}:")

    # In view, nothing pops up.
    page.evaluate("window.recorded.hide(false)")
    send(bob.page, "never mind, I see you")
    expect(page.get_by_test_id(f"unread-{slug}")).to_have_text("2")
    assert len(notes(page)) == 1


def test_in_a_room_a_mention_notifies_plain_talk_does_not_and_muting_silences_it(new_user) -> None:
    alice, bob = new_user("alice"), new_user("bob")
    slug = create_room(alice.page, "Quiet corner")
    page = with_recorder(alice.page, f"/r/{slug}/")
    page.get_by_role("button", name="Enable notifications").click()
    bob.page.goto(f"/r/{slug}/")
    wait_connected(bob.page)
    bob.page.get_by_test_id("join").click()
    wait_connected(bob.page)
    page.evaluate("window.recorded.hide(true)")

    send(bob.page, "just chatting")
    send(bob.page, f"@{alice.username} can you look at this?")
    page.wait_for_function("window.recorded.notes.length >= 1")
    expect(messages(page).filter(has_text="just chatting")).to_have_count(1)
    assert [note["body"] for note in notes(page)] == [f"@{alice.username} can you look at this?"]
    assert notes(page)[0]["title"] == f"{bob.username} in #Quiet corner"

    page.evaluate("window.recorded.hide(false)")
    mute = page.get_by_test_id("mute")
    expect(mute).to_have_text("Mute")
    mute.click()
    expect(mute).to_have_text("Unmute")  # the server's room_updated, without a reload
    link = page.get_by_test_id(f"room-link-{slug}")
    expect(link.get_by_role("img", name="Muted")).to_be_visible()
    page.evaluate("window.recorded.hide(true)")

    send(bob.page, f"@{alice.username} still there?")
    expect(messages(page).filter(has_text="still there?")).to_have_count(1)
    assert len(notes(page)) == 1, "a muted room notified"

    # Muted in one tab is muted in all, and after a reload.
    page.reload()
    wait_connected(page)
    expect(page.get_by_test_id("mute")).to_have_text("Unmute")
    expect(page.get_by_test_id(f"room-link-{slug}").get_by_role("img", name="Muted")).to_be_visible()

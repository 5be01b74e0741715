"""Threads in a real browser (headless Chromium, Playwright, against a live server):
a thread with replies from both sides, counted on its first message and in the
sidebar, live; the panel as a labelled complementary region that takes focus and
gives it back (Escape closes it); a reply also sent to the room; a link to a reply
opening its thread; the panel full screen at 360 px; a page that was offline
catching up on the replies sent meanwhile.

Sign-ups are rate limited per address (5 in a burst): the module signs up five people.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser import test_chat_browser
from tests.browser.axe import assert_no_serious_violation
from tests.browser.test_chat_browser import create_room, reconnect_now, send, socket_gate, wait_connected

pytestmark = pytest.mark.browser

new_user = test_chat_browser.new_user


def room_name(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:4]}"


def join(page: Page, slug: str) -> None:
    page.goto(f"/r/{slug}/")
    page.get_by_test_id("join").click()
    wait_connected(page)


def timeline(page: Page) -> Locator:
    """The room's main list of messages (not the thread panel's)."""
    return page.get_by_test_id("message-list").get_by_test_id("message")


def main_message(page: Page, body: str) -> Locator:
    found = timeline(page).filter(has_text=body)
    expect(found).to_have_count(1)
    return found


def panel(page: Page) -> Locator:
    return page.get_by_role("complementary", name=re.compile(r"^Thread"))


def in_thread(page: Page) -> Locator:
    return page.get_by_test_id("thread-messages").get_by_test_id("message")


def reply_in_thread(page: Page, message: Locator) -> None:
    message.hover()
    message.get_by_role("button", name="Reply in thread").click()
    expect(panel(page)).to_be_visible()


def write_reply(page: Page, body: str, *, also_to_room: bool = False) -> None:
    if also_to_room:
        page.get_by_test_id("thread-also").check()
    field = page.get_by_test_id("thread-input")
    field.fill(body)
    field.press("Enter")


def test_a_thread_with_replies_from_both_counted_on_its_first_message_live(new_user) -> None:
    alice_user, bob_user = new_user("alice"), new_user("bob")
    alice, bob = alice_user.page, bob_user.page
    slug = create_room(alice, room_name("Ship"))
    join(bob, slug)
    send(alice, "Shall we ship on Friday?")
    question = main_message(bob, "Shall we ship on Friday?")

    # Bob replies in a thread: the panel opens beside the room, its composer focused.
    reply_in_thread(bob, question)
    expect(bob.get_by_test_id("thread-input")).to_be_focused()
    expect(in_thread(bob)).to_have_count(1)  # the thread's first message
    write_reply(bob, "Friday works for me.")
    expect(in_thread(bob).filter(has_text="Friday works for me.")).to_have_count(1)

    # Alice sees it counted on her message, live, and not in the room's timeline.
    hers = main_message(alice, "Shall we ship on Friday?")
    summary = hers.get_by_test_id("thread-summary")
    expect(summary).to_contain_text("1 reply")
    expect(timeline(alice).filter(has_text="Friday works for me.")).to_have_count(0)
    expect(timeline(bob).filter(has_text="Friday works for me.")).to_have_count(0)
    # She started the thread: its unread reply is counted beside Threads, and on the message.
    expect(alice.get_by_test_id("threads-unread")).to_have_text("1")
    expect(summary.locator(".thread-summary__unread")).to_have_text("1")

    # She opens it: the reply is read once shown, and the counts go.
    summary.click()
    expect(panel(alice)).to_be_visible()
    expect(in_thread(alice).filter(has_text="Friday works for me.")).to_have_count(1)
    expect(alice.get_by_test_id("threads-unread")).to_be_hidden()
    expect(summary.locator(".thread-summary__unread")).to_have_count(0)

    # Her reply also goes to the room: in both panels, and in both timelines with its thread's link.
    write_reply(alice, "Great, I'll tell everyone.", also_to_room=True)
    expect(in_thread(bob).filter(has_text="I'll tell everyone")).to_have_count(1)
    for page in (alice, bob):
        shown = main_message(page, "I'll tell everyone")
        expect(shown.get_by_test_id("reply-thread-link")).to_be_visible()
        expect(
            main_message(page, "Shall we ship on Friday?").get_by_test_id("thread-summary")
        ).to_contain_text("2 replies")
    # Bob has the thread open: the new reply is read there, nothing to count.
    expect(bob.get_by_test_id("threads-unread")).to_be_hidden()

    # Escape closes the panel, and focus goes back to what opened it.
    alice.get_by_test_id("thread-input").press("Escape")
    expect(panel(alice)).to_be_hidden()
    expect(summary).to_be_focused()

    # Another reply from Bob while Alice's panel is closed: counted again, live.
    write_reply(bob, "One more thing: the release notes.")
    expect(alice.get_by_test_id("threads-unread")).to_have_text("1")
    expect(summary).to_contain_text("3 replies")

    # A reload keeps it so: replies stay out of the timeline, counted on their message.
    alice.reload()
    wait_connected(alice)
    expect(timeline(alice)).to_have_count(3)  # Bob's join note, the question, the reply also sent to the room
    expect(timeline(alice).filter(has_text="Friday works for me.")).to_have_count(0)
    expect(main_message(alice, "Shall we ship on Friday?").get_by_test_id("thread-summary")).to_contain_text(
        "3 replies"
    )
    expect(alice.get_by_test_id("threads-unread")).to_have_text("1")


def test_the_panel_is_accessible_and_a_link_to_a_reply_opens_its_thread(new_user) -> None:
    alice_user, bob_user = new_user("alice"), new_user("bob")
    alice, bob = alice_user.page, bob_user.page
    slug = create_room(alice, room_name("Links"))
    join(bob, slug)
    send(alice, "Who reviews the notes?")
    reply_in_thread(bob, main_message(bob, "Who reviews the notes?"))
    write_reply(bob, f"@{alice_user.username} you do, please")
    expect(in_thread(bob)).to_have_count(2)
    assert_no_serious_violation(bob)

    # The mentions page links to the reply: it opens the room with the thread beside it.
    alice.goto("/mentions/")
    alice.get_by_test_id("mention-result").first.click()
    expect(alice).to_have_url(re.compile(rf"/r/{slug}/\?seq=\d+&thread=\d+$"))
    wait_connected(alice)
    expect(panel(alice)).to_be_visible()
    expect(in_thread(alice).filter(has_text="you do, please")).to_have_class(re.compile("message--found"))

    # The threads page lists it; its link opens the thread too.
    alice.goto("/threads/")
    wait_connected(alice)
    alice.get_by_test_id("thread-result").first.click()
    expect(panel(alice)).to_be_visible()
    expect(in_thread(alice)).to_have_count(2)
    alice.get_by_test_id("thread-close").click()
    expect(panel(alice)).to_be_hidden()

    # A reply begun in the thread is its draft: closed, reloaded, it comes back there
    # (and not in the room's composer).
    main_message(alice, "Who reviews the notes?").get_by_test_id("thread-summary").click()
    alice.get_by_test_id("thread-input").fill("I will, by Friday")
    alice.get_by_test_id("thread-close").click()
    alice.reload()
    wait_connected(alice)
    expect(alice.get_by_test_id("composer")).to_have_value("")
    main_message(alice, "Who reviews the notes?").get_by_test_id("thread-summary").click()
    expect(alice.get_by_test_id("thread-input")).to_have_value("I will, by Friday")


def test_the_panel_is_full_screen_at_360_px_and_an_open_thread_catches_up_after_being_offline(
    new_user,
) -> None:
    alice_user = new_user("alice")
    alice = alice_user.page
    slug = create_room(alice, room_name("Away"))
    base_url = alice.url.rstrip("/").rsplit("/", 2)[0]
    send(alice, "Thoughts on the plan?")
    reply_in_thread(alice, main_message(alice, "Thoughts on the plan?"))
    write_reply(alice, "Mine first.")
    expect(in_thread(alice)).to_have_count(2)

    # Her socket drops, and the server stays out of reach until the test lets her through.
    gate = socket_gate(alice)
    alice.evaluate("window.chatApp.connection.socket.close()")
    expect(alice.get_by_test_id("offline-banner")).to_be_visible()

    # Meanwhile she replies from her phone, where the thread takes the whole screen.
    phone = alice.context.browser.new_context(
        base_url=base_url, viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    )
    try:
        phone.add_cookies(alice.context.cookies())
        small = phone.new_page()
        small.goto(f"/r/{slug}/")
        wait_connected(small)
        main_message(small, "Thoughts on the plan?").tap()  # a touch screen: its actions open as a menu
        small.get_by_role("menuitem", name="Reply in thread").tap()
        expect(panel(small)).to_be_visible()
        box = panel(small).bounding_box()
        assert box is not None
        assert (box["x"], box["y"], box["width"], box["height"]) == (0, 0, 360, 740)
        write_reply(small, "Sent from the phone while the laptop was away.")
        expect(in_thread(small).filter(has_text="while the laptop was away")).to_have_count(1)
        width = small.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"the page is {width}px wide on a 360px screen"
        small.get_by_test_id("thread-close").tap()
        expect(panel(small)).to_be_hidden()
    finally:
        phone.close()

    # Back online, the same page: the open thread asks for what came meanwhile.
    gate.reachable = True
    reconnect_now(alice)
    expect(in_thread(alice).filter(has_text="while the laptop was away")).to_have_count(1)
    expect(main_message(alice, "Thoughts on the plan?").get_by_test_id("thread-summary")).to_contain_text(
        "2 replies"
    )
    expect(timeline(alice).filter(has_text="while the laptop was away")).to_have_count(0)

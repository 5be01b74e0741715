"""Files in a thread, in a real browser: a reply carries files attached in the thread
panel (its attach button, or dropped on the panel), apart from the room's composer,
and the other side sees them in the thread, not in the room's timeline.

A module of its own, so its server's sign-up limit (per address, and every browser
here signs up from 127.0.0.1) is not shared with the other thread and file modules'."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page, expect

from tests import images
from tests.browser import test_chat_browser
from tests.browser.axe import assert_no_serious_violation
from tests.browser.test_attachments_browser import drop_on
from tests.browser.test_chat_browser import create_room, send
from tests.browser.test_threads_browser import in_thread, join, main_message, panel, reply_in_thread, timeline

pytestmark = pytest.mark.browser

new_user = test_chat_browser.new_user

MINUTES = b"Minutes\n- ship on Friday\n"


def drop_on_the_thread(page: Page, data: bytes, name: str, content_type: str) -> None:
    """A file dropped on the thread panel."""
    drop_on(page.get_by_test_id("thread-panel"), "[data-thread-drop-zone]", data, name, content_type)


def test_a_reply_in_a_thread_carries_files_attached_in_the_panel(new_user) -> None:
    alice_user, bob_user = new_user("alice"), new_user("bob")
    alice, bob = alice_user.page, bob_user.page
    slug = create_room(alice, f"Thread files {uuid.uuid4().hex[:4]}")
    join(bob, slug)
    send(alice, "Where are the minutes?")

    # Bob answers in the thread, with a file chosen through the panel's own button...
    reply_in_thread(bob, main_message(bob, "Where are the minutes?"))
    attach = bob.get_by_test_id("thread-attach")
    expect(attach).to_be_visible()
    expect(attach).to_have_accessible_name("Attach files")
    with bob.expect_file_chooser() as choosing:
        attach.click()
    choosing.value.set_files([{"name": "minutes.txt", "mimeType": "text/plain", "buffer": MINUTES}])
    # ... and a picture dropped on the panel.
    drop_on_the_thread(bob, images.png(90, 60, (200, 60, 40)), "chart.png", "image/png")
    assert bob.evaluate("window.__dropZoneShown") is True
    expect(bob.get_by_test_id("thread-drop-zone")).to_be_hidden()
    rows = bob.get_by_test_id("thread-upload-tray").get_by_test_id("upload")
    expect(rows).to_have_count(2)
    for row in (rows.filter(has_text="minutes.txt"), rows.filter(has_text="chart.png")):
        expect(row).to_have_attribute("data-state", "done")
    # The room's composer has none of them.
    expect(bob.get_by_test_id("upload-tray")).to_be_hidden()
    assert_no_serious_violation(bob)

    field = bob.get_by_test_id("thread-input")
    field.fill("Here they are")
    field.press("Enter")
    expect(rows).to_have_count(0)
    mine = in_thread(bob).filter(has_text="Here they are")
    expect(mine.get_by_test_id("attachment")).to_have_count(2)
    expect(bob.get_by_test_id("pending-message")).to_have_count(0)

    # Alice opens the thread: the reply has both, the picture as a thumbnail; the room's
    # timeline does not show the reply.
    summary = main_message(alice, "Where are the minutes?").get_by_test_id("thread-summary")
    expect(summary).to_contain_text("1 reply")
    summary.click()
    expect(panel(alice)).to_be_visible()
    theirs = in_thread(alice).filter(has_text="Here they are")
    expect(theirs.get_by_test_id("attachment-download")).to_have_text("minutes.txt")
    image = theirs.get_by_test_id("attachment-thumbnail").locator("img")
    alice.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    expect(timeline(alice).filter(has_text="Here they are")).to_have_count(0)

    # Files alone make a reply too.
    with alice.expect_file_chooser() as choosing:
        alice.get_by_test_id("thread-attach").click()
    choosing.value.set_files([{"name": "thanks.txt", "mimeType": "text/plain", "buffer": b"thanks"}])
    expect(alice.get_by_test_id("thread-upload-tray").get_by_test_id("upload")).to_have_attribute(
        "data-state", "done"
    )
    alice.get_by_test_id("thread-input").press("Enter")
    reply = in_thread(bob).filter(has=bob.get_by_test_id("attachment-download").filter(has_text="thanks.txt"))
    expect(reply).to_have_count(1)
    expect(summary).to_contain_text("2 replies")

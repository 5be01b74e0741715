"""Files in a real browser (headless Chromium, Playwright, against a live server): one
person pastes a picture into the composer and drops a file on the room, sends them
with a line of text, and the other sees the thumbnail, opens it full size in the
page and downloads the file; and the upload tray: the file chooser, a file over the
limit refused before it is sent, Remove from the keyboard, a message of files alone.
(A file name that is markup: tests/browser/test_xss_browser.py.)

Sign-ups are rate limited per address (5 in a burst): the module signs up four people.
"""

from __future__ import annotations

import base64
import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests import images
from tests.browser import test_chat_browser
from tests.browser.axe import assert_no_serious_violation
from tests.browser.test_chat_browser import create_room, messages, send, wait_connected

pytestmark = pytest.mark.browser

new_user = test_chat_browser.new_user

NOTES = b"Agenda\n1. Launch date\n2. Who writes the notes\n"


def join(page: Page, slug: str) -> None:
    page.goto(f"/r/{slug}/")
    page.get_by_test_id("join").click()
    wait_connected(page)


def paste_file(page: Page, data: bytes, name: str, content_type: str) -> None:
    """What a paste of a copied picture gives the page: a clipboard holding a file only."""
    page.get_by_test_id("composer").evaluate(
        """(input, [data, name, type]) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, { type }));
            const options = { clipboardData: transfer, bubbles: true, cancelable: true };
            input.dispatchEvent(new ClipboardEvent("paste", options));
        }""",
        [base64.b64encode(data).decode(), name, content_type],
    )


def drop_on(target: Locator, zone: str, data: bytes, name: str, content_type: str) -> None:
    """A file dragged from the desktop and dropped on ``target``: dragover shows the drop
    zone (``zone``, a selector; whether it was shown is left in window.__dropZoneShown),
    drop attaches."""
    target.evaluate(
        """(target, [zone, data, name, type]) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, { type }));
            const options = { dataTransfer: transfer, bubbles: true, cancelable: true };
            target.dispatchEvent(new DragEvent("dragenter", options));
            target.dispatchEvent(new DragEvent("dragover", options));
            window.__dropZoneShown = !document.querySelector(zone).hidden;
            target.dispatchEvent(new DragEvent("drop", options));
        }""",
        [zone, base64.b64encode(data).decode(), name, content_type],
    )


def drop_file(page: Page, data: bytes, name: str, content_type: str) -> None:
    """A file dropped on the room."""
    drop_on(page.locator("#main"), "#drop-zone", data, name, content_type)


def test_one_pastes_a_picture_and_drops_a_file_the_other_sees_the_thumbnail_and_downloads_it(
    new_user, tmp_path: Path
) -> None:
    alice_user, bob_user = new_user("alice"), new_user("bob")
    alice, bob = alice_user.page, bob_user.page
    slug = create_room(alice, f"Files {uuid.uuid4().hex[:4]}")
    join(bob, slug)

    # Every announcement of the status line, kept as it is made.
    alice.get_by_test_id("upload-status").evaluate(
        """(status) => {
            window.__announced = [];
            new MutationObserver(() => window.__announced.push(status.textContent.trim())).observe(
                status, { childList: true, characterData: true, subtree: true }
            );
        }"""
    )
    picture = images.png(120, 80, (30, 140, 90))
    paste_file(alice, picture, "image.png", "image/png")
    drop_file(alice, NOTES, "agenda.txt", "text/plain")
    assert alice.evaluate("window.__dropZoneShown") is True
    expect(alice.get_by_test_id("drop-zone")).to_be_hidden()
    tray = alice.get_by_test_id("upload")
    expect(tray).to_have_count(2)
    expect(tray.nth(0)).to_have_attribute("data-state", "done")
    expect(tray.nth(1)).to_have_attribute("data-state", "done")
    expect(tray.nth(0)).to_contain_text("Pasted ")
    expect(tray.nth(1)).to_contain_text("agenda.txt")
    # Each is announced as it finishes, in whichever order the server answered.
    announced = alice.evaluate("window.__announced")
    assert "agenda.txt is ready to send." in announced, announced
    assert any(re.fullmatch(r"Pasted .+\.png is ready to send\.", said) for said in announced), announced
    send(alice, "the plan, and the agenda")
    expect(alice.get_by_test_id("upload")).to_have_count(0)

    message = messages(bob).filter(has_text="the plan, and the agenda")
    expect(message).to_have_count(1)
    thumbnail = message.get_by_test_id("attachment-thumbnail")
    expect(thumbnail).to_be_visible()
    image = thumbnail.locator("img")
    expect(image).to_have_attribute("src", re.compile(r"^/files/\d+/thumbnail/$"))
    bob.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    assert image.evaluate("img => img.naturalWidth") == 120

    # Opened full size in the page; Escape closes it and focus goes back.
    thumbnail.click()
    viewer = bob.get_by_test_id("image-viewer")
    expect(viewer).to_be_visible()
    full = viewer.locator("img")
    bob.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=full.element_handle())
    assert full.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [120, 80]
    bob.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    expect(thumbnail).to_be_focused()

    link = message.get_by_test_id("attachment-download")
    expect(link).to_have_text("agenda.txt")
    expect(message.get_by_test_id("attachment").nth(1)).to_contain_text("text/plain")
    with bob.expect_download() as downloading:
        link.click()
    download = downloading.value
    assert download.suggested_filename == "agenda.txt"
    saved = tmp_path / "agenda.txt"
    download.save_as(saved)
    assert saved.read_bytes() == NOTES

    # Both show the same message from the server, once.
    mine = messages(alice).filter(has_text="the plan, and the agenda")
    expect(mine.get_by_test_id("attachment")).to_have_count(2)
    expect(alice.get_by_test_id("pending-message")).to_have_count(0)


def test_the_tray_refuses_what_is_too_large_removes_what_is_not_wanted_and_sends_files_alone(
    new_user,
) -> None:
    carol_user, dave_user = new_user("carol"), new_user("dave")
    carol, dave = carol_user.page, dave_user.page
    slug = create_room(carol, f"Tray {uuid.uuid4().hex[:4]}")
    join(dave, slug)

    attach = carol.get_by_test_id("attach")
    expect(attach).to_be_visible()
    expect(attach).to_have_accessible_name("Attach files")
    # Through the attach button's file chooser: a file and one over the limit.
    limit = carol.evaluate("JSON.parse(document.getElementById('chat-upload-limits').textContent).maxFile")
    with carol.expect_file_chooser() as choosing:
        attach.click()
    choosing.value.set_files(
        [
            {"name": "keep.txt", "mimeType": "text/plain", "buffer": b"keep me"},
            {"name": "drop.txt", "mimeType": "text/plain", "buffer": b"drop me"},
            {"name": "huge.bin", "mimeType": "application/octet-stream", "buffer": b"x" * (limit + 1)},
        ]
    )
    rows = carol.get_by_test_id("upload")
    expect(rows).to_have_count(3)
    huge = rows.filter(has_text="huge.bin")
    expect(huge).to_have_attribute("data-state", "failed")
    expect(huge.get_by_test_id("upload-error")).to_contain_text("the most a file may be")
    expect(rows.filter(has_text="drop.txt")).to_have_attribute("data-state", "done")

    # Removed with the keyboard; the live region says so.
    remove = rows.filter(has_text="drop.txt").get_by_role("button", name="Remove drop.txt")
    remove.focus()
    carol.keyboard.press("Enter")
    expect(carol.get_by_test_id("upload-status")).to_have_text("drop.txt removed.")
    huge.get_by_role("button", name="Remove huge.bin").click()
    expect(rows).to_have_count(1)
    assert_no_serious_violation(carol)

    # Files alone: an empty body is fine when files go with it.
    carol.get_by_test_id("composer").press("Enter")
    message = messages(dave).filter(has=dave.get_by_test_id("attachment-download"))
    expect(message).to_have_count(1)
    expect(message.get_by_test_id("attachment-download")).to_have_text("keep.txt")
    expect(message.get_by_test_id("message-body")).to_be_hidden()

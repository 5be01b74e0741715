"""Message search in a real browser (headless Chromium, Playwright, against a live
server): the top bar's field on the room page, the results page, and the way back
to the message's room.

Sign-ups are rate limited per address (5 in a burst): the module signs up one person.
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


def test_a_search_from_the_room_page_finds_the_message_and_leads_back_to_it(new_user) -> None:
    page = new_user("alice").page
    word = f"zeppelin{uuid.uuid4().hex[:6]}"
    slug = create_room(page, f"Search {uuid.uuid4().hex[:4]}")
    send(page, f"the {word} lands at <noon> & not before")
    sent = messages(page).filter(has_text=word)
    expect(sent).to_have_count(1)
    seq = sent.get_attribute("data-seq")
    assert seq is not None
    for n in range(25):  # enough talk after it that the room's bottom is far from it
        send(page, f"later {n}")
    expect(messages(page).filter(has_text="later 24")).to_have_count(1)

    field = page.get_by_role("searchbox", name="Search messages")
    field.fill(word.upper())
    field.press("Enter")

    expect(page).to_have_url(re.compile(rf"/search/\?q={word.upper()}$"))
    result = page.get_by_test_id("search-result")
    expect(result).to_have_count(1)
    expect(result).to_have_attribute("data-seq", seq)
    expect(result.locator("mark")).to_have_text(word)
    # Escaped, not rendered: the angle brackets are text.
    expect(page.get_by_test_id("search-result-body")).to_have_text(f"the {word} lands at <noon> & not before")
    expect(page.get_by_role("searchbox", name="Search messages")).to_have_value(word.upper())

    result.get_by_role("link").click()

    expect(page).to_have_url(re.compile(rf"/r/{slug}/\?seq={seq}$"))
    wait_connected(page)
    found = messages(page).filter(has_text=word)
    expect(found).to_have_count(1)
    # The room opens at the message, marked, not at its newest.
    expect(found).to_have_class(re.compile(r"\bmessage--found\b"))
    expect(found).to_be_in_viewport()
    expect(messages(page).filter(has_text="later 24")).not_to_be_in_viewport()

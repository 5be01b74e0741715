"""The threads page (/threads/) in a browser: a thread that was not listed appears
without a reload, when a reply comes and after the page was offline.

A module of its own, so its server's sign-up limit (per address, and every browser
here signs up from 127.0.0.1) is not shared with test_threads_browser.py's."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import test_chat_browser
from tests.browser.test_chat_browser import create_room, reconnect_now, send, socket_gate, wait_connected
from tests.browser.test_threads_browser import (
    in_thread,
    join,
    main_message,
    reply_in_thread,
    room_name,
    write_reply,
)

pytestmark = pytest.mark.browser

new_user = test_chat_browser.new_user


def test_the_threads_page_lists_a_new_thread_live_and_after_being_offline(new_user) -> None:
    alice_user, bob_user = new_user("alice"), new_user("bob")
    alice, bob = alice_user.page, bob_user.page
    slug = create_room(alice, room_name("Live"))
    join(bob, slug)
    send(alice, "First question")
    send(alice, "Second question")
    expect(main_message(bob, "Second question")).to_be_visible()

    # Alice waits on her threads page, where she takes part in none yet.
    alice.goto("/threads/")
    wait_connected(alice)
    expect(alice.get_by_test_id("threads-none")).to_be_visible()

    # Bob replies to her first question: the thread appears there, counted, without a reload.
    reply_in_thread(bob, main_message(bob, "First question"))
    write_reply(bob, "An answer")
    results = alice.get_by_test_id("thread-result")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("First question")
    expect(results.first.get_by_test_id("thread-unread")).to_have_text("1")
    expect(alice.get_by_test_id("threads-none")).to_have_count(0)

    # Her socket drops; meanwhile Bob answers the second: it is listed on reconnect, on top.
    gate = socket_gate(alice)
    alice.evaluate("window.chatApp.connection.socket.close()")
    expect(alice.get_by_test_id("offline-banner")).to_be_visible()
    bob.get_by_test_id("thread-close").click()
    reply_in_thread(bob, main_message(bob, "Second question"))
    write_reply(bob, "Another answer")
    expect(in_thread(bob).filter(has_text="Another answer")).to_have_count(1)
    expect(results).to_have_count(1)
    gate.reachable = True
    reconnect_now(alice)
    expect(results).to_have_count(2)
    expect(results.first).to_contain_text("Second question")
    expect(results.nth(1)).to_contain_text("First question")

    # And a listed thread's reply still counts live, where it is.
    bob.get_by_test_id("thread-close").click()
    reply_in_thread(bob, main_message(bob, "First question"))
    write_reply(bob, "A second answer")
    expect(results.first).to_contain_text("First question")
    expect(results.first.get_by_test_id("thread-unread")).to_have_text("2")

"""The room's member list is live: joins and departures show at once, and a
member who loses a public room (left in another tab, or removed) is offered to
join it again without a reload (issue 7, defect 7)."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser import test_chat_browser
from tests.browser.test_chat_browser import create_room, wait_connected

pytestmark = pytest.mark.browser

new_user = test_chat_browser.new_user


def test_the_member_count_and_list_follow_joins_and_departures(new_user) -> None:
    alice, bob = new_user("alice"), new_user("bob")
    slug = create_room(alice.page, f"Crew {uuid.uuid4().hex[:4]}")
    count = alice.page.get_by_test_id("members-toggle")
    expect(count).to_contain_text("1 member")

    bob.page.goto(f"/r/{slug}/")
    wait_connected(bob.page)
    bob.page.get_by_test_id("join").click()
    wait_connected(bob.page)

    expect(count).to_contain_text("2 members")
    count.click()
    members = alice.page.get_by_test_id("members")
    expect(members.locator(".member__username")).to_have_text([f"@{alice.username}", f"@{bob.username}"])

    bob.page.get_by_role("button", name=re.compile("Leave", re.I)).click()

    expect(count).to_contain_text("1 member")
    expect(members.locator(".member__username")).to_have_text([f"@{alice.username}"])


def test_a_member_who_loses_a_public_room_can_join_it_again_at_once(new_user) -> None:
    alice, bob = new_user("alice"), new_user("bob")
    slug = create_room(alice.page, f"Open {uuid.uuid4().hex[:4]}")
    bob.page.goto(f"/r/{slug}/")
    wait_connected(bob.page)
    bob.page.get_by_test_id("join").click()
    wait_connected(bob.page)
    expect(bob.page.get_by_test_id("join")).to_be_hidden()
    other_tab = bob.page.context.new_page()
    other_tab.goto(f"/r/{slug}/")
    wait_connected(other_tab)

    other_tab.get_by_role("button", name=re.compile("Leave", re.I)).click()

    # The first tab, without a reload: a Join button, no composer.
    expect(bob.page.get_by_test_id("join")).to_be_visible()
    expect(bob.page.get_by_test_id("composer")).to_be_hidden()
    bob.page.get_by_test_id("join").click()
    wait_connected(bob.page)
    expect(bob.page.get_by_test_id("composer")).to_be_editable()

"""The pages' side of threads: the Threads page, the sidebar's count of unread replies,
and search results and mentions in replies opening their thread."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from chat import selectors, services
from chat.models import Message, Room

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(user: User, body: str, room: str = "general", **reply: Any) -> Message:
    client_id = f"{user.pk}-{Message.objects.count()}"
    return services.message_create(user=user, room_slug=room, body=body, client_id=client_id, **reply).message


def threads_page(user: User, **params: Any) -> Any:
    return client_for(user).get(reverse("chat:threads"), params)


def shown_threads(html: str) -> list[tuple[str, str, str]]:
    """(room, parent seq, unread badge) of each thread the page lists, in order."""
    items = re.findall(
        r'data-room="([^"]+)" data-parent-seq="(\d+)".*?data-testid="thread-unread"[^>]*>(\d+)<', html, re.S
    )
    return [(room, seq, unread) for room, seq, unread in items]


def threads_badge(html: str) -> tuple[str, bool]:
    """The sidebar's count of unread replies, and whether it shows."""
    match = re.search(r'<span class="badge" data-testid="threads-unread"[^>]*?( hidden)?>(\d+)</span>', html)
    assert match, "no Threads entry in the sidebar"
    return match.group(2), match.group(1) is None


def test_the_threads_page_lists_the_user_s_threads_the_latest_reply_first(
    public_room: Room, private_room: Room, alice: User, bob: User, carol: User
) -> None:
    older = post(alice, "an older thread")
    newer = post(bob, "bob's question", "secret")
    untouched = post(bob, "nobody answers this")  # a message without a thread
    yes = post(bob, "yes", parent_seq=older.seq)
    post(bob, "and more", parent_seq=older.seq)
    post(alice, "an answer", "secret", parent_seq=newer.seq)
    services.thread_read_mark(user=alice, room_slug="general", parent_seq=older.seq, seq=yes.seq)

    response = threads_page(alice)
    html = response.content.decode()
    assert response.status_code == 200
    assert shown_threads(html) == [("secret", str(newer.seq), "0"), ("general", str(older.seq), "1")]
    assert f'href="/r/general/?thread={older.seq}"' in html
    assert "2 replies" in html and "1 reply" in html
    assert threads_badge(html) == ("1", True)
    assert f'data-parent-seq="{untouched.seq}"' not in html
    assert 'data-testid="threads-link" aria-current="page"' in html

    # Bob takes part in both; carol in none.
    assert [seq for _room, seq, _unread in shown_threads(threads_page(bob).content.decode())] == [
        str(newer.seq),
        str(older.seq),
    ]
    assert 'data-testid="threads-none"' in threads_page(carol).content.decode()


def test_a_thread_of_a_room_the_user_left_is_not_listed(public_room: Room, alice: User, bob: User) -> None:
    root = post(alice, "first")
    post(bob, "a reply", parent_seq=root.seq)
    services.room_leave(user=bob, room_slug="general")

    assert shown_threads(threads_page(bob).content.decode()) == []
    assert selectors.threads_of(bob).results == []


def test_the_threads_page_is_paged_and_signed_in_only(public_room: Room, alice: User, bob: User) -> None:
    for n in range(3):
        root = post(alice, f"thread {n}")
        post(bob, "reply", parent_seq=root.seq)

    first = selectors.threads_of(alice, per_page=2)
    second = selectors.threads_of(alice, page=2, per_page=2)
    assert [r.message.body for r in first.results] == ["thread 2", "thread 1"]
    assert (first.has_previous, first.has_next) == (False, True)
    assert ([r.message.body for r in second.results], second.has_next) == (["thread 0"], False)
    assert [r.unread for r in first.results] == [1, 1]
    assert threads_page(alice, page="0").status_code == 404
    assert threads_page(alice, page="x").status_code == 404
    response = Client().get(reverse("chat:threads"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_the_sidebar_counts_unread_replies_on_every_page(public_room: Room, alice: User, bob: User) -> None:
    root = post(alice, "first")
    assert threads_badge(client_for(alice).get(reverse("chat:index")).content.decode()) == ("0", False)
    post(bob, "one", parent_seq=root.seq)
    post(bob, "two", parent_seq=root.seq)

    for url in (reverse("chat:index"), reverse("chat:room", args=["general"])):
        assert threads_badge(client_for(alice).get(url).content.decode()) == ("2", True)


def test_a_search_result_or_a_mention_in_a_reply_opens_its_thread(
    public_room: Room, alice: User, bob: User
) -> None:
    root = post(alice, "the launch plan")
    answer = post(bob, "@alice the launch is Monday", parent_seq=root.seq)

    html = unescape(client_for(alice).get(reverse("chat:search"), {"q": "launch"}).content.decode())
    assert f"/r/general/?seq={answer.seq}&thread={root.seq}" in html
    assert f'/r/general/?seq={root.seq}"' in html  # the first message is no reply
    assert html.count('data-testid="search-result-thread"') == 1

    html = unescape(client_for(alice).get(reverse("chat:mentions")).content.decode())
    assert f"/r/general/?seq={answer.seq}&thread={root.seq}" in html


def test_the_threads_page_names_a_direct_conversation_after_the_other_person(alice: User, bob: User) -> None:
    room = services.direct_room_open(user=alice, other=bob)
    root = post(alice, "a question", room.slug)
    post(bob, "an answer", room.slug, parent_seq=root.seq)

    [result] = selectors.threads_of(alice).results
    assert (result.room_name, result.unread) == ("Bob", 1)


def test_the_http_api_says_which_messages_are_replies(public_room: Room, alice: User, bob: User) -> None:
    from tests.chat.test_api import api_client

    root = post(alice, "first")
    post(bob, "a reply", parent_seq=root.seq)
    client, auth = api_client(bob)

    response = client.get("/api/rooms/general/messages", headers=auth)
    assert [(m["seq"], m["parent_seq"]) for m in response.json()["messages"]] == [(1, None), (2, 1)]

"""Mentions: @username of a room's members stored with the message (chat.services.messages),
carried by MESSAGE and counted in ROOM_SUMMARY (chat.protocol, chat.selectors), and the
mentions page (GET /mentions/).

alice created both fixture rooms; bob is a member of both; carol of neither.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from chat import protocol, selectors, services
from chat.models import Membership, Mention, Message, Room
from tests.factories import MembershipFactory, RoomFactory, UserFactory

pytestmark = pytest.mark.django_db


def post(user: User, room: Room, body: str) -> Message:
    return services.message_create(
        user=user, room_slug=room.slug, body=body, client_id=f"c{Message.objects.count()}"
    ).message


def mentioned(message: Message) -> set[str]:
    return set(Mention.objects.filter(message=message).values_list("user__username", flat=True))


def summary_of(user: User, slug: str) -> dict[str, Any]:
    [summary] = [s for s in selectors.room_summaries_for_user(user) if s["slug"] == slug]
    return summary


# Sending ---------------------------------------------------------------------------------


def test_a_mention_of_a_member_is_stored_and_rendered(public_room: Room, alice: User, bob: User) -> None:
    message = post(alice, public_room, "hi @bob, look")

    assert mentioned(message) == {"bob"}
    assert message.html == 'hi <span class="mention" data-username="bob">@bob</span>, look'
    assert protocol.message_payload(message, "general")["mentions"] == ["bob"]


def test_a_name_matches_a_members_username_ignoring_case(public_room: Room, alice: User, bob: User) -> None:
    message = post(alice, public_room, "@BoB see this")

    assert mentioned(message) == {"bob"}
    # The text stays as typed; the mention names the user.
    assert message.html == '<span class="mention" data-username="bob">@BoB</span> see this'


def test_a_mention_inside_a_chinese_sentence_is_stored(public_room: Room, alice: User, bob: User) -> None:
    message = post(alice, public_room, "你好@bob，明天见")

    assert mentioned(message) == {"bob"}
    assert message.html == '你好<span class="mention" data-username="bob">@bob</span>，明天见'


def test_of_the_names_one_mention_may_be_only_the_longest_member_is_mentioned(
    public_room: Room, alice: User
) -> None:
    for username in ("张伟", "张伟明"):
        MembershipFactory(room=public_room, user=UserFactory(username=username, display_name=username))

    message = post(alice, public_room, "@张伟明天到，@张伟在吗")

    # "张伟明天到" reads as 张伟明 + 天到 (the longest name that is a member), not both.
    assert mentioned(message) == {"张伟明", "张伟"}
    assert message.html == (
        '<span class="mention" data-username="张伟明">@张伟明</span>天到，'
        '<span class="mention" data-username="张伟">@张伟</span>在吗'
    )
    again = post(alice, public_room, "@张伟明天到")
    assert mentioned(again) == {"张伟明"}


def test_two_members_who_differ_only_in_case_are_not_guessed(
    public_room: Room, alice: User, bob: User
) -> None:
    MembershipFactory(room=public_room, user=UserFactory(username="Bob"))

    assert mentioned(post(alice, public_room, "@BOB?")) == set()
    # Typed exactly, each is found.
    assert mentioned(post(alice, public_room, "@Bob and @bob")) == {"Bob", "bob"}


def test_non_members_the_author_and_strangers_are_not_mentioned(
    public_room: Room, alice: User, bob: User, carol: User
) -> None:
    message = post(alice, public_room, "@carol @alice @nobody `@bob` and @bob")

    assert mentioned(message) == {"bob"}
    # carol and alice exist, so they are still shown as mentions; nobody does not.
    assert 'data-username="carol"' in message.html
    assert 'data-username="alice"' in message.html
    assert "nobody" not in re.findall(r'data-username="([^"]*)"', message.html)


def test_a_batch_stores_the_mentions_of_each_message_in_its_own_room(
    public_room: Room, private_room: Room, alice: User, bob: User, carol: User
) -> None:
    MembershipFactory(room=private_room, user=carol)
    sends = [
        services.SendRequest(alice, "general", "@bob @carol", "b1"),
        services.SendRequest(alice, "secret", "@bob @carol", "b2"),
        services.SendRequest(bob, "general", "plain", "b3"),
    ]

    outcomes = services.messages_create(sends=sends)

    messages = [outcome.message for outcome in outcomes]  # type: ignore[union-attr]
    assert [mentioned(message) for message in messages] == [{"bob"}, {"bob", "carol"}, set()]


def test_the_live_message_frame_carries_the_mentions(
    public_room: Room, alice: User, bob: User, listen: Any, django_capture_on_commit_callbacks: Any
) -> None:
    listener = listen(f"room.{public_room.pk}")

    with django_capture_on_commit_callbacks(execute=True):
        post(alice, public_room, "@bob and @alice")

    [(_event_type, frame)] = listener.frames()
    assert frame["message"]["mentions"] == ["bob"]


def test_a_message_without_mentions_carries_an_empty_list(public_room: Room, alice: User) -> None:
    message = post(alice, public_room, "nobody here")

    assert protocol.message_payload(message, "general")["mentions"] == []


# Editing and deleting ----------------------------------------------------------------------


def test_an_edit_replaces_the_mentions(
    public_room: Room,
    alice: User,
    bob: User,
    carol: User,
    listen: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    MembershipFactory(room=public_room, user=carol)
    message = post(alice, public_room, "@bob hi")
    listener = listen(f"room.{public_room.pk}")

    with django_capture_on_commit_callbacks(execute=True):
        services.message_edit(user=alice, room_slug="general", seq=message.seq, body="@carol hi, not you")

    assert mentioned(message) == {"carol"}
    [(_event_type, frame)] = listener.frames()
    assert (frame["type"], frame["message"]["mentions"]) == ("message_edited", ["carol"])

    services.message_edit(user=alice, room_slug="general", seq=message.seq, body="@carol and @bob")
    assert mentioned(message) == {"bob", "carol"}

    services.message_edit(user=alice, room_slug="general", seq=message.seq, body="no one")
    assert mentioned(message) == set()


def test_a_deleted_message_mentions_no_one(public_room: Room, alice: User, bob: User) -> None:
    message = post(alice, public_room, "@bob secret plan")
    assert summary_of(bob, "general")["mentions"] == 1

    services.message_delete(user=alice, room_slug="general", seq=message.seq)

    assert mentioned(message) == set()
    assert summary_of(bob, "general")["mentions"] == 0
    tombstone = selectors.message_in_room(public_room, message.seq)
    assert tombstone is not None
    assert protocol.message_payload(tombstone, "general")["mentions"] == []


# Counting -----------------------------------------------------------------------------------


def test_a_summary_counts_the_unread_messages_that_mention_the_user(
    public_room: Room, alice: User, bob: User
) -> None:
    first = post(alice, public_room, "@bob one")
    post(alice, public_room, "not you")
    post(alice, public_room, "@bob two, @BOB again")  # one message, one mention

    summary = summary_of(bob, "general")
    assert (summary["unread"], summary["mentions"]) == (3, 2)
    # The author is never counted, and neither is anyone who was not mentioned.
    assert summary_of(alice, "general")["mentions"] == 0

    services.read_mark(user=bob, room_slug="general", seq=first.seq)
    assert summary_of(bob, "general")["mentions"] == 1

    services.read_mark(user=bob, room_slug="general", seq=public_room.last_seq + 10)
    assert summary_of(bob, "general")["mentions"] == 0


def test_counts_are_per_room_and_per_user(
    public_room: Room, private_room: Room, alice: User, bob: User, carol: User
) -> None:
    MembershipFactory(room=public_room, user=carol)
    post(alice, public_room, "@bob @carol")
    post(alice, private_room, "@bob")
    post(alice, private_room, "@bob again")

    assert [(s["slug"], s["mentions"]) for s in selectors.room_summaries_for_user(bob)] == [
        ("general", 1),
        ("secret", 2),
    ]
    assert [(s["slug"], s["mentions"]) for s in selectors.room_summaries_for_user(carol)] == [("general", 1)]
    found = selectors.room_summaries_for_users([bob.pk, carol.pk])
    assert [summary["mentions"] for _room_id, summary in found[carol.pk]] == [1]


def test_the_summary_of_one_room_counts_mentions_too(public_room: Room, alice: User, bob: User) -> None:
    post(alice, public_room, "@bob")

    membership = selectors.membership_for(bob, public_room)
    public_room.refresh_from_db()
    assert selectors.room_summary_for(bob, public_room, membership)["mentions"] == 1
    # A public room's preview (not a member) counts nothing.
    assert selectors.room_summary_for(bob, public_room, None)["mentions"] == 0


def test_a_renamed_room_keeps_each_members_count(
    public_room: Room, alice: User, bob: User, listen: Any, django_capture_on_commit_callbacks: Any
) -> None:
    post(alice, public_room, "@bob")
    listener = listen(f"user.{bob.pk}", f"room.{public_room.pk}")

    with django_capture_on_commit_callbacks(execute=True):
        services.room_update(actor=alice, room=public_room, name="Town square")

    updates = [frame for _type, frame in listener.frames() if frame.get("type") == "room_updated"]
    assert updates
    assert {frame["room"]["mentions"] for frame in updates if frame["room"]["last_read_seq"] == 0} == {1}


@pytest.mark.parametrize("rooms", [3, 9])
def test_summaries_with_unread_mentions_cost_three_queries_however_many_rooms(
    rooms: int, alice: User, bob: User, django_assert_num_queries: Any
) -> None:
    for n in range(rooms):
        room = RoomFactory(name=f"Room {n}", slug=f"room-{n}", created_by=alice)
        MembershipFactory(room=room, user=bob)
        post(alice, room, "@bob look")
    services.direct_room_open(user=alice, other=bob)

    # The memberships with their rooms, the mention counts (one aggregate), the
    # members of the direct conversations.
    with django_assert_num_queries(3):
        summaries = selectors.room_summaries_for_user(bob)

    assert [s["mentions"] for s in summaries] == [1] * rooms + [0]


def test_a_history_page_reads_its_mentions_in_one_query(
    public_room: Room, alice: User, bob: User, django_assert_num_queries: Any
) -> None:
    for n in range(6):
        post(alice, public_room, "@bob hello" if n % 2 else "hello")

    # The room, the membership, the page, and one query for the mentions of the page.
    with django_assert_num_queries(4):
        frame = selectors.history_for(bob, "general", before_seq=None, after_seq=None, limit=50)

    assert [m["mentions"] for m in frame["messages"]] == [[], ["bob"]] * 3


# The mentions page -------------------------------------------------------------------------


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def listed(response: Any) -> list[tuple[str, int]]:
    """(room slug, seq) of each mention shown on the page, in order."""
    assert response.status_code == 200
    html = response.content.decode()
    return [
        (slug, int(seq))
        for seq, slug in re.findall(
            r'data-seq="(\d+)" data-room="([\w-]+)" data-testid="mention-result"', html
        )
    ]


def test_the_mentions_page_lists_mentions_newest_first_and_links_to_each(
    public_room: Room, private_room: Room, alice: User, bob: User
) -> None:
    first = post(alice, public_room, "@bob first")
    post(alice, public_room, "not you")
    second = post(alice, private_room, "@bob second")

    response = client_for(bob).get(reverse("chat:mentions"))

    assert listed(response) == [("secret", second.seq), ("general", first.seq)]
    html = response.content.decode()
    assert f'href="/r/general/?seq={first.seq}"' in html
    assert "<mark>@bob</mark> first" in html


def test_the_mentions_page_leaves_out_rooms_the_user_left_unless_public(
    public_room: Room, private_room: Room, alice: User, bob: User
) -> None:
    post(alice, public_room, "@bob in public")
    post(alice, private_room, "@bob in private")
    services.room_leave(user=bob, room_slug="secret")
    membership = Membership.objects.get(room=public_room, user=bob)
    services.membership_remove(actor=alice, membership=membership)

    response = client_for(bob).get(reverse("chat:mentions"))

    # Removed from a public room: it can still be read, so its mentions stay.
    assert [slug for slug, _seq in listed(response)] == ["general"]
    assert "in private" not in response.content.decode()


def test_the_mentions_page_shows_nothing_of_deleted_messages_or_others_mentions(
    public_room: Room, alice: User, bob: User, carol: User
) -> None:
    MembershipFactory(room=public_room, user=carol)
    gone = post(alice, public_room, "@bob gone soon")
    post(alice, public_room, "@carol only")
    services.message_delete(user=alice, room_slug="general", seq=gone.seq)

    response = client_for(bob).get(reverse("chat:mentions"))

    assert listed(response) == []
    assert 'data-testid="mentions-none"' in response.content.decode()


def test_the_mentions_page_is_paged(public_room: Room, alice: User, bob: User) -> None:
    sent = [post(alice, public_room, f"@bob number {n}") for n in range(3)]

    page = selectors.mentions_of(bob, page=1, per_page=2)
    assert ([r.message.seq for r in page.results], page.has_previous, page.has_next) == (
        [sent[2].seq, sent[1].seq],
        False,
        True,
    )
    page = selectors.mentions_of(bob, page=2, per_page=2)
    assert ([r.message.seq for r in page.results], page.has_previous, page.has_next) == (
        [sent[0].seq],
        True,
        False,
    )
    assert client_for(bob).get(reverse("chat:mentions"), {"page": "0"}).status_code == 404
    assert client_for(bob).get(reverse("chat:mentions"), {"page": "x"}).status_code == 404


def test_the_mentions_page_needs_a_sign_in() -> None:
    response = Client().get(reverse("chat:mentions"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))

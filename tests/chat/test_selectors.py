"""chat.selectors: the shared reads, their paging, and how many queries the hot ones cost."""

from __future__ import annotations

import pytest

from accounts.models import User
from chat import selectors, services
from chat.exceptions import NotFound
from chat.models import Membership, Room
from tests.factories import MessageFactory, RoomFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ten_messages(public_room: Room, alice: User, bob: User) -> Room:
    """Seqs 1..10 in #general by five different authors (so N+1 on authors would show)."""
    authors = [alice, bob, *(UserFactory() for _ in range(3))]
    for n in range(10):
        MessageFactory(room=public_room, author=authors[n % len(authors)])
    return public_room


def page_seqs(room: Room, **kwargs: object) -> tuple[list[int], bool]:
    kwargs = {"before_seq": None, "after_seq": None, "limit": 50, **kwargs}
    page, has_more = selectors.message_page(room, **kwargs)
    return [message.seq for message in page], has_more


@pytest.mark.parametrize(
    ("bounds", "expected"),
    [
        ({}, (list(range(1, 11)), False)),
        ({"limit": 3}, ([8, 9, 10], True)),
        ({"limit": 10}, (list(range(1, 11)), False)),
        ({"before_seq": 5, "limit": 3}, ([2, 3, 4], True)),
        ({"before_seq": 4, "limit": 3}, ([1, 2, 3], False)),
        ({"after_seq": 5, "limit": 3}, ([6, 7, 8], True)),
        ({"after_seq": 7, "limit": 3}, ([8, 9, 10], False)),
        ({"after_seq": 10}, ([], False)),
        ({"after_seq": 2, "before_seq": 6}, ([3, 4, 5], False)),
        ({"after_seq": 2, "before_seq": 9, "limit": 2}, ([3, 4], True)),
    ],
)
def test_message_page(ten_messages: Room, bounds: dict, expected: tuple[list[int], bool]) -> None:
    assert page_seqs(ten_messages, **bounds) == expected


def test_message_page_includes_tombstones(ten_messages: Room, bob: User) -> None:
    services.message_delete(user=bob, room_slug="general", seq=2)

    page, _has_more = selectors.message_page(ten_messages, before_seq=4, after_seq=None, limit=50)

    assert [(m.seq, m.is_deleted) for m in page] == [(1, False), (2, True), (3, False)]


def test_message_page_costs_one_query(ten_messages: Room, django_assert_num_queries) -> None:
    with django_assert_num_queries(1):
        page, _has_more = selectors.message_page(ten_messages, before_seq=None, after_seq=None, limit=50)
        authors = {message.author.username for message in page}

    assert len(authors) == 5


def test_history_for_costs_three_queries(ten_messages: Room, bob: User, django_assert_num_queries) -> None:
    # The room, the membership, the page with its authors; never one per message.
    with django_assert_num_queries(3):
        frame = selectors.history_for(bob, "general", before_seq=None, after_seq=None, limit=50)

    assert frame["type"] == "history"
    assert frame["room"] == "general"
    assert frame["has_more"] is False
    assert [m["seq"] for m in frame["messages"]] == list(range(1, 11))
    assert frame["messages"][0]["author"] == {"username": "alice", "display_name": "Alice"}


def test_history_of_a_private_room_is_not_found_to_a_non_member(private_room: Room, carol: User) -> None:
    MessageFactory(room=private_room, body="hidden")

    with pytest.raises(NotFound):
        selectors.history_for(carol, "secret", before_seq=None, after_seq=None, limit=50)


def test_a_public_room_history_is_readable_before_joining(ten_messages: Room, carol: User) -> None:
    frame = selectors.history_for(carol, "general", before_seq=None, after_seq=None, limit=2)

    assert ([m["seq"] for m in frame["messages"]], frame["has_more"]) == ([9, 10], True)


def test_room_summaries_for_user_cost_two_queries_however_many_rooms(
    alice: User, bob: User, django_assert_num_queries
) -> None:
    for n in range(4):
        RoomFactory(name=f"Room {n}", created_by=alice, is_private=n % 2 == 0)
    for other in UserFactory.create_batch(3):
        services.direct_room_open(user=alice, other=other)

    with django_assert_num_queries(2):
        summaries = selectors.room_summaries_for_user(alice)

    assert len(summaries) == 7
    # Rooms first, by name; then direct conversations, named after the other person.
    assert [s["direct"] for s in summaries] == [False] * 4 + [True] * 3
    assert [s["name"] for s in summaries[:4]] == ["Room 0", "Room 1", "Room 2", "Room 3"]


def test_room_summaries_without_direct_rooms_cost_one_query(
    public_room: Room, private_room: Room, bob: User, django_assert_num_queries
) -> None:
    with django_assert_num_queries(1):
        summaries = selectors.room_summaries_for_user(bob)

    assert [s["slug"] for s in summaries] == ["general", "secret"]


def test_a_room_summary_counts_unread_messages(public_room: Room, alice: User, bob: User) -> None:
    for _ in range(3):
        MessageFactory(room=public_room, author=alice)
    services.read_mark(user=bob, room_slug="general", seq=1)

    [summary] = [s for s in selectors.room_summaries_for_user(bob) if s["slug"] == "general"]

    assert summary == {
        "slug": "general",
        "name": "General",
        "topic": "",
        "private": False,
        "direct": False,
        "archived": False,
        "role": "member",
        "last_seq": 3,
        "last_rev": 0,
        "last_read_seq": 1,
        "unread": 2,
        "mentions": 0,
        "muted": False,
        "thread_unread": 0,
        "can": ["delete", "edit", "join", "leave", "mute", "react", "send", "upload"],
    }


def test_a_direct_room_summary_is_named_after_the_other_person(alice: User, bob: User) -> None:
    room = services.direct_room_open(user=alice, other=bob)

    summary = selectors.room_summary_for(alice, room, selectors.membership_for(alice, room))

    assert (summary["name"], summary["private"], summary["direct"]) == ("Bob", True, True)


def test_public_rooms_to_join(public_room: Room, private_room: Room, alice: User, carol: User) -> None:
    RoomFactory(name="Archive", created_by=alice, is_archived=True)
    RoomFactory(name="Random", slug="random", created_by=alice)

    assert [r["slug"] for r in selectors.public_rooms_to_join(carol)] == ["general", "random"]
    assert selectors.public_rooms_to_join(alice) == []


@pytest.mark.parametrize(
    ("user_name", "slug", "found"),
    [
        ("bob", "secret", True),
        ("carol", "secret", False),
        ("carol", "general", True),
        ("carol", "nowhere", False),
    ],
)
def test_room_access(
    public_room: Room, private_room: Room, bob: User, carol: User, user_name: str, slug: str, found: bool
) -> None:
    user = {"bob": bob, "carol": carol}[user_name]

    if found:
        room, membership = selectors.room_access(user, slug)
        assert room.slug == slug
        assert (membership is not None) is Membership.objects.filter(room=room, user=user).exists()
    else:
        with pytest.raises(NotFound):
            selectors.room_access(user, slug)


def test_room_members_are_listed_by_username(public_room: Room, django_assert_num_queries) -> None:
    UserFactory(username="zed", display_name="", is_bot=True)
    services.membership_add(
        actor=public_room.created_by, room=public_room, user=User.objects.get(username="zed")
    )

    with django_assert_num_queries(1):
        members = selectors.room_member_list(public_room)

    assert members == [
        {"username": "alice", "name": "Alice", "bot": False, "admin": True},
        {"username": "bob", "name": "Bob", "bot": False, "admin": False},
        {"username": "zed", "name": "zed", "bot": True, "admin": False},
    ]


def test_room_webhooks_listed_are_those_not_revoked(public_room: Room, alice: User) -> None:
    kept = services.webhook_create(actor=alice, room=public_room, name="Deploys")[0]
    revoked = services.webhook_create(actor=alice, room=public_room, name="Alerts")[0]
    services.webhook_revoke(actor=alice, webhook=revoked)

    assert selectors.room_webhook_list(public_room) == [{"pk": kept.pk, "name": "Deploys"}]


@pytest.mark.parametrize(("is_active", "found"), [(True, True), (False, False)])
def test_active_user_by_username(is_active: bool, found: bool) -> None:
    UserFactory(username="dave", is_active=is_active)

    if found:
        assert selectors.active_user_by_username("dave").username == "dave"
    else:
        with pytest.raises(NotFound):
            selectors.active_user_by_username("dave")

"""Reactions: services, permissions, what payloads carry, and catching up on changes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from asgiref.sync import sync_to_async

from accounts.models import User
from chat import selectors, services
from chat.exceptions import Archived, BadRequest, NotFound
from chat.models import Message, Reaction, Room
from chat.services.reactions import MAX_KINDS, check_emoji
from tests.chat.conftest import EventListener
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

Listen = Callable[..., EventListener]
THUMBS, HEART, PARTY = "\U0001f44d", "\u2764\ufe0f", "\U0001f389"


def post(user: User, body: str = "hello", room: str = "general") -> Message:
    return services.message_create(
        user=user, room_slug=room, body=body, client_id=f"{user.pk}-{room}-{body}"
    ).message


@pytest.mark.parametrize(
    "emoji",
    [
        THUMBS,
        "\U0001f44d\U0001f3fd",  # with a skin tone
        "\U0001f468\u200d\U0001f469\u200d\U0001f467",  # a family, joined
        "\U0001f1eb\U0001f1f7",  # a flag
        "1\ufe0f\u20e3",  # a keycap
        HEART,
        "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",  # England's flag (tags)
    ],
)
def test_an_emoji_is_a_reaction(emoji: str) -> None:
    assert check_emoji(emoji) == emoji


@pytest.mark.parametrize(
    "text",
    [
        "",
        "a",
        "ok",
        "+1",
        ":tada:",
        f"{THUMBS} ",
        f"{THUMBS}a",
        "<b>",
        "\u200d",
        "\ufe0f",
        "1",
        THUMBS * 17,
        "\x07",
    ],
)
def test_anything_else_is_not(text: str) -> None:
    with pytest.raises(BadRequest):
        check_emoji(text)


def test_reactions_are_summed_per_emoji_in_the_order_they_came(
    public_room: Room, alice: User, bob: User
) -> None:
    message = post(alice)
    services.reaction_add(user=bob, room_slug="general", seq=message.seq, emoji=THUMBS)
    services.reaction_add(user=alice, room_slug="general", seq=message.seq, emoji=PARTY)
    summary = services.reaction_add(user=alice, room_slug="general", seq=message.seq, emoji=THUMBS)
    expected = [
        {"emoji": THUMBS, "count": 2, "users": ["bob", "alice"]},
        {"emoji": PARTY, "count": 1, "users": ["alice"]},
    ]
    assert summary == expected
    message.refresh_from_db()
    assert message.reactions == expected
    assert Reaction.objects.filter(message=message).count() == 3

    # The same emoji again changes nothing; taking one back does.
    assert services.reaction_add(user=bob, room_slug="general", seq=message.seq, emoji=THUMBS) == expected
    summary = services.reaction_remove(user=bob, room_slug="general", seq=message.seq, emoji=THUMBS)
    # In the order of the reactions that remain: alice's party came before her thumbs.
    assert summary == [
        {"emoji": PARTY, "count": 1, "users": ["alice"]},
        {"emoji": THUMBS, "count": 1, "users": ["alice"]},
    ]
    summary = services.reaction_remove(user=alice, room_slug="general", seq=message.seq, emoji=PARTY)
    assert summary == [{"emoji": THUMBS, "count": 1, "users": ["alice"]}]
    assert services.reaction_remove(user=alice, room_slug="general", seq=message.seq, emoji=PARTY) == summary


def test_each_change_is_published_with_the_whole_summary_and_takes_a_rev(
    public_room: Room, alice: User, bob: User, listen: Listen, django_capture_on_commit_callbacks
) -> None:
    message = post(alice)
    listener = listen(f"room.{public_room.pk}")
    with django_capture_on_commit_callbacks(execute=True):
        services.reaction_add(user=bob, room_slug="general", seq=message.seq, emoji=THUMBS)
        services.reaction_add(user=bob, room_slug="general", seq=message.seq, emoji=THUMBS)  # no change
        services.reaction_add(user=alice, room_slug="general", seq=message.seq, emoji=THUMBS)
    frames = [frame for _op, frame in listener.frames()]
    assert frames == [
        {"type": "reactions_changed", "room": "general", "seq": message.seq, "reactions": reactions}
        for reactions in (
            [{"emoji": THUMBS, "count": 1, "users": ["bob"]}],
            [{"emoji": THUMBS, "count": 2, "users": ["bob", "alice"]}],
        )
    ]
    message.refresh_from_db()
    public_room.refresh_from_db()
    assert message.rev == public_room.last_rev == 2


def test_only_members_react_and_never_to_a_tombstone(
    public_room: Room, private_room: Room, alice: User, bob: User, carol: User
) -> None:
    message = post(alice)
    secret = post(alice, room="secret")
    with pytest.raises(NotFound):  # public room, but carol is not a member
        services.reaction_add(user=carol, room_slug="general", seq=message.seq, emoji=THUMBS)
    with pytest.raises(NotFound):
        services.reaction_add(user=carol, room_slug="secret", seq=secret.seq, emoji=THUMBS)
    with pytest.raises(NotFound):
        services.reaction_add(user=bob, room_slug="general", seq=999, emoji=THUMBS)

    services.room_leave(user=bob, room_slug="general")
    with pytest.raises(NotFound):  # a member who left is a non-member
        services.reaction_add(user=bob, room_slug="general", seq=message.seq, emoji=THUMBS)

    services.reaction_add(user=alice, room_slug="general", seq=message.seq, emoji=THUMBS)
    services.message_delete(user=alice, room_slug="general", seq=message.seq)
    with pytest.raises(NotFound):
        services.reaction_add(user=alice, room_slug="general", seq=message.seq, emoji=PARTY)
    message.refresh_from_db()
    assert message.reactions == []
    assert not Reaction.objects.filter(message=message).exists()

    services.room_archive(actor=alice, room=private_room)
    with pytest.raises(Archived):
        services.reaction_add(user=bob, room_slug="secret", seq=secret.seq, emoji=THUMBS)
    assert not Reaction.objects.filter(message=secret).exists()


def test_a_removed_member_cannot_react(private_room: Room, alice: User, bob: User) -> None:
    message = post(alice, room="secret")
    membership = selectors.membership_for(bob, private_room)
    services.membership_remove(actor=alice, membership=membership)
    with pytest.raises(NotFound):
        services.reaction_add(user=bob, room_slug="secret", seq=message.seq, emoji=THUMBS)


def test_a_message_takes_a_bounded_number_of_different_emoji(public_room: Room, alice: User) -> None:
    message = post(alice)
    kinds = [chr(0x1F600 + n) for n in range(MAX_KINDS)]
    for emoji in kinds:
        services.reaction_add(user=alice, room_slug="general", seq=message.seq, emoji=emoji)
    with pytest.raises(BadRequest):
        services.reaction_add(user=alice, room_slug="general", seq=message.seq, emoji="\U0001f680")
    # One already there may still be added to by someone else.
    other = UserFactory()
    MembershipFactory(room=public_room, user=other)
    summary = services.reaction_add(user=other, room_slug="general", seq=message.seq, emoji=kinds[0])
    assert summary[0]["count"] == 2


def test_history_and_live_payloads_carry_reactions(public_room: Room, alice: User, bob: User) -> None:
    message = post(alice)
    services.reaction_add(user=bob, room_slug="general", seq=message.seq, emoji=THUMBS)
    page = selectors.history_for(bob, "general", before_seq=None, after_seq=None, limit=10)
    [payload] = [m for m in page["messages"] if m["seq"] == message.seq]
    assert payload["reactions"] == [{"emoji": THUMBS, "count": 1, "users": ["bob"]}]
    fresh = post(bob, "new one")
    page = selectors.history_for(bob, "general", before_seq=None, after_seq=fresh.seq - 1, limit=10)
    assert page["messages"][0]["reactions"] == []


def test_changes_bring_what_was_edited_deleted_or_reacted_to_after_a_rev(
    public_room: Room, private_room: Room, alice: User, bob: User, carol: User
) -> None:
    first, second, third = post(alice, "one"), post(alice, "two"), post(alice, "three")
    public_room.refresh_from_db()
    assert public_room.last_rev == 0
    services.reaction_add(user=bob, room_slug="general", seq=first.seq, emoji=THUMBS)  # rev 1
    services.message_edit(user=alice, room_slug="general", seq=second.seq, body="two, edited")  # rev 2
    services.reaction_add(user=bob, room_slug="general", seq=first.seq, emoji=PARTY)  # rev 3
    services.message_delete(user=alice, room_slug="general", seq=third.seq)  # rev 4

    frame = selectors.changes_for(bob, "general", after_rev=0, limit=100)
    assert frame["type"] == "changes"
    assert [m["seq"] for m in frame["messages"]] == [second.seq, first.seq, third.seq]  # by last change
    assert frame["messages"][0]["body"] == "two, edited"
    assert len(frame["messages"][1]["reactions"]) == 2
    assert frame["messages"][2]["deleted"] is True
    assert (frame["rev"], frame["has_more"]) == (4, False)

    paged = selectors.changes_for(bob, "general", after_rev=0, limit=2)
    assert ([m["seq"] for m in paged["messages"]], paged["rev"], paged["has_more"]) == (
        [second.seq, first.seq],
        3,
        True,
    )
    rest = selectors.changes_for(bob, "general", after_rev=paged["rev"], limit=2)
    assert ([m["seq"] for m in rest["messages"]], rest["rev"], rest["has_more"]) == ([third.seq], 4, False)
    assert selectors.changes_for(bob, "general", after_rev=4, limit=2)["messages"] == []

    with pytest.raises(NotFound):
        selectors.changes_for(carol, "secret", after_rev=0, limit=10)
    public_room.refresh_from_db()
    summary = selectors.room_summary_for(bob, public_room, selectors.membership_for(bob, public_room))
    assert summary["last_rev"] == 4


@pytest.mark.django_db(transaction=True)
async def test_a_reaction_reaches_the_room_and_changes_catch_up_a_socket(connect, alice, bob, public_room):
    message = await sync_to_async(post)(alice)
    alice_socket, _ = await connect(alice)
    bob_socket, hello = await connect(bob)
    [summary] = hello["rooms"]
    assert summary["last_rev"] == 0
    assert "react" in summary["can"]

    await bob_socket.send_json_to({"type": "react", "room": "general", "seq": message.seq, "emoji": THUMBS})
    for socket in (alice_socket, bob_socket):
        frame = await socket.receive_json_from(timeout=3)
        assert frame == {
            "type": "reactions_changed",
            "room": "general",
            "seq": message.seq,
            "reactions": [{"emoji": THUMBS, "count": 1, "users": ["bob"]}],
        }

    await bob_socket.send_json_to({"type": "react", "room": "general", "seq": message.seq, "emoji": "yes"})
    error = await bob_socket.receive_json_from(timeout=3)
    assert (error["type"], error["code"]) == ("error", "bad_request")

    await alice_socket.send_json_to({"type": "changes", "room": "general", "after_rev": 0})
    frame = await alice_socket.receive_json_from(timeout=3)
    assert (frame["type"], frame["rev"], frame["has_more"]) == ("changes", 1, False)
    assert frame["messages"][0]["reactions"][0]["users"] == ["bob"]

    await bob_socket.send_json_to({"type": "unreact", "room": "general", "seq": message.seq, "emoji": THUMBS})
    frame = await alice_socket.receive_json_from(timeout=3)
    assert frame["reactions"] == []


def test_a_deleted_user_s_reactions_leave_the_summary(
    public_room: Room, alice: User, bob: User, listen: Listen, django_capture_on_commit_callbacks
) -> None:
    message = post(alice)
    services.reaction_add(user=bob, room_slug="general", seq=message.seq, emoji=THUMBS)
    services.reaction_add(user=alice, room_slug="general", seq=message.seq, emoji=THUMBS)
    listener = listen(f"room.{public_room.pk}")
    with django_capture_on_commit_callbacks(execute=True):
        bob.delete()
    message.refresh_from_db()
    assert message.reactions == [{"emoji": THUMBS, "count": 1, "users": ["alice"]}]
    changed = [frame for _op, frame in listener.frames() if frame["type"] == "reactions_changed"]
    assert changed[-1]["reactions"] == message.reactions

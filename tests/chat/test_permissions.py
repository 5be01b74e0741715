"""chat.permissions: each rule, allowed and denied from the same setup."""

from __future__ import annotations

import pytest

from accounts.models import User
from chat import permissions
from chat.exceptions import ChatError
from chat.models import Membership, Room
from chat.selectors import membership_for
from tests.factories import MessageFactory, RoomFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def error_code(call, *args) -> str | None:
    """The protocol error code ``call`` raises, or None if it allows."""
    try:
        call(*args)
    except ChatError as error:
        return error.code
    return None


# Seeing a room -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("is_private", "member", "visible"),
    [
        (False, False, True),
        (False, True, True),
        (True, True, True),
        (True, False, False),
    ],
)
def test_a_private_room_is_seen_only_by_its_members(
    alice: User, carol: User, is_private: bool, member: bool, visible: bool
) -> None:
    room = RoomFactory(created_by=alice, is_private=is_private)
    user = alice if member else carol
    membership = membership_for(user, room)

    assert permissions.can_see_room(room, membership) is visible
    assert error_code(permissions.check_can_see_room, room, membership) == (None if visible else "not_found")


def test_a_missing_room_is_not_found() -> None:
    assert error_code(permissions.check_can_see_room, None, None) == "not_found"


@pytest.mark.parametrize(("staff", "code"), [(True, None), (False, "not_found")])
def test_a_site_moderator_reaches_a_private_room_they_are_not_in(
    private_room: Room, staff: bool, code: str | None
) -> None:
    user = StaffFactory() if staff else UserFactory()
    assert error_code(permissions.check_can_reach_room, user, private_room, None) == code


# Posting -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_name", "is_private", "is_archived", "code"),
    [
        ("bob", False, False, None),
        ("bob", True, False, None),
        ("carol", False, False, "forbidden"),
        ("carol", True, False, "not_found"),
        ("bob", False, True, "archived"),
        ("carol", True, True, "not_found"),
    ],
)
def test_posting_needs_membership_and_an_active_room(
    alice: User,
    bob: User,
    carol: User,
    user_name: str,
    is_private: bool,
    is_archived: bool,
    code: str | None,
) -> None:
    room = RoomFactory(created_by=alice, is_private=is_private, is_archived=is_archived)
    Membership.objects.create(room=room, user=bob)
    user = {"bob": bob, "carol": carol}[user_name]

    assert error_code(permissions.check_can_post, room, membership_for(user, room)) == code


# Editing and deleting messages ---------------------------------------------------------


@pytest.mark.parametrize(("editor_name", "code"), [("bob", None), ("alice", "forbidden")])
def test_only_the_author_edits_a_message(
    public_room: Room, alice: User, bob: User, editor_name: str, code: str | None
) -> None:
    message = MessageFactory(room=public_room, author=bob)
    editor = {"alice": alice, "bob": bob}[editor_name]

    assert error_code(permissions.check_can_edit_message, editor, message) == code


def test_a_deleted_or_missing_message_cannot_be_edited(public_room: Room, bob: User) -> None:
    message = MessageFactory(room=public_room, author=bob)
    message.deleted_at = message.created_at

    assert error_code(permissions.check_can_edit_message, bob, message) == "not_found"
    assert error_code(permissions.check_can_edit_message, bob, None) == "not_found"


@pytest.mark.parametrize(
    ("deleter", "allowed"),
    [
        ("author", True),
        ("other_member", False),
        ("room_admin", True),
        ("moderator", True),
        ("staff_without_permission", False),
        ("non_staff_with_permission", False),
    ],
)
def test_who_may_delete_a_message(
    public_room: Room, alice: User, bob: User, deleter: str, allowed: bool
) -> None:
    message = MessageFactory(room=public_room, author=bob)
    users = {
        "author": lambda: bob,
        "other_member": lambda: Membership.objects.create(room=public_room, user=UserFactory()).user,
        "room_admin": lambda: alice,
        "moderator": lambda: StaffFactory(),
        "staff_without_permission": lambda: StaffFactory(chat_permissions=["change_room"]),
        "non_staff_with_permission": lambda: StaffFactory(is_staff=False),
    }
    user = User.objects.get(pk=users[deleter]().pk)  # fresh, so no stale permission cache
    membership = membership_for(user, public_room)

    assert permissions.can_delete_message(user, message, membership) is allowed
    assert error_code(permissions.check_can_delete_message, user, public_room, message, membership) == (
        None if allowed else "forbidden"
    )


def test_an_author_who_left_the_room_cannot_delete_their_message(public_room: Room, bob: User) -> None:
    message = MessageFactory(room=public_room, author=bob)
    Membership.objects.filter(room=public_room, user=bob).delete()

    assert error_code(permissions.check_can_delete_message, bob, public_room, message, None) == "forbidden"


def test_in_an_archived_room_only_moderators_delete(public_room: Room, alice: User, bob: User) -> None:
    message = MessageFactory(room=public_room, author=bob)
    public_room.is_archived = True
    moderator = User.objects.get(pk=StaffFactory().pk)

    assert error_code(
        permissions.check_can_delete_message, bob, public_room, message, membership_for(bob, public_room)
    ) == ("archived")
    assert error_code(
        permissions.check_can_delete_message, alice, public_room, message, membership_for(alice, public_room)
    ) == ("archived")
    assert error_code(permissions.check_can_delete_message, moderator, public_room, message, None) is None


def test_deleting_a_missing_message_is_not_found(public_room: Room, bob: User) -> None:
    assert error_code(
        permissions.check_can_delete_message, bob, public_room, None, membership_for(bob, public_room)
    ) == ("not_found")


# Joining and leaving -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("is_private", "is_archived", "code"),
    [
        (False, False, None),
        (True, False, "not_found"),
        (False, True, "archived"),
    ],
)
def test_only_active_public_rooms_can_be_joined(
    alice: User, carol: User, is_private: bool, is_archived: bool, code: str | None
) -> None:
    room = RoomFactory(created_by=alice, is_private=is_private, is_archived=is_archived)

    assert error_code(permissions.check_can_join, room, membership_for(carol, room)) == code


def test_a_private_room_is_joined_by_invitation_only(private_room: Room, bob: User) -> None:
    # bob sees the private room (he is in it) but joining is not how one gets in.
    assert (
        error_code(permissions.check_can_join, private_room, membership_for(bob, private_room)) == "forbidden"
    )


@pytest.mark.parametrize(
    ("user_name", "code"),
    [("bob", None), ("carol", "forbidden")],
)
def test_leaving_needs_membership(
    public_room: Room, bob: User, carol: User, user_name: str, code: str | None
) -> None:
    user = {"bob": bob, "carol": carol}[user_name]
    assert error_code(permissions.check_can_leave, public_room, membership_for(user, public_room)) == code


def test_a_direct_conversation_cannot_be_left(alice: User, bob: User) -> None:
    from chat import services

    room = services.direct_room_open(user=alice, other=bob)

    assert error_code(permissions.check_can_leave, room, membership_for(alice, room)) == "forbidden"


def test_a_private_room_a_user_is_not_in_cannot_be_left_but_is_not_found(
    private_room: Room, carol: User
) -> None:
    assert error_code(permissions.check_can_leave, private_room, None) == "not_found"


# Managing rooms and members ------------------------------------------------------------

MANAGERS = [
    ("room_admin", True),
    ("member", False),
    ("outsider", False),
    ("staff_with_permission", True),
    ("staff_without_permission", False),
    ("non_staff_with_permission", False),
    ("inactive_staff_with_permission", False),
]


def _manager(kind: str, room: Room, permission: str) -> User:
    if kind == "room_admin":
        user = room.created_by
    elif kind == "member":
        user = Membership.objects.create(room=room, user=UserFactory()).user
    elif kind == "outsider":
        user = UserFactory()
    elif kind == "staff_with_permission":
        user = StaffFactory(chat_permissions=[permission])
    elif kind == "staff_without_permission":
        user = StaffFactory(chat_permissions=["view_room"])
    elif kind == "non_staff_with_permission":
        user = StaffFactory(is_staff=False, chat_permissions=[permission])
    else:
        user = StaffFactory(is_active=False, chat_permissions=[permission])
    return User.objects.get(pk=user.pk)


@pytest.mark.parametrize(("kind", "allowed"), MANAGERS)
def test_who_may_manage_a_room(alice: User, kind: str, allowed: bool) -> None:
    room = RoomFactory(created_by=alice)
    user = _manager(kind, room, "change_room")
    membership = membership_for(user, room)

    assert permissions.can_manage_room(user, room, membership) is allowed
    assert error_code(permissions.check_can_manage_room, user, room, membership) == (
        None if allowed else "forbidden"
    )


@pytest.mark.parametrize(("kind", "allowed"), MANAGERS)
def test_who_may_manage_members(alice: User, kind: str, allowed: bool) -> None:
    room = RoomFactory(created_by=alice)
    user = _manager(kind, room, "change_membership")
    membership = membership_for(user, room)

    assert permissions.can_manage_members(user, room, membership) is allowed
    assert error_code(permissions.check_can_manage_members, user, room, membership) == (
        None if allowed else "forbidden"
    )


@pytest.mark.parametrize("is_direct", [False, True])
def test_nobody_manages_the_members_of_a_direct_conversation(alice: User, bob: User, is_direct: bool) -> None:
    room = RoomFactory(created_by=alice, is_private=True)
    Room.objects.filter(pk=room.pk).update(is_direct=is_direct)
    room.refresh_from_db()
    staff = StaffFactory()

    for user in (alice, staff):
        assert permissions.can_manage_members(user, room, membership_for(user, room)) is not is_direct


@pytest.mark.parametrize(("permission", "moderator"), [("delete_message", True), ("change_room", False)])
def test_a_moderator_is_staff_with_the_delete_message_permission(permission: str, moderator: bool) -> None:
    user = User.objects.get(pk=StaffFactory(chat_permissions=[permission]).pk)
    assert permissions.is_moderator(user) is moderator


# What a room summary says the user may do (its ``can``) --------------------------


@pytest.mark.parametrize(
    ("is_private", "is_archived", "role", "expected"),
    [
        (False, False, None, ["join"]),
        (True, False, None, []),
        (False, False, "member", ["delete", "edit", "join", "leave", "mute", "react", "send", "upload"]),
        (True, False, "member", ["delete", "edit", "leave", "mute", "react", "send", "upload"]),
        (
            False,
            False,
            "admin",
            [
                "delete",
                "delete_others",
                "edit",
                "join",
                "leave",
                "manage_members",
                "manage_room",
                "mute",
                "react",
                "send",
                "upload",
            ],
        ),
        (False, True, "member", ["leave", "mute"]),
        (False, True, "admin", ["leave", "manage_members", "manage_room", "mute"]),
        (True, True, None, []),
    ],
)
def test_a_room_summary_lists_what_its_user_may_do(is_private, is_archived, role, expected) -> None:
    room = RoomFactory(is_private=is_private, is_archived=is_archived)
    membership = None
    if role is not None:
        membership = Membership.objects.create(room=room, user=UserFactory(), role=role)
    assert permissions.room_abilities(room, membership) == expected


def test_in_a_direct_conversation_one_neither_leaves_nor_manages_members() -> None:
    from chat import services

    alice, bob = UserFactory(), UserFactory()
    room = services.direct_room_open(user=alice, other=bob)
    can = permissions.room_abilities(room, membership_for(alice, room))
    assert "leave" not in can
    assert "manage_members" not in can
    assert "join" not in can
    assert {"send", "edit", "delete", "mute", "react"} <= set(can)


@pytest.mark.parametrize(
    ("is_private", "is_archived", "role"),
    [(p, a, r) for p in (False, True) for a in (False, True) for r in (None, "member", "admin")],
)
def test_what_can_lists_is_what_the_checks_allow(is_private, is_archived, role) -> None:
    """``can`` is read off the same checks the services enforce: never an offer the
    server then refuses, never a refusal of what it allows."""
    room = RoomFactory(is_private=is_private, is_archived=is_archived)
    user = UserFactory()
    membership = Membership.objects.create(room=room, user=user, role=role) if role else None
    can = set(permissions.room_abilities(room, membership))
    assert ("send" in can) == (error_code(permissions.check_can_post, room, membership) is None)
    assert ("react" in can) == (error_code(permissions.check_can_react, room, membership) is None)
    assert ("leave" in can) == (error_code(permissions.check_can_leave, room, membership) is None)
    assert ("join" in can) == (error_code(permissions.check_can_join, room, None) is None)
    message = MessageFactory(room=room, author=UserFactory())
    others = error_code(permissions.check_can_delete_message, user, room, message, membership) is None
    assert ("delete_others" in can) == others
    assert ("manage_members" in can) == permissions.can_manage_members(user, room, membership)
    assert ("manage_room" in can) == permissions.can_manage_room(user, room, membership)

"""chat.admin through Django's test client, as a superuser.

Every admin change goes through chat.services, so besides the database state
these tests check that an open socket hears of it at once.
"""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from accounts.models import User
from chat import services
from chat.models import Attachment, Membership, Message, Room
from tests.chat.conftest import Connect
from tests.factories import MessageFactory, RoomFactory, UserFactory, uploaded

db = database_sync_to_async

NO_INLINES = {
    "memberships-TOTAL_FORMS": "0",
    "memberships-INITIAL_FORMS": "0",
    "memberships-MIN_NUM_FORMS": "0",
    "memberships-MAX_NUM_FORMS": "1000",
}


@pytest.fixture
def superuser() -> User:
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(superuser: User) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


def room_form(room: Room, **changes: Any) -> dict[str, Any]:
    """The room's change form as posted, with ``changes``; no inline rows."""
    fields = {
        "name": room.name,
        "topic": room.topic,
        "is_private": room.is_private,
        "is_archived": room.is_archived,
    }
    fields.update(changes)
    # A checkbox is posted only when ticked.
    data = {key: ("on" if value is True else value) for key, value in fields.items() if value is not False}
    return {**data, **NO_INLINES}


def action(client: Client, model: str, name: str, *objects: Any) -> Any:
    return client.post(
        reverse(f"admin:chat_{model}_changelist"),
        {"action": name, "_selected_action": [obj.pk for obj in objects]},
    )


# Rooms ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_a_room(admin_client: Client, superuser: User) -> None:
    response = admin_client.post(
        reverse("admin:chat_room_add"),
        {"name": "Ops", "slug": "ops", "topic": "pager", "is_private": "on", **NO_INLINES},
    )

    assert response.status_code == 302
    room = Room.objects.get(slug="ops")
    assert (room.name, room.topic, room.is_private, room.is_archived) == ("Ops", "pager", True, False)
    assert room.created_by == superuser
    membership = Membership.objects.get(room=room)
    assert (membership.user, membership.role) == (superuser, "admin")


@pytest.mark.django_db
def test_create_a_room_with_a_taken_slug_is_refused(admin_client: Client, public_room: Room) -> None:
    response = admin_client.post(
        reverse("admin:chat_room_add"), {"name": "Other", "slug": "general", **NO_INLINES}
    )

    assert response.status_code == 200  # the form comes back with its error
    assert Room.objects.filter(slug="general").get().name == "General"


@pytest.mark.django_db(transaction=True)
async def test_rename_a_room_reaches_its_members_at_once(
    connect: Connect, admin_client: Client, bob: User, public_room: Room
) -> None:
    ws, _ = await connect(bob)

    response = await sync_to_async(admin_client.post)(
        reverse("admin:chat_room_change", args=[public_room.pk]), room_form(public_room, name="Lobby")
    )

    assert response.status_code == 302
    frame = await ws.receive_json_from()
    assert (frame["type"], frame["room"]["slug"], frame["room"]["name"]) == (
        "room_updated",
        "general",
        "Lobby",
    )
    assert await db(lambda: Room.objects.get(pk=public_room.pk).name)() == "Lobby"


@pytest.mark.django_db(transaction=True)
async def test_archive_and_unarchive_reach_members_at_once(
    connect: Connect, admin_client: Client, bob: User, public_room: Room
) -> None:
    ws, _ = await connect(bob)

    response = await sync_to_async(action)(admin_client, "room", "archive_rooms", public_room)

    assert response.status_code == 302
    frame = await ws.receive_json_from()
    assert (frame["type"], frame["room"]["archived"]) == ("room_updated", True)
    await ws.send_json_to({"type": "send", "room": "general", "body": "hi", "client_id": "c1"})
    assert (await ws.receive_json_from())["code"] == "archived"

    await sync_to_async(action)(admin_client, "room", "unarchive_rooms", public_room)

    frame = await ws.receive_json_from()
    assert (frame["type"], frame["room"]["archived"]) == ("room_updated", False)
    assert not await db(lambda: Room.objects.get(pk=public_room.pk).is_archived)()


@pytest.mark.django_db
def test_archive_through_the_change_form(admin_client: Client, public_room: Room) -> None:
    response = admin_client.post(
        reverse("admin:chat_room_change", args=[public_room.pk]), room_form(public_room, is_archived=True)
    )

    assert response.status_code == 302
    public_room.refresh_from_db()
    assert public_room.is_archived is True


@pytest.mark.django_db(transaction=True)
async def test_delete_rooms_action_removes_them_from_sockets(
    connect: Connect, admin_client: Client, bob: User, public_room: Room
) -> None:
    await db(MessageFactory)(room=public_room, author=bob)
    ws, _ = await connect(bob)

    response = await sync_to_async(action)(admin_client, "room", "delete_rooms", public_room)

    assert response.status_code == 302
    assert await ws.receive_json_from() == {"type": "removed", "room": "general"}
    assert not await db(Room.objects.filter(slug="general").exists)()
    assert await db(Message.objects.count)() == 0


@pytest.mark.django_db(transaction=True)
async def test_delete_a_room_through_its_delete_page(
    connect: Connect, admin_client: Client, bob: User, private_room: Room
) -> None:
    ws, _ = await connect(bob)

    response = await sync_to_async(admin_client.post)(
        reverse("admin:chat_room_delete", args=[private_room.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert await ws.receive_json_from() == {"type": "removed", "room": "secret"}
    assert not await db(Room.objects.filter(slug="secret").exists)()


@pytest.mark.django_db
def test_the_bulk_delete_that_skips_services_is_not_offered(admin_client: Client, public_room: Room) -> None:
    for model in ("room", "membership", "message", "attachment"):
        response = admin_client.get(reverse(f"admin:chat_{model}_changelist"))
        offered = [name for name, _label in response.context["action_form"].fields["action"].choices]
        assert "delete_selected" not in offered


# Memberships --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_add_a_member_reaches_their_open_socket(
    connect: Connect, admin_client: Client, alice: User, carol: User, private_room: Room
) -> None:
    carol_ws, _ = await connect(carol)
    alice_ws, _ = await connect(alice)

    response = await sync_to_async(admin_client.post)(
        reverse("admin:chat_membership_add"), {"user": carol.pk, "room": private_room.pk, "role": "member"}
    )

    assert response.status_code == 302
    added = await carol_ws.receive_json_from()
    assert (added["type"], added["room"]["slug"]) == ("added", "secret")
    assert (await alice_ws.receive_json_from())["message"]["body"] == "Carol was added."
    joined = {
        "type": "member_joined",
        "room": "secret",
        "member": {"username": "carol", "display_name": "Carol", "role": "member"},
    }
    assert await alice_ws.receive_json_from() == joined
    # From now on carol's socket hears the room (the member list first).
    assert await carol_ws.receive_json_from() == joined
    await alice_ws.send_json_to({"type": "send", "room": "secret", "body": "welcome", "client_id": "c1"})
    frame = await carol_ws.receive_json_from()
    assert (frame["type"], frame["message"]["body"]) == ("message", "welcome")


@pytest.mark.django_db(transaction=True)
async def test_add_a_member_through_the_room_inline(
    connect: Connect, admin_client: Client, carol: User, private_room: Room
) -> None:
    carol_ws, _ = await connect(carol)
    data = {
        **room_form(private_room),
        "memberships-TOTAL_FORMS": "1",
        "memberships-0-room": private_room.pk,
        "memberships-0-user": carol.pk,
        "memberships-0-role": "admin",
    }

    response = await sync_to_async(admin_client.post)(
        reverse("admin:chat_room_change", args=[private_room.pk]), data
    )

    assert response.status_code == 302
    added = await carol_ws.receive_json_from()
    assert (added["type"], added["room"]["slug"], added["room"]["role"]) == ("added", "secret", "admin")


@pytest.mark.django_db(transaction=True)
async def test_remove_a_member_cuts_their_socket_off_at_once(
    connect: Connect, admin_client: Client, alice: User, bob: User, private_room: Room
) -> None:
    bob_ws, _ = await connect(bob)
    alice_ws, _ = await connect(alice)
    membership = await db(Membership.objects.get)(room=private_room, user=bob)

    response = await sync_to_async(action)(admin_client, "membership", "remove_members", membership)

    assert response.status_code == 302
    frames = [await bob_ws.receive_json_from()]
    if frames[0]["type"] == "message":  # the "was removed" note may come first
        frames.append(await bob_ws.receive_json_from())
    assert frames[-1] == {"type": "removed", "room": "secret"}
    assert not await db(Membership.objects.filter(pk=membership.pk).exists)()
    await alice_ws.receive_json_from()  # the note
    await alice_ws.send_json_to({"type": "send", "room": "secret", "body": "bob is out", "client_id": "c1"})
    await alice_ws.receive_json_from()
    await alice_ws.receive_json_from()
    assert await bob_ws.receive_nothing()


@pytest.mark.django_db(transaction=True)
async def test_remove_a_member_through_the_room_inline(
    connect: Connect, admin_client: Client, bob: User, public_room: Room
) -> None:
    bob_ws, _ = await connect(bob)
    membership = await db(Membership.objects.get)(room=public_room, user=bob)
    data = {
        **room_form(public_room),
        "memberships-TOTAL_FORMS": "1",
        "memberships-INITIAL_FORMS": "1",
        "memberships-0-id": membership.pk,
        "memberships-0-room": public_room.pk,
        "memberships-0-user": bob.pk,
        "memberships-0-role": "member",
        "memberships-0-DELETE": "on",
    }

    response = await sync_to_async(admin_client.post)(
        reverse("admin:chat_room_change", args=[public_room.pk]), data
    )

    assert response.status_code == 302
    frames = [await bob_ws.receive_json_from()]
    if frames[0]["type"] == "message":
        frames.append(await bob_ws.receive_json_from())
    assert frames[-1] == {"type": "removed", "room": "general"}
    assert not await db(Membership.objects.filter(pk=membership.pk).exists)()


@pytest.mark.django_db(transaction=True)
async def test_make_room_admin(connect: Connect, admin_client: Client, bob: User, public_room: Room) -> None:
    bob_ws, _ = await connect(bob)
    membership = await db(Membership.objects.get)(room=public_room, user=bob)

    response = await sync_to_async(action)(admin_client, "membership", "make_room_admin", membership)

    assert response.status_code == 302
    assert await db(lambda: Membership.objects.get(pk=membership.pk).role)() == "admin"
    frame = await bob_ws.receive_json_from()
    assert (frame["type"], frame["room"]["slug"], frame["room"]["role"]) == (
        "room_updated",
        "general",
        "admin",
    )


@pytest.mark.django_db
def test_a_direct_conversation_is_not_offered_for_new_members(
    admin_client: Client, alice: User, bob: User, public_room: Room
) -> None:
    dm = services.direct_room_open(user=alice, other=bob)

    response = admin_client.get(reverse("admin:chat_membership_add"))

    rooms = list(response.context["adminform"].form.fields["room"].queryset)
    assert public_room in rooms
    assert dm not in rooms


@pytest.mark.django_db
def test_a_refused_change_is_an_error_message_not_a_crash(
    admin_client: Client, alice: User, bob: User
) -> None:
    dm = services.direct_room_open(user=alice, other=bob)
    membership = Membership.objects.get(room=dm, user=bob)

    response = action(admin_client, "membership", "remove_members", membership)

    assert response.status_code == 302
    assert Membership.objects.filter(pk=membership.pk).exists()
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("members" in text for text in shown), shown


# Messages --------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_delete_messages_leaves_tombstones_and_reaches_sockets(
    connect: Connect, admin_client: Client, alice: User, bob: User, private_room: Room
) -> None:
    first = await db(MessageFactory)(room=private_room, author=bob, body="spam")
    second = await db(MessageFactory)(room=private_room, author=alice, body="more spam")
    ws, _ = await connect(bob)

    response = await sync_to_async(action)(admin_client, "message", "delete_messages", first, second)

    assert response.status_code == 302
    frames = await ws.receive_json_from(), await ws.receive_json_from()
    assert sorted(frame["seq"] for frame in frames) == [1, 2]
    assert {frame["type"] for frame in frames} == {"message_deleted"}
    rows = await db(lambda: list(Message.objects.order_by("seq").values_list("seq", "body", "html")))()
    assert rows == [(1, "", ""), (2, "", "")]
    assert (
        await db(Message.objects.filter(deleted_at__isnull=False, deleted_by__is_superuser=True).count)() == 2
    )


@pytest.mark.django_db(transaction=True)
async def test_delete_a_message_through_its_delete_page(
    connect: Connect, admin_client: Client, bob: User, public_room: Room
) -> None:
    message = await db(MessageFactory)(room=public_room, author=bob, body="oops")
    ws, _ = await connect(bob)

    response = await sync_to_async(admin_client.post)(
        reverse("admin:chat_message_delete", args=[message.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert await ws.receive_json_from() == {"type": "message_deleted", "room": "general", "seq": 1}
    stored = await db(Message.objects.get)(pk=message.pk)
    assert (stored.seq, stored.body, stored.is_deleted) == (1, "", True)


# Changelists and search ------------------------------------------------------------------------


@pytest.fixture
def a_few_messages(public_room: Room, private_room: Room, alice: User, bob: User) -> None:
    MessageFactory(room=public_room, author=alice, body="hello from alice")
    MessageFactory(room=public_room, author=bob, body="hello from bob")
    MessageFactory(room=private_room, author=bob, body="secret from bob")


def results(client: Client, model: str, query: dict[str, Any]) -> list[Any]:
    response = client.get(reverse(f"admin:chat_{model}_changelist"), query)
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


@pytest.mark.django_db
@pytest.mark.usefixtures("a_few_messages")
def test_the_room_changelist_and_search(admin_client: Client, public_room: Room) -> None:
    assert {r.slug for r in results(admin_client, "room", {})} == {"general", "secret"}
    assert [r.slug for r in results(admin_client, "room", {"q": "gener"})] == ["general"]
    assert [r.slug for r in results(admin_client, "room", {"is_private__exact": "1"})] == ["secret"]
    assert admin_client.get(reverse("admin:chat_room_change", args=[public_room.pk])).status_code == 200
    assert admin_client.get(reverse("admin:chat_room_add")).status_code == 200


@pytest.mark.django_db
@pytest.mark.usefixtures("a_few_messages")
def test_the_membership_changelist_search_and_filter(
    admin_client: Client, public_room: Room, bob: User
) -> None:
    assert len(results(admin_client, "membership", {})) == 4
    found = results(admin_client, "membership", {"q": "bob"})
    assert {(m.user.username, m.room.slug) for m in found} == {("bob", "general"), ("bob", "secret")}
    found = results(admin_client, "membership", {"room__id__exact": public_room.pk})
    assert {m.user.username for m in found} == {"alice", "bob"}
    found = results(admin_client, "membership", {"role__exact": "admin"})
    assert {m.user.username for m in found} == {"alice"}
    membership = Membership.objects.get(room=public_room, user=bob)
    assert admin_client.get(reverse("admin:chat_membership_change", args=[membership.pk])).status_code == 200


@pytest.mark.django_db
@pytest.mark.usefixtures("a_few_messages")
def test_the_message_changelist_search_and_filter(admin_client: Client, public_room: Room, bob: User) -> None:
    assert len(results(admin_client, "message", {})) == 3
    assert {m.body for m in results(admin_client, "message", {"q": "secret"})} == {"secret from bob"}
    # Search by author and by room.
    assert {m.body for m in results(admin_client, "message", {"q": "bob"})} >= {
        "hello from bob",
        "secret from bob",
    }
    by_room = results(admin_client, "message", {"room__id__exact": public_room.pk})
    assert {m.body for m in by_room} == {"hello from alice", "hello from bob"}
    by_author = results(admin_client, "message", {"author__id__exact": bob.pk})
    assert {m.body for m in by_author} == {"hello from bob", "secret from bob"}
    both = results(admin_client, "message", {"room__id__exact": public_room.pk, "author__id__exact": bob.pk})
    assert [m.body for m in both] == ["hello from bob"]
    message = Message.objects.get(body="hello from bob")
    assert admin_client.get(reverse("admin:chat_message_change", args=[message.pk])).status_code == 200


@pytest.mark.django_db
def test_a_plain_user_cannot_reach_the_admin(public_room: Room, bob: User) -> None:
    client = Client()
    client.force_login(bob)

    response = client.get(reverse("admin:chat_room_changelist"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


@pytest.mark.django_db
def test_an_address_kept_for_direct_messages_is_refused_beside_the_field(admin_client: Client) -> None:
    response = admin_client.post(
        reverse("admin:chat_room_add"), {"name": "Sneaky", "slug": "dm-2-4", **NO_INLINES}
    )

    assert response.status_code == 200
    assert "kept for direct messages" in response.content.decode()
    assert not Room.objects.filter(slug="dm-2-4").exists()


@pytest.mark.django_db
def test_a_room_the_service_refuses_is_not_announced_as_added(
    admin_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chat.exceptions import Forbidden

    def refuse(**kwargs: object) -> None:
        raise Forbidden("Refused for this test.")

    monkeypatch.setattr("chat.admin.services.room_create", refuse)

    response = admin_client.post(
        reverse("admin:chat_room_add"), {"name": "Ops", "slug": "ops", **NO_INLINES}, follow=True
    )

    shown = [str(message) for message in response.context["messages"]]
    assert shown == ["Refused for this test."]
    assert not Room.objects.filter(slug="ops").exists()


# Room names and the changelist -------------------------------------------------------------


@pytest.mark.django_db
def test_a_taken_name_is_refused_beside_the_name_field_when_adding(
    admin_client: Client, public_room: Room
) -> None:
    response = admin_client.post(
        reverse("admin:chat_room_add"), {"name": " GENERAL ", "slug": "general-2", **NO_INLINES}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["name"] == [
        "This name is already in use; choose another."
    ]
    assert not Room.objects.filter(slug="general-2").exists()


@pytest.mark.django_db
def test_a_taken_name_is_refused_beside_the_name_field_when_renaming(
    admin_client: Client, public_room: Room, private_room: Room
) -> None:
    response = admin_client.post(
        reverse("admin:chat_room_change", args=[public_room.pk]), room_form(public_room, name="secret")
    )

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["name"]
    public_room.refresh_from_db()
    assert public_room.name == "General"


@pytest.mark.django_db
def test_the_room_list_shows_each_address_beside_its_name(admin_client: Client, public_room: Room) -> None:
    response = admin_client.get(reverse("admin:chat_room_changelist"))

    html = response.content.decode()
    assert '<td class="field-slug">general</td>' in html
    assert html.index(">General</a>") < html.index('<td class="field-slug">general</td>')


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "count", "shown"),
    [
        ("archive_rooms", 1, "Archived 1 room."),
        ("archive_rooms", 2, "Archived 2 rooms."),
        ("unarchive_rooms", 1, "Unarchived 1 room."),
        ("unarchive_rooms", 2, "Unarchived 2 rooms."),
        ("delete_rooms", 1, "Deleted 1 room."),
        ("delete_rooms", 2, "Deleted 2 rooms."),
    ],
)
def test_room_actions_count_their_rooms_in_words(
    admin_client: Client, name: str, count: int, shown: str
) -> None:
    rooms = [RoomFactory(is_archived=name == "unarchive_rooms") for _ in range(count)]

    response = action(admin_client, "room", name, *rooms)

    assert [str(m) for m in get_messages(response.wsgi_request)] == [shown]


@pytest.mark.django_db
def test_a_room_action_counts_only_the_rooms_it_changed(
    admin_client: Client, public_room: Room, private_room: Room, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chat.exceptions import Forbidden

    archive = services.room_archive

    def refuse_the_secret(*, actor: User, room: Room) -> Room:
        if room.slug == "secret":
            raise Forbidden("Refused for this test.")
        return archive(actor=actor, room=room)

    monkeypatch.setattr("chat.admin.services.room_archive", refuse_the_secret)

    response = action(admin_client, "room", "archive_rooms", public_room, private_room)

    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert shown == ["Refused for this test.", "Archived 1 room."]
    assert list(Room.objects.filter(is_archived=True).values_list("slug", flat=True)) == ["general"]


@pytest.mark.django_db
def test_a_message_s_page_in_the_admin_shows_its_reactions(
    admin_client: Client, public_room: Room, bob: User
) -> None:
    message = services.message_create(
        user=bob, room_slug="general", body="react to me", client_id="r1"
    ).message
    services.reaction_add(user=bob, room_slug="general", seq=message.seq, emoji="\U0001f389")
    page = admin_client.get(reverse("admin:chat_message_change", args=[message.pk])).content.decode()
    assert "\U0001f389" in page
    assert "Reactions" in page


@pytest.mark.django_db
def test_a_message_s_page_lists_its_files_and_each_can_be_deleted(
    admin_client: Client, public_room: Room, bob: User, settings, tmp_path, django_capture_on_commit_callbacks
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    first = uploaded(bob, public_room, b"one", "first <i>file.txt")
    second = uploaded(bob, public_room, b"two", "second.txt")
    message = services.message_create(
        user=bob, room_slug="general", body="files", client_id="f1", attachments=[first.pk, second.pk]
    ).message
    page = admin_client.get(reverse("admin:chat_message_change", args=[message.pk])).content.decode()
    assert "first &lt;i&gt;file.txt" in page and "second.txt" in page
    assert reverse("admin:chat_attachment_change", args=[first.pk]) in page

    listed = admin_client.get(reverse("admin:chat_attachment_changelist")).content.decode()
    assert "second.txt" in listed
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:chat_attachment_delete", args=[first.pk]), {"post": "yes"}
        )
    assert response.status_code == 302
    message.refresh_from_db()
    assert [item["name"] for item in message.attachments] == ["second.txt"]
    assert not (tmp_path / first.file).exists() and (tmp_path / second.file).exists()

    with django_capture_on_commit_callbacks(execute=True):
        action(admin_client, "attachment", "delete_attachments", second)
    message.refresh_from_db()
    assert message.attachments == [] and not Attachment.objects.exists()
    assert list(tmp_path.rglob("*.*")) == [] and not any(p.is_file() for p in tmp_path.rglob("*"))

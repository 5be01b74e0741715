"""System notes as events (chat.notes): "bob joined" is stored as what happened and
to whom, each reader's client writes it in their language, and ``body`` keeps the
sentence in the site's language for clients that do not know ``event``."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import translation

from accounts.models import User
from chat import notes, protocol, selectors, services
from chat.models import Message, Room
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def last_note(room: Room) -> Message:
    return Message.objects.filter(room=room, author__isnull=True).latest("seq")


def event_of(username: str, display_name: str, kind: str) -> dict[str, Any]:
    return {"kind": kind, "user": {"username": username, "display_name": display_name}}


def test_joining_stores_an_event_and_the_sentence_in_the_sites_language(public_room: Room) -> None:
    carol = UserFactory(username="carol", display_name="Carol")

    with translation.override("zh-hans"):  # whoever joins, in whatever language
        services.room_join(user=carol, room_slug=public_room.slug)

    note = last_note(public_room)
    assert note.event == event_of("carol", "Carol", "joined")
    assert (note.body, note.html) == ("Carol joined.", "Carol joined.")


@pytest.mark.parametrize(
    ("kind", "english", "chinese"),
    [
        ("joined", "Carol joined.", "Carol 加入了房间。"),
        ("left", "Carol left.", "Carol 离开了房间。"),
        ("added", "Carol was added.", "Carol 被添加为成员。"),
        ("removed", "Carol was removed.", "Carol 被移出了房间。"),
    ],
)
def test_each_kind_of_note_reads_in_the_readers_language(kind: str, english: str, chinese: str) -> None:
    event = event_of("carol", "Carol", kind)

    with translation.override("en"):
        assert notes.note_text(event) == english
    with translation.override("zh-hans"):
        assert notes.note_text(event) == chinese
        assert notes.note_fallback(event) == english


def test_a_note_of_a_kind_this_server_does_not_know_says_nothing() -> None:
    assert notes.note_text({"kind": "renamed", "user": {"username": "x", "display_name": "X"}}) == ""
    with pytest.raises(ValueError, match="unknown kind"):
        notes.note_event("renamed", User(username="x"))


def test_leaving_being_added_and_removed_are_notes_too(
    alice: User, public_room: Room, private_room: Room
) -> None:
    carol = UserFactory(username="carol", display_name="")
    services.room_join(user=carol, room_slug=public_room.slug)
    services.room_leave(user=carol, room_slug=public_room.slug)
    membership = services.membership_add(actor=alice, room=private_room, user=carol)
    services.membership_remove(actor=alice, membership=membership)

    kinds = [
        (note.event["kind"], note.event["user"], note.body)
        for note in Message.objects.filter(author__isnull=True).order_by("room", "seq")
    ]
    who = {"username": "carol", "display_name": "carol"}  # no display name: the username
    assert kinds == [
        ("joined", who, "carol joined."),
        ("left", who, "carol left."),
        ("added", who, "carol was added."),
        ("removed", who, "carol was removed."),
    ]


def test_the_live_frame_and_history_carry_the_event(
    alice: User, public_room: Room, listen, django_capture_on_commit_callbacks
) -> None:
    carol = UserFactory(username="carol", display_name="Carol")
    listener = listen(f"room.{public_room.pk}")

    with django_capture_on_commit_callbacks(execute=True):
        services.room_join(user=carol, room_slug=public_room.slug)

    live = [frame for _op, frame in listener.frames() if frame["type"] == "message"]
    assert [frame["message"]["event"] for frame in live] == [event_of("carol", "Carol", "joined")]
    assert live[0]["message"]["body"] == "Carol joined."
    history = selectors.history_for(alice, public_room.slug, before_seq=None, after_seq=None, limit=50)
    assert history["messages"][-1]["event"] == event_of("carol", "Carol", "joined")
    assert history["messages"][-1] == protocol.message_payload(last_note(public_room), public_room.slug)


def test_a_rename_leaves_old_notes_as_they_were(public_room: Room) -> None:
    carol = UserFactory(username="carol", display_name="Carol")
    services.room_join(user=carol, room_slug=public_room.slug)
    carol.display_name = "Caroline"
    carol.save()

    assert last_note(public_room).event["user"]["display_name"] == "Carol"


def test_a_deleted_note_keeps_no_event(alice: User, public_room: Room) -> None:
    carol = UserFactory(username="carol", display_name="Carol")
    services.room_join(user=carol, room_slug=public_room.slug)
    note = last_note(public_room)

    services.message_delete(user=alice, room_slug=public_room.slug, seq=note.seq)

    note.refresh_from_db()
    assert (note.body, note.event) == ("", None)
    assert protocol.message_payload(note, public_room.slug)["event"] is None


def test_the_admin_lists_a_note_in_its_own_language(admin_client, public_room: Room) -> None:
    carol = UserFactory(username="carol", display_name="Carol")
    services.room_join(user=carol, room_slug=public_room.slug)

    english = admin_client.get("/admin/chat/message/", headers={"accept-language": "en"}).content.decode()
    admin_client.cookies.pop("django_language", None)
    chinese = admin_client.get("/admin/chat/message/", headers={"accept-language": "zh-CN"}).content.decode()

    assert "Carol joined." in english
    assert "Carol 加入了房间。" in chinese


# The migration that read the stored sentences into events -------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_reads_the_stored_sentences_into_events() -> None:
    before = [("chat", "0006_webhooks"), ("accounts", "0004_user_language")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        OldUser, OldRoom, OldMessage = (
            old.get_model(*name.split(".")) for name in ("accounts.User", "chat.Room", "chat.Message")
        )
        OldUser.objects.create(username="bob", display_name="Bob")
        OldUser.objects.create(username="dora", display_name="")
        OldUser.objects.create(username="twin1", display_name="Twin")
        OldUser.objects.create(username="twin2", display_name="Twin")
        room = OldRoom.objects.create(slug="general", name="General")
        bodies = [
            "Bob joined.",
            "dora left.",
            "Twin was added.",  # two people are called Twin: the name stays, no username
            "Gone Person was removed.",  # no one is called that now
            "The room was renamed.",  # not one of the four: left alone
        ]
        for seq, body in enumerate(bodies, start=1):
            OldMessage.objects.create(room=room, seq=seq, author=None, body=body, html=body)
        bob = OldUser.objects.get(username="bob")
        OldMessage.objects.create(room=room, seq=6, author=bob, body="Bob joined.", html="Bob joined.")

        executor = MigrationExecutor(connection)
        executor.migrate([("chat", "0007_i18n")])
        new = executor.loader.project_state([("chat", "0007_i18n")]).apps
        events = dict(new.get_model("chat", "Message").objects.values_list("seq", "event"))
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    assert events == {
        1: event_of("bob", "Bob", "joined"),
        2: event_of("dora", "dora", "left"),
        3: {"kind": "added", "user": {"username": None, "display_name": "Twin"}},
        4: {"kind": "removed", "user": {"username": None, "display_name": "Gone Person"}},
        5: None,
        6: None,  # a person's message is never a note
    }

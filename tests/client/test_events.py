"""Frames become typed events; frames the client does not know do not break it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chat.client.events import (
    Added,
    Error,
    Hello,
    MemberJoined,
    MemberLeft,
    Message,
    MessageDeleted,
    MessageEdited,
    Presence,
    Reaction,
    ReactionsChanged,
    Read,
    Removed,
    Resync,
    RoomUpdated,
    Typing,
    Unknown,
    User,
    parse_event,
    parse_history,
)
from tests.client.frames import hello, history_frame, message, message_frame, summary


def test_hello_carries_the_user_and_the_room_summaries() -> None:
    event = parse_event(hello(summary("general", 4, unread=1, can=["edit", "send"])))

    assert isinstance(event, Hello)
    assert event.user == User("alice", "Alice")
    (room,) = event.rooms
    assert (room.slug, room.name, room.last_seq, room.unread, room.can) == (
        "general",
        "General",
        4,
        1,
        ("edit", "send"),
    )
    assert event.server_time == datetime(2026, 11, 21, 22, 44, 19, 585000, tzinfo=UTC)


def test_a_message_has_every_field_of_the_message_object() -> None:
    frame = message_frame(
        "general",
        5,
        "hi @bob",
        client_id="cap-1",
        mentions=["bob"],
        edited_at="2026-11-21T22:45:00.000Z",
        reactions=[{"emoji": "👍", "count": 2, "users": ["bob", "carol"]}],
    )

    event = parse_event(frame)

    assert isinstance(event, Message)
    assert (event.room, event.seq, event.id, event.body, event.client_id) == (
        "general",
        5,
        1005,
        "hi @bob",
        "cap-1",
    )
    assert event.author == User("bob", "Bob")
    assert event.created_at == datetime(2026, 11, 21, 22, 44, 21, 695000, tzinfo=UTC)
    assert event.edited_at == datetime(2026, 11, 21, 22, 45, tzinfo=UTC)
    assert event.mentions == ("bob",)
    assert event.reactions == (Reaction("👍", 2, ("bob", "carol")),)
    assert not event.deleted


def test_a_reply_names_its_thread_and_thread_frames_are_for_later() -> None:
    event = parse_event(message_frame("general", 6, "agreed", parent_seq=5, also_to_room=False))
    plain = parse_event(message_frame("general", 7, "lunch?", parent_seq=None))

    assert isinstance(event, Message) and isinstance(plain, Message)
    assert (event.parent_seq, plain.parent_seq) == (5, None)
    updated = {"type": "thread_updated", "room": "general", "seq": 5, "reply_count": 1, "repliers": ["bob"]}
    assert isinstance(parse_event(updated), Unknown)


def test_a_system_message_has_no_author() -> None:
    event = parse_event(message_frame("general", 1, "Bob joined.", author=None))

    assert isinstance(event, Message)
    assert event.author is None


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        (
            {"type": "message_edited", "room": "general", "message": message("general", 5, "edited")},
            MessageEdited,
        ),
        ({"type": "message_deleted", "room": "general", "seq": 5}, MessageDeleted),
        ({"type": "reactions_changed", "room": "general", "seq": 5, "reactions": []}, ReactionsChanged),
        ({"type": "typing", "room": "general", "user": "bob"}, Typing),
        ({"type": "read", "room": "random", "seq": 2}, Read),
        ({"type": "presence", "room": "general", "online": ["alice", "bob"]}, Presence),
        ({"type": "added", "room": summary("design", 1)}, Added),
        ({"type": "removed", "room": "random"}, Removed),
        ({"type": "room_updated", "room": summary("general", 4, topic="New")}, RoomUpdated),
        (
            {
                "type": "member_joined",
                "room": "general",
                "member": {"username": "carol", "display_name": "Carol", "role": "member"},
            },
            MemberJoined,
        ),
        ({"type": "member_left", "room": "general", "username": "carol"}, MemberLeft),
        ({"type": "resync", "rooms": [summary("general", 9)]}, Resync),
        ({"type": "error", "code": "not_found", "message": "No such room."}, Error),
    ],
)
def test_each_pushed_frame_has_its_event(frame: dict, expected: type) -> None:
    assert isinstance(parse_event(frame), expected)


def test_rate_limited_errors_keep_retry_after() -> None:
    event = parse_event(
        {"type": "error", "code": "rate_limited", "message": "Slow down.", "ref": "x-1", "retry_after": 0.115}
    )

    assert event == Error(code="rate_limited", message="Slow down.", ref="x-1", retry_after=0.115)


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "poll_created", "room": "general", "poll": {"question": "Lunch?"}},
        {"type": "message", "room": "general"},  # a known type without its fields
        {"type": "presence", "room": "general", "online": None},
        {"type": 7},
        {},
    ],
)
def test_frames_it_cannot_read_become_unknown(frame: dict) -> None:
    event = parse_event(frame)

    assert isinstance(event, Unknown)
    assert event.data == frame


def test_summaries_ignore_fields_added_later() -> None:
    event = parse_event({"type": "added", "room": summary("design", 1, pinned=[3], colour="teal")})

    assert isinstance(event, Added)
    assert event.room.slug == "design"


def test_a_history_page_lists_its_messages_in_order() -> None:
    page = parse_history(history_frame("general", range(3, 6), has_more=True))

    assert [m.seq for m in page.messages] == [3, 4, 5]
    assert all(m.room == "general" for m in page.messages)
    assert page.has_more


def test_a_message_lists_its_files_and_the_command_line_shows_them() -> None:
    from chat.client.cli import format_message, format_size

    files = [
        {
            "id": 31,
            "name": "chart.png",
            "size": 48213,
            "content_type": "image/png",
            "image": True,
            "width": 1200,
            "height": 800,
            "url": "/files/31/",
            "thumbnail_url": "/files/31/thumbnail/",
        },
        {
            "id": 32,
            "name": "minutes.txt",
            "size": 25,
            "content_type": "text/plain",
            "image": False,
            "width": None,
            "height": None,
            "url": "/files/32/",
            "thumbnail_url": None,
        },
    ]
    event = parse_event(message_frame("general", 8, "the plan", attachments=files))
    files_only = message_frame("general", 9, attachments=files[1:])
    files_only["message"].update(body="", html="")  # a message of files alone
    alone = parse_event(files_only)

    assert isinstance(event, Message) and isinstance(alone, Message)
    chart, minutes = event.attachments
    assert (chart.id, chart.name, chart.size, chart.image, chart.width, chart.thumbnail_url) == (
        31,
        "chart.png",
        48213,
        True,
        1200,
        "/files/31/thumbnail/",
    )
    assert (minutes.image, minutes.url, minutes.thumbnail_url) == (False, "/files/32/", None)
    assert format_message(event).endswith(" bob: the plan [chart.png, 47.1 KB] [minutes.txt, 25 B]")
    assert format_message(alone).endswith(" bob: [minutes.txt, 25 B]")
    assert parse_event(message_frame("general", 10, "no files")).attachments == ()
    assert [format_size(n) for n in (0, 1023, 1024, 3 * 1024 * 1024 + 104858, 5 * 1024**4)] == [
        "0 B",
        "1023 B",
        "1.0 KB",
        "3.1 MB",
        "5120.0 GB",
    ]

"""chat.protocol: every client frame parses, every bad one gets its exact code; server objects."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from chat import protocol
from chat.exceptions import RateLimited
from chat.models import Membership, Message, Room


def parse(frame: object) -> protocol.ClientFrame:
    return protocol.parse_frame(json.dumps(frame))


def refusal(text: str) -> protocol.FrameError:
    with pytest.raises(protocol.FrameError) as raised:
        protocol.parse_frame(text)
    return raised.value


@pytest.mark.parametrize(
    ("frame", "parsed"),
    [
        (
            {"type": "send", "room": "general", "body": "hi", "client_id": "c1"},
            protocol.Send(room="general", body="hi", client_id="c1"),
        ),
        (
            {"type": "history", "room": "general"},
            protocol.History(room="general", before_seq=None, after_seq=None, limit=50),
        ),
        (
            {"type": "history", "room": "general", "before_seq": 40, "limit": 10},
            protocol.History(room="general", before_seq=40, after_seq=None, limit=10),
        ),
        (
            {"type": "history", "room": "general", "after_seq": 0, "limit": 100},
            protocol.History(room="general", before_seq=None, after_seq=0, limit=100),
        ),
        (
            {"type": "history", "room": "general", "after_seq": 3, "before_seq": None},
            protocol.History(room="general", before_seq=None, after_seq=3, limit=50),
        ),
        ({"type": "join", "room": "general"}, protocol.Join(room="general")),
        ({"type": "leave", "room": "general"}, protocol.Leave(room="general")),
        ({"type": "typing", "room": "general"}, protocol.Typing(room="general")),
        ({"type": "read", "room": "general", "seq": 7}, protocol.Read(room="general", seq=7)),
        (
            {"type": "edit", "room": "general", "seq": 7, "body": "fixed"},
            protocol.Edit(room="general", seq=7, body="fixed"),
        ),
        ({"type": "delete", "room": "general", "seq": 0}, protocol.Delete(room="general", seq=0)),
        ({"type": "ping"}, protocol.Ping()),
        # Fields the protocol does not name are ignored, so clients can add their own.
        ({"type": "ping", "nonce": 5}, protocol.Ping()),
    ],
)
def test_every_client_frame_parses(frame: dict, parsed: protocol.ClientFrame) -> None:
    assert parse(frame) == parsed


@pytest.mark.parametrize(("limit", "parsed"), [(None, 50), (1, 1), (100, 100), (101, 100), (10**9, 100)])
def test_the_history_limit_defaults_to_50_and_is_at_most_100(limit: int | None, parsed: int) -> None:
    frame = {"type": "history", "room": "general"}
    if limit is not None:
        frame["limit"] = limit

    assert parse(frame).limit == parsed


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "{",
        "",
        "[]",
        '["send"]',
        '"send"',
        "42",
        "null",
    ],
)
def test_a_frame_that_is_not_a_json_object_is_a_bad_request(text: str) -> None:
    error = refusal(text)

    assert (error.code, error.ref) == ("bad_request", None)


@pytest.mark.parametrize(
    "frame",
    [
        # type missing or not a string
        {"room": "general"},
        {"type": None},
        {"type": 1},
        # a field missing
        {"type": "send", "body": "hi", "client_id": "c1"},
        {"type": "send", "room": "general", "client_id": "c1"},
        {"type": "send", "room": "general", "body": "hi"},
        {"type": "join"},
        {"type": "leave"},
        {"type": "typing"},
        {"type": "history"},
        {"type": "read", "room": "general"},
        {"type": "edit", "room": "general", "seq": 1},
        {"type": "edit", "room": "general", "body": "x"},
        {"type": "delete", "room": "general"},
        # a field of the wrong type
        {"type": "send", "room": 5, "body": "hi", "client_id": "c1"},
        {"type": "send", "room": "general", "body": ["hi"], "client_id": "c1"},
        {"type": "send", "room": "general", "body": "hi", "client_id": 1},
        {"type": "join", "room": {"slug": "general"}},
        {"type": "read", "room": "general", "seq": "7"},
        {"type": "read", "room": "general", "seq": 7.0},
        {"type": "history", "room": "general", "limit": "10"},
        {"type": "history", "room": "general", "before_seq": 1.5},
        # bool is not an int on the wire
        {"type": "read", "room": "general", "seq": True},
        {"type": "delete", "room": "general", "seq": False},
        {"type": "history", "room": "general", "limit": True},
        {"type": "history", "room": "general", "after_seq": True},
        # negative seqs and a limit under 1
        {"type": "read", "room": "general", "seq": -1},
        {"type": "edit", "room": "general", "seq": -3, "body": "x"},
        {"type": "delete", "room": "general", "seq": -1},
        {"type": "history", "room": "general", "before_seq": -1},
        {"type": "history", "room": "general", "after_seq": -1},
        {"type": "history", "room": "general", "limit": 0},
        {"type": "history", "room": "general", "limit": -5},
    ],
)
def test_a_missing_or_ill_typed_field_is_a_bad_request(frame: dict) -> None:
    assert refusal(json.dumps(frame)).code == "bad_request"


@pytest.mark.parametrize("kind", ["subscribe", "SEND", "", "message", "ack"])
def test_an_unknown_type_is_unknown_type(kind: str) -> None:
    assert refusal(json.dumps({"type": kind, "room": "general"})).code == "unknown_type"


@pytest.mark.parametrize(
    ("client_id", "valid"), [("x", True), ("x" * 64, True), ("", False), ("x" * 65, False)]
)
def test_a_client_id_has_1_to_64_characters(client_id: str, valid: bool) -> None:
    frame = {"type": "send", "room": "general", "body": "hi", "client_id": client_id}

    if valid:
        assert parse(frame).client_id == client_id
    else:
        assert refusal(json.dumps(frame)).code == "bad_request"


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"type": "send", "room": 5, "body": "hi", "client_id": "c-9"}, "bad_request"),
        ({"type": "send", "room": "general", "client_id": "c-9"}, "bad_request"),
        ({"type": "shout", "client_id": "c-9"}, "unknown_type"),
    ],
)
def test_the_ref_of_a_refused_frame_echoes_its_client_id(frame: dict, code: str) -> None:
    error = refusal(json.dumps(frame))

    assert (error.code, error.ref) == (code, "c-9")
    assert protocol.error_frame(error, error.ref)["ref"] == "c-9"


def test_a_refused_frame_without_a_string_client_id_has_no_ref() -> None:
    error = refusal(json.dumps({"type": "send", "room": "general", "body": "hi", "client_id": 7}))

    assert error.ref is None
    assert "ref" not in protocol.error_frame(error, error.ref)


# Server objects and frames ----------------------------------------------------------------


def test_a_timestamp_is_utc_with_milliseconds_and_z() -> None:
    moment = datetime(2026, 11, 21, 22, 47, 3, 120456, tzinfo=timezone(timedelta(hours=1)))

    assert protocol.timestamp(moment) == "2026-11-21T21:47:03.120Z"
    assert protocol.timestamp(None) is None


def _message(**fields: object) -> Message:
    from accounts.models import User

    defaults = {
        "pk": 812,
        "room": Room(slug="general"),
        "seq": 57,
        "author": User(username="alice", display_name="Alice"),
        "body": "hi",
        "html": "hi",
        "client_id": "c1",
        "created_at": datetime(2026, 11, 21, 21, 47, 3, 120000, tzinfo=UTC),
    }
    return Message(**{**defaults, **fields})


def test_the_message_object() -> None:
    assert protocol.message_payload(_message()) == {
        "id": 812,
        "room": "general",
        "seq": 57,
        "author": {"username": "alice", "display_name": "Alice"},
        "body": "hi",
        "html": "hi",
        "created_at": "2026-11-21T21:47:03.120Z",
        "edited_at": None,
        "deleted": False,
        "client_id": "c1",
        "mentions": [],
        "reactions": [],
        "event": None,
        "attachments": [],
        "parent_seq": None,
    }


def test_a_system_note_carries_its_event() -> None:
    event = {"kind": "joined", "user": {"username": "bob", "display_name": "Bob"}}

    payload = protocol.message_payload(_message(author=None, body="Bob joined.", client_id=None, event=event))

    assert (payload["author"], payload["body"], payload["event"]) == (None, "Bob joined.", event)


def test_a_tombstone_has_no_text_and_a_system_message_no_author() -> None:
    deleted = _message(deleted_at=datetime(2026, 11, 22, tzinfo=UTC), author=None)

    payload = protocol.message_payload(deleted)

    assert (payload["deleted"], payload["body"], payload["html"], payload["author"]) == (True, "", "", None)
    assert payload["event"] is None


def test_a_user_without_a_display_name_shows_the_username() -> None:
    from accounts.models import User

    assert protocol.user_payload(User(username="bob")) == {"username": "bob", "display_name": "bob"}


def test_a_room_summary() -> None:
    room = Room(slug="general", name="General", topic="all", last_seq=9, is_archived=True)
    membership = Membership(room=room, role="admin", last_read_seq=4)

    assert protocol.room_summary(room, membership) == {
        "slug": "general",
        "name": "General",
        "topic": "all",
        "private": False,
        "direct": False,
        "archived": True,
        "role": "admin",
        "last_seq": 9,
        "last_rev": 0,
        "last_read_seq": 4,
        "unread": 5,
        "mentions": 0,
        "muted": False,
        "thread_unread": 0,
        "can": ["leave", "manage_members", "manage_room", "mute"],
    }
    assert protocol.room_summary(room, membership, mentions=2)["mentions"] == 2
    # A non-member (a public room's preview) has nothing unread.
    assert protocol.room_summary(room, None)["unread"] == 0


def test_a_rate_limited_error_carries_retry_after() -> None:
    frame = protocol.error_frame(RateLimited(1.23456), "c1")

    assert (frame["type"], frame["code"], frame["retry_after"], frame["ref"]) == (
        "error",
        "rate_limited",
        1.235,
        "c1",
    )
    assert isinstance(frame["message"], str)


def test_frames_are_encoded_as_compact_utf8_json() -> None:
    assert protocol.encode({"type": "typing", "user": "zoë"}) == '{"type":"typing","user":"zoë"}'

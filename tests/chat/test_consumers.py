"""chat.consumers.ChatConsumer end to end through WebsocketCommunicator (PROTOCOL.md).

The consumer reaches the database from sync_to_async's worker thread, so these
tests commit for real (``transaction=True``); the channel layer is the in-memory one.
"""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import OperationalError, connections

from accounts.models import User
from chat import services
from chat.models import Membership, Message, Room
from chat.realtime import consumer as consumers
from tests.chat.conftest import Connect, socket_for
from tests.factories import MessageFactory, RoomFactory

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async


async def receive(ws: WebsocketCommunicator, count: int) -> list[dict[str, Any]]:
    return [await ws.receive_json_from() for _ in range(count)]


async def receive_by_type(ws: WebsocketCommunicator, count: int) -> dict[str, dict[str, Any]]:
    """``count`` frames keyed by type, for frames whose relative order is not specified."""
    frames = await receive(ws, count)
    by_type = {frame["type"]: frame for frame in frames}
    assert len(by_type) == count, frames
    return by_type


async def send(ws: WebsocketCommunicator, **frame: Any) -> None:
    await ws.send_json_to(frame)


async def closed_with(ws: WebsocketCommunicator) -> int:
    output = await ws.receive_output()
    assert output["type"] == "websocket.close", output
    return output["code"]


def stored_count(**filters: Any) -> int:
    return Message.objects.filter(**filters).count()


# Connecting ---------------------------------------------------------------------------


async def test_hello_describes_the_user_and_their_rooms(
    connect: Connect, alice: User, bob: User, public_room: Room, private_room: Room
) -> None:
    await db(MessageFactory)(room=public_room, author=alice)
    await db(MessageFactory)(room=public_room, author=alice)

    _ws, hello = await connect(bob)

    assert hello["user"] == {"username": "bob", "display_name": "Bob"}
    assert hello["server_time"].endswith("Z")
    rooms = {room["slug"]: room for room in hello["rooms"]}
    assert set(rooms) == {"general", "secret"}
    assert rooms["general"] == {
        "slug": "general",
        "name": "General",
        "topic": "",
        "private": False,
        "direct": False,
        "archived": False,
        "role": "member",
        "last_seq": 2,
        "last_rev": 0,
        "last_read_seq": 0,
        "unread": 2,
        "mentions": 0,
        "muted": False,
        "thread_unread": 0,
        "can": ["delete", "edit", "join", "leave", "mute", "react", "send", "upload"],
    }
    assert (rooms["secret"]["private"], rooms["secret"]["unread"]) == (True, 0)


async def test_hello_of_a_user_without_rooms(connect: Connect, carol: User, public_room: Room) -> None:
    _ws, hello = await connect(carol)

    assert hello["rooms"] == []


async def test_an_anonymous_socket_is_accepted_then_closed_with_4401(connect: Connect) -> None:
    ws, _hello = await connect(None)

    assert await closed_with(ws) == consumers.CLOSE_UNAUTHENTICATED == 4401


@pytest.mark.parametrize(
    ("origin", "accepted"),
    [
        ("http://localhost", True),
        ("http://localhost:80", True),
        ("http://127.0.0.1:8000", False),  # another host and port than the page's
        ("http://evil.example", False),
    ],
)
async def test_a_socket_from_another_origin_is_refused_at_the_handshake(
    alice: User, origin: str, accepted: bool
) -> None:
    ws = await socket_for(alice, origin=origin)

    connected, _code = await ws.connect()

    assert connected is accepted
    if accepted:
        assert (await ws.receive_json_from())["type"] == "hello"
    else:
        assert await ws.receive_nothing()  # the consumer never ran: no hello
    await ws.disconnect()
    await database_sync_to_async(connections.close_all)()


# send, ack, message ---------------------------------------------------------------------


async def test_a_message_reaches_every_socket_of_the_room_the_senders_too(
    connect: Connect, alice: User, bob: User, carol: User, public_room: Room
) -> None:
    alice_tab, _ = await connect(alice)
    alice_other_tab, _ = await connect(alice)
    bob_ws, _ = await connect(bob)
    carol_ws, _ = await connect(carol)

    await send(alice_tab, type="send", room="general", body="hi @bob", client_id="c1")

    frames = await receive_by_type(alice_tab, 2)
    message = frames["message"]["message"]
    assert frames["ack"] == {
        "type": "ack",
        "client_id": "c1",
        "room": "general",
        "seq": 1,
        "id": message["id"],
    }
    assert frames["message"]["room"] == "general"
    assert message["seq"] == 1
    assert message["body"] == "hi @bob"
    assert message["html"] == 'hi <span class="mention" data-username="bob">@bob</span>'
    assert message["author"] == {"username": "alice", "display_name": "Alice"}
    assert message["client_id"] == "c1"
    assert message["deleted"] is False
    assert await alice_other_tab.receive_json_from() == frames["message"]
    assert await bob_ws.receive_json_from() == frames["message"]
    assert await carol_ws.receive_nothing()
    assert await alice_tab.receive_nothing()
    assert await db(stored_count)() == 1


async def test_a_resend_gets_the_same_ack_and_makes_no_second_message(
    connect: Connect, alice: User, bob: User, public_room: Room
) -> None:
    alice_ws, _ = await connect(alice)
    bob_ws, _ = await connect(bob)

    await send(alice_ws, type="send", room="general", body="once", client_id="c1")
    await send(alice_ws, type="send", room="general", body="once", client_id="c1")

    frames = await receive(alice_ws, 3)
    acks = [frame for frame in frames if frame["type"] == "ack"]
    assert len(acks) == 2
    assert acks[0] == acks[1]
    assert [frame["type"] for frame in frames].count("message") == 1
    assert (await bob_ws.receive_json_from())["type"] == "message"
    assert await bob_ws.receive_nothing()
    assert await alice_ws.receive_nothing()
    assert await db(stored_count)() == 1


async def test_seqs_are_consecutive_across_senders(
    connect: Connect, alice: User, bob: User, public_room: Room
) -> None:
    alice_ws, _ = await connect(alice)
    bob_ws, _ = await connect(bob)

    acks = []
    for n in range(3):
        for ws, name in ((alice_ws, "a"), (bob_ws, "b")):
            await send(ws, type="send", room="general", body="hi", client_id=f"{name}{n}")
            frames = await receive_by_type(ws, 2)
            acks.append(frames["ack"]["seq"])
            other = bob_ws if ws is alice_ws else alice_ws
            assert (await other.receive_json_from())["type"] == "message"

    assert acks == [1, 2, 3, 4, 5, 6]


# history -----------------------------------------------------------------------------------


def _bulk_messages(room: Room, author: User, count: int) -> None:
    Message.objects.bulk_create(
        Message(room=room, seq=seq, author=author, body=f"m{seq}", html=f"m{seq}")
        for seq in range(1, count + 1)
    )
    Room.objects.filter(pk=room.pk).update(last_seq=count)


HISTORY_CASES = [
    ({}, [1, 2, 3, 4, 5], False),
    ({"limit": 2}, [4, 5], True),
    ({"before_seq": 4, "limit": 2}, [2, 3], True),
    ({"before_seq": 3, "limit": 2}, [1, 2], False),
    ({"after_seq": 1, "limit": 2}, [2, 3], True),
    ({"after_seq": 3}, [4, 5], False),
    ({"after_seq": 5}, [], False),
    ({"after_seq": 1, "before_seq": 4}, [2, 3], False),
]


async def test_history(connect: Connect, alice: User, bob: User, public_room: Room) -> None:
    await db(_bulk_messages)(public_room, alice, 5)
    ws, _ = await connect(bob)

    # One socket asks every page in turn (each case is one frame; a transactional test costs a flush).
    for bounds, seqs, has_more in HISTORY_CASES:
        await send(ws, type="history", room="general", **bounds)
        reply = await ws.receive_json_from()
        assert (reply["type"], reply["room"]) == ("history", "general"), bounds
        assert ([m["seq"] for m in reply["messages"]], reply["has_more"]) == (seqs, has_more), bounds


async def test_history_returns_at_most_100_messages(connect: Connect, alice: User, public_room: Room) -> None:
    await db(_bulk_messages)(public_room, alice, 120)
    ws, _ = await connect(alice)

    await send(ws, type="history", room="general", limit=1000)

    reply = await ws.receive_json_from()
    assert [m["seq"] for m in reply["messages"]] == list(range(21, 121))
    assert reply["has_more"] is True


async def test_history_of_a_public_room_is_open_to_a_non_member(
    connect: Connect, alice: User, carol: User, public_room: Room
) -> None:
    await db(_bulk_messages)(public_room, alice, 2)
    ws, _ = await connect(carol)

    await send(ws, type="history", room="general")

    assert [m["seq"] for m in (await ws.receive_json_from())["messages"]] == [1, 2]


# join and leave --------------------------------------------------------------------------------


async def test_join_a_public_room(
    connect: Connect, alice: User, bob: User, carol: User, public_room: Room
) -> None:
    alice_ws, _ = await connect(alice)
    carol_tab, _ = await connect(carol)
    carol_other_tab, _ = await connect(carol)

    await send(carol_tab, type="join", room="general")

    # The reply, and the room's news of a new member (in either order: the one comes
    # back from the database thread, the other from the hub).
    carol_heard = await receive_by_type(carol_tab, 2)
    joined = carol_heard["joined"]
    assert joined["room"]["slug"] == "general"
    assert (joined["room"]["role"], joined["room"]["last_seq"], joined["room"]["unread"]) == ("member", 1, 0)
    member_joined = {
        "type": "member_joined",
        "room": "general",
        "member": {"username": "carol", "display_name": "Carol", "role": "member"},
    }
    assert carol_heard["member_joined"] == member_joined
    note = await alice_ws.receive_json_from()
    assert note["type"] == "message"
    assert (note["message"]["author"], note["message"]["body"], note["message"]["seq"]) == (
        None,
        "Carol joined.",
        1,
    )
    assert await alice_ws.receive_json_from() == member_joined
    added = await carol_other_tab.receive_json_from()
    assert (added["type"], added["room"]["slug"]) == ("added", "general")
    assert await carol_other_tab.receive_json_from() == member_joined
    assert await carol_tab.receive_nothing()

    # Both of carol's sockets now hear the room.
    bob_ws, _ = await connect(bob)
    await send(bob_ws, type="send", room="general", body="welcome", client_id="c1")
    for ws in (carol_tab, carol_other_tab):
        frame = await ws.receive_json_from()
        assert (frame["type"], frame["message"]["body"]) == ("message", "welcome")


async def test_leave_a_room(connect: Connect, alice: User, bob: User, public_room: Room) -> None:
    alice_ws, _ = await connect(alice)
    bob_tab, _ = await connect(bob)
    bob_other_tab, _ = await connect(bob)

    await send(bob_tab, type="leave", room="general")

    assert await bob_tab.receive_json_from() == {"type": "left", "room": "general"}
    note = await alice_ws.receive_json_from()
    assert (note["type"], note["message"]["body"], note["message"]["author"]) == (
        "message",
        "Bob left.",
        None,
    )
    assert await alice_ws.receive_json_from() == {"type": "member_left", "room": "general", "username": "bob"}
    # The other tab is unsubscribed first, so the note never reaches it.
    assert await bob_other_tab.receive_json_from() == {"type": "removed", "room": "general"}
    assert await bob_other_tab.receive_nothing()
    assert not await db(Membership.objects.filter(room=public_room, user=bob).exists)()

    await send(alice_ws, type="send", room="general", body="gone?", client_id="c1")
    await receive_by_type(alice_ws, 2)
    assert await bob_tab.receive_nothing()
    assert await bob_other_tab.receive_nothing()


async def test_a_direct_conversation_cannot_be_left(connect: Connect, alice: User, bob: User) -> None:
    room = await db(services.direct_room_open)(user=alice, other=bob)
    ws, _ = await connect(alice)

    await send(ws, type="leave", room=room.slug)

    assert (await ws.receive_json_from())["code"] == "forbidden"


# typing, read -----------------------------------------------------------------------------------


async def test_typing_reaches_the_others_not_the_typist(
    connect: Connect, alice: User, bob: User, carol: User, public_room: Room
) -> None:
    alice_ws, _ = await connect(alice)
    bob_tab, _ = await connect(bob)
    bob_other_tab, _ = await connect(bob)
    carol_ws, _ = await connect(carol)

    await send(bob_tab, type="typing", room="general")

    assert await alice_ws.receive_json_from() == {"type": "typing", "room": "general", "user": "bob"}
    # Not to the typist: none of bob's tabs.
    assert await bob_tab.receive_nothing()
    assert await bob_other_tab.receive_nothing()
    assert await carol_ws.receive_nothing()
    assert await db(stored_count)() == 0


async def test_typing_in_a_room_the_socket_does_not_hear_is_not_found(
    connect: Connect, carol: User, public_room: Room
) -> None:
    ws, _ = await connect(carol)

    await send(ws, type="typing", room="general")

    assert (await ws.receive_json_from())["code"] == "not_found"


async def test_read_goes_to_the_users_other_sockets_only(
    connect: Connect, alice: User, bob: User, public_room: Room
) -> None:
    await db(_bulk_messages)(public_room, alice, 3)
    alice_ws, _ = await connect(alice)
    bob_tab, _ = await connect(bob)
    bob_other_tab, _ = await connect(bob)

    await send(bob_tab, type="read", room="general", seq=2)
    assert await bob_other_tab.receive_json_from() == {"type": "read", "room": "general", "seq": 2}

    await send(bob_tab, type="read", room="general", seq=99)  # clamped to the last seq
    assert await bob_other_tab.receive_json_from() == {"type": "read", "room": "general", "seq": 3}

    await send(bob_tab, type="read", room="general", seq=1)  # never back
    assert await bob_other_tab.receive_nothing()
    assert await bob_tab.receive_nothing()
    assert await alice_ws.receive_nothing()
    marker = await db(lambda: Membership.objects.get(room=public_room, user=bob).last_read_seq)()
    assert marker == 3


# edit and delete --------------------------------------------------------------------------------


async def test_edit_own_message(connect: Connect, alice: User, bob: User, public_room: Room) -> None:
    message = await db(MessageFactory)(room=public_room, author=bob, body="helo")
    alice_ws, _ = await connect(alice)
    bob_ws, _ = await connect(bob)

    await send(bob_ws, type="edit", room="general", seq=message.seq, body="hello")

    for ws in (alice_ws, bob_ws):
        frame = await ws.receive_json_from()
        assert (frame["type"], frame["room"]) == ("message_edited", "general")
        assert (frame["message"]["seq"], frame["message"]["body"]) == (1, "hello")
        assert frame["message"]["edited_at"] is not None


@pytest.mark.parametrize(("editor", "seq", "code"), [("alice", 1, "forbidden"), ("bob", 7, "not_found")])
async def test_an_edit_is_refused(
    connect: Connect, alice: User, bob: User, public_room: Room, editor: str, seq: int, code: str
) -> None:
    await db(MessageFactory)(room=public_room, author=bob, body="original")
    ws, _ = await connect({"alice": alice, "bob": bob}[editor])

    await send(ws, type="edit", room="general", seq=seq, body="changed")

    frame = await ws.receive_json_from()
    assert (frame["type"], frame["code"]) == ("error", code)
    assert await db(lambda: Message.objects.get().body)() == "original"


@pytest.mark.parametrize("deleter", ["author", "room_admin"])
async def test_delete_a_message(
    connect: Connect, alice: User, bob: User, public_room: Room, deleter: str
) -> None:
    await db(MessageFactory)(room=public_room, author=bob, body="oops")
    alice_ws, _ = await connect(alice)
    bob_ws, _ = await connect(bob)
    ws = bob_ws if deleter == "author" else alice_ws

    await send(ws, type="delete", room="general", seq=1)

    for each in (alice_ws, bob_ws):
        assert await each.receive_json_from() == {"type": "message_deleted", "room": "general", "seq": 1}
    message = await db(Message.objects.get)()
    assert (message.seq, message.body, message.is_deleted) == (1, "", True)


async def test_a_member_cannot_delete_anothers_message(
    connect: Connect, alice: User, bob: User, public_room: Room
) -> None:
    await db(MessageFactory)(room=public_room, author=alice, body="mine")
    ws, _ = await connect(bob)

    await send(ws, type="delete", room="general", seq=1)

    assert (await ws.receive_json_from())["code"] == "forbidden"
    assert await db(lambda: Message.objects.get().body)() == "mine"


async def test_ping_pong(connect: Connect, alice: User) -> None:
    ws, _ = await connect(alice)

    await send(ws, type="ping")

    assert await ws.receive_json_from() == {"type": "pong"}


# Changes pushed by the server -----------------------------------------------------------------


async def test_an_archived_room_is_pushed_and_then_refuses_messages(
    connect: Connect, alice: User, bob: User, public_room: Room
) -> None:
    alice_ws, _ = await connect(alice)
    bob_ws, _ = await connect(bob)

    await db(services.room_archive)(actor=alice, room=public_room)

    for ws, role in ((alice_ws, "admin"), (bob_ws, "member")):
        frame = await ws.receive_json_from()
        assert frame["type"] == "room_updated"
        assert (frame["room"]["slug"], frame["room"]["archived"], frame["room"]["role"]) == (
            "general",
            True,
            role,
        )

    await send(bob_ws, type="send", room="general", body="anyone?", client_id="c1")
    error = await bob_ws.receive_json_from()
    assert (error["type"], error["code"], error["ref"]) == ("error", "archived", "c1")
    assert await db(stored_count)() == 0


async def test_a_removed_member_hears_nothing_more_from_the_room(
    connect: Connect, alice: User, bob: User, private_room: Room
) -> None:
    alice_ws, _ = await connect(alice)
    bob_ws, _ = await connect(bob)
    membership = await db(Membership.objects.select_related("room", "user").get)(room=private_room, user=bob)

    await db(services.membership_remove)(actor=alice, membership=membership)

    # Unsubscribed before the "was removed" note goes out: bob never sees it.
    assert await bob_ws.receive_json_from() == {"type": "removed", "room": "secret"}
    assert await bob_ws.receive_nothing()

    await send(alice_ws, type="send", room="secret", body="now that bob is gone", client_id="c1")
    await receive(alice_ws, 3)  # the removal note, the ack, the message
    await send(alice_ws, type="typing", room="secret")
    assert await bob_ws.receive_nothing()

    await send(bob_ws, type="history", room="secret")
    assert (await bob_ws.receive_json_from())["code"] == "not_found"


async def test_an_added_member_hears_the_room_at_once(
    connect: Connect, alice: User, carol: User, private_room: Room
) -> None:
    alice_ws, _ = await connect(alice)
    carol_ws, _ = await connect(carol)

    await db(services.membership_add)(actor=alice, room=private_room, user=carol)

    added = await carol_ws.receive_json_from()
    assert added["type"] == "added"
    assert (added["room"]["slug"], added["room"]["private"], added["room"]["role"]) == (
        "secret",
        True,
        "member",
    )
    assert (await alice_ws.receive_json_from())["message"]["body"] == "Carol was added."
    for ws in (alice_ws, carol_ws):
        assert (await ws.receive_json_from())["type"] == "member_joined"

    await send(alice_ws, type="send", room="secret", body="welcome", client_id="c1")
    frame = await carol_ws.receive_json_from()
    assert (frame["type"], frame["message"]["body"]) == ("message", "welcome")


async def test_a_new_direct_conversation_is_added_to_both_sides(
    connect: Connect, alice: User, bob: User
) -> None:
    alice_ws, _ = await connect(alice)
    bob_ws, _ = await connect(bob)

    room = await db(services.direct_room_open)(user=alice, other=bob)

    assert (await alice_ws.receive_json_from())["room"]["name"] == "Bob"
    assert (await bob_ws.receive_json_from())["room"]["name"] == "Alice"
    await send(bob_ws, type="send", room=room.slug, body="psst", client_id="c1")
    assert (await alice_ws.receive_json_from())["message"]["body"] == "psst"


# Errors -------------------------------------------------------------------------------------


BAD_FRAMES = [
    ("not json", "bad_request"),
    ("[1, 2]", "bad_request"),
    ('"ping"', "bad_request"),
    ('{"room": "general"}', "bad_request"),
    ('{"type": "send", "room": "general", "client_id": "c1"}', "bad_request"),
    ('{"type": "send", "room": "general", "body": 5, "client_id": "c1"}', "bad_request"),
    ('{"type": "read", "room": "general", "seq": true}', "bad_request"),
    ('{"type": "read", "room": "general", "seq": -1}', "bad_request"),
    ('{"type": "history", "room": "general", "limit": "ten"}', "bad_request"),
    ('{"type": "shout", "room": "general"}', "unknown_type"),
]


async def test_a_bad_frame_gets_an_error_and_the_socket_stays_open(
    connect: Connect, alice: User, public_room: Room
) -> None:
    ws, _ = await connect(alice)

    for text, code in BAD_FRAMES:
        await ws.send_to(text_data=text)
        error = await ws.receive_json_from()
        assert (error["type"], error["code"]) == ("error", code), text
        assert isinstance(error["message"], str)

    await send(ws, type="ping")
    assert await ws.receive_json_from() == {"type": "pong"}
    assert await db(stored_count)() == 0


async def test_a_binary_frame_is_a_bad_request(connect: Connect, alice: User) -> None:
    ws, _ = await connect(alice)

    await ws.send_to(bytes_data=b'{"type": "ping"}')

    assert (await ws.receive_json_from())["code"] == "bad_request"
    await send(ws, type="ping")
    assert await ws.receive_json_from() == {"type": "pong"}


async def test_an_error_echoes_the_client_id_of_a_bad_frame(connect: Connect, alice: User) -> None:
    ws, _ = await connect(alice)

    await send(ws, type="send", room=["general"], body="hi", client_id="c-42")

    error = await ws.receive_json_from()
    assert (error["code"], error["ref"]) == ("bad_request", "c-42")


REFUSED_SENDS = [
    ("carol", "nowhere", "hi", "not_found"),
    ("carol", "secret", "hi", "not_found"),
    ("carol", "general", "hi", "forbidden"),
    ("bob", "general", "x" * 4001, "too_long"),
    ("bob", "general", "   ", "too_long"),
    ("bob", "general", "", "too_long"),
    ("bob", "old", "hi", "archived"),
]


async def test_a_refused_send_stores_nothing(
    connect: Connect, alice: User, bob: User, carol: User, public_room: Room, private_room: Room
) -> None:
    old = await db(RoomFactory)(slug="old", created_by=alice, is_archived=True)
    await db(Membership.objects.create)(room=old, user=bob)
    alice_ws, _ = await connect(alice)
    sockets = {"bob": (await connect(bob))[0], "carol": (await connect(carol))[0]}

    for n, (sender, room, body, code) in enumerate(REFUSED_SENDS):
        await send(sockets[sender], type="send", room=room, body=body, client_id=f"c{n}")
        error = await sockets[sender].receive_json_from()
        assert (error["type"], error["code"], error["ref"]) == ("error", code, f"c{n}"), (sender, room)

    assert await db(stored_count)() == 0
    assert await alice_ws.receive_nothing()


async def test_over_the_rate_limit_a_send_is_refused_and_nothing_stored(
    settings, connect: Connect, alice: User, bob: User, public_room: Room
) -> None:
    settings.CHAT_SEND_BURST = 1
    settings.CHAT_SEND_RATE = 0.01
    alice_ws, _ = await connect(alice)
    bob_ws, _ = await connect(bob)

    await send(bob_ws, type="send", room="general", body="one", client_id="c1")
    await receive_by_type(bob_ws, 2)
    await send(bob_ws, type="send", room="general", body="two", client_id="c2")

    error = await bob_ws.receive_json_from()
    assert (error["type"], error["code"], error["ref"]) == ("error", "rate_limited", "c2")
    assert error["retry_after"] > 0
    assert await db(stored_count)() == 1
    assert (await alice_ws.receive_json_from())["message"]["body"] == "one"
    assert await alice_ws.receive_nothing()


async def test_a_client_flooding_past_the_rate_limit_is_closed_with_4429(
    settings, monkeypatch, connect: Connect, bob: User, public_room: Room
) -> None:
    settings.CHAT_SEND_BURST = 1
    settings.CHAT_SEND_RATE = 0.01
    monkeypatch.setattr(consumers, "FLOOD_STRIKES", 3)
    ws, _ = await connect(bob)
    await send(ws, type="send", room="general", body="one", client_id="c0")
    await receive_by_type(ws, 2)

    for n in range(1, 4):
        await send(ws, type="send", room="general", body="again", client_id=f"c{n}")
        assert (await ws.receive_json_from())["code"] == "rate_limited"

    assert await closed_with(ws) == consumers.CLOSE_FLOODING == 4429


async def test_a_storage_failure_is_unavailable(
    monkeypatch, connect: Connect, alice: User, bob: User, public_room: Room
) -> None:
    def broken_storage(**kwargs: Any) -> None:
        raise OperationalError("database is locked")

    monkeypatch.setattr(services, "messages_create", broken_storage)
    alice_ws, _ = await connect(alice)
    ws, _ = await connect(bob)

    await send(ws, type="send", room="general", body="hi", client_id="c1")

    error = await ws.receive_json_from()
    assert (error["type"], error["code"], error["ref"]) == ("error", "unavailable", "c1")
    assert await db(stored_count)() == 0
    assert await alice_ws.receive_nothing()
    await send(ws, type="ping")
    assert await ws.receive_json_from() == {"type": "pong"}


async def test_a_frame_over_64_kib_closes_the_socket_with_1009(connect: Connect, alice: User) -> None:
    ws, _ = await connect(alice)

    await send(ws, type="send", room="general", body="x" * (64 * 1024), client_id="c1")

    assert await closed_with(ws) == consumers.CLOSE_TOO_BIG == 1009


async def test_the_64_kib_limit_counts_bytes_not_characters(connect: Connect, alice: User) -> None:
    ws, _ = await connect(alice)

    # 30,000 characters, 90,000 bytes of UTF-8.
    await ws.send_to(
        text_data='{"type":"send","room":"general","client_id":"c1","body":"' + "€" * 30_000 + '"}'
    )

    assert await closed_with(ws) == 1009


async def test_a_frame_under_64_kib_is_read(connect: Connect, alice: User, public_room: Room) -> None:
    ws, _ = await connect(alice)

    await send(ws, type="send", room="general", body="x" * 60_000, client_id="c1")

    error = await ws.receive_json_from()
    assert (error["code"], error["ref"]) == ("too_long", "c1")

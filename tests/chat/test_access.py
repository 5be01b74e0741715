"""Access that ends, ends on open sockets at once; every frame is bounded (issue 6).

Through the real ASGI application, as test_consumers.py does: logout, a new
password, deactivation and deletion close sockets with 4401; a membership that
disappears by cascade still sends ``removed``; every frame that writes or fans
out is rate limited; malformed input is ``bad_request`` with the socket open;
a user's sockets are capped.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from accounts.models import User
from chat import services
from chat.models import Message, Room
from chat.realtime import consumer as consumers
from tests.chat.conftest import Connect
from tests.chat.test_consumers import closed_with, send
from tests.factories import MessageFactory, RoomFactory

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async


async def session_socket(client: Client) -> WebsocketCommunicator:
    """A connected socket on ``client``'s session, its hello read."""
    from chatsite.asgi import application

    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    headers = [
        (b"origin", b"http://localhost"),
        (b"host", b"localhost"),
        (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()),
    ]
    ws = WebsocketCommunicator(application, "/ws/chat/", headers=headers)
    connected, _code = await ws.connect()
    assert connected
    assert (await ws.receive_json_from())["type"] == "hello"
    return ws


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


async def still_open(ws: WebsocketCommunicator) -> bool:
    await send(ws, type="ping")
    return (await ws.receive_json_from())["type"] == "pong"


# Access that ends -----------------------------------------------------------------------


async def test_logout_closes_that_sessions_sockets_only(bob: User, private_room: Room) -> None:
    laptop, phone = await db(signed_in)(bob), await db(signed_in)(bob)
    laptop_ws = await session_socket(laptop)
    phone_ws = await session_socket(phone)

    await db(laptop.post)("/accounts/logout/")

    assert await closed_with(laptop_ws) == consumers.CLOSE_UNAUTHENTICATED == 4401
    assert await still_open(phone_ws)
    await phone_ws.disconnect()


@pytest.mark.parametrize("change", ["password", "deactivated"])
async def test_a_new_password_or_deactivation_closes_all_the_users_sockets(
    connect: Connect, alice: User, bob: User, private_room: Room, change: str
) -> None:
    tab, _ = await connect(bob)
    other_tab, _ = await connect(bob)
    alice_ws, _ = await connect(alice)

    def apply() -> None:
        user = User.objects.get(pk=bob.pk)
        if change == "password":
            user.set_password("a brand new passphrase")
        else:
            user.is_active = False
        user.save()

    await db(apply)()

    assert await closed_with(tab) == 4401
    assert await closed_with(other_tab) == 4401
    assert await still_open(alice_ws)


async def test_saving_a_profile_or_signing_in_closes_nothing(connect: Connect, bob: User) -> None:
    tab, _ = await connect(bob)

    def apply() -> None:
        user = User.objects.get(pk=bob.pk)
        user.display_name = "Robert"
        user.save()
        signed_in(user)  # saves last_login

    await db(apply)()

    assert await still_open(tab)


async def test_a_deleted_user_hears_removed_for_each_room_then_is_closed(
    connect: Connect, alice: User, bob: User, public_room: Room, private_room: Room
) -> None:
    tab, _ = await connect(bob)

    await db(User.objects.filter(pk=bob.pk).delete)()

    removed = {(await tab.receive_json_from())["room"] for _ in range(2)}
    assert removed == {"general", "secret"}
    assert await closed_with(tab) == 4401


async def test_a_room_deleted_outside_the_services_still_sends_removed(
    connect: Connect, alice: User, bob: User, private_room: Room
) -> None:
    tab, _ = await connect(bob)

    await db(lambda: Room.objects.get(pk=private_room.pk).delete())()

    assert await tab.receive_json_from() == {"type": "removed", "room": "secret"}
    await send(tab, type="send", room="secret", body="still there?", client_id="c1")
    assert (await tab.receive_json_from())["code"] == "not_found"


async def test_leaving_through_the_service_sends_removed_once(
    connect: Connect, bob: User, public_room: Room
) -> None:
    asker, _ = await connect(bob)
    other_tab, _ = await connect(bob)

    await send(asker, type="leave", room="general")

    assert await asker.receive_json_from() == {"type": "left", "room": "general"}
    assert await other_tab.receive_json_from() == {"type": "removed", "room": "general"}
    assert await asker.receive_nothing()
    assert await other_tab.receive_nothing()


@pytest.mark.parametrize("lost", ["deactivated", "password", "session"])
async def test_access_lost_while_events_were_missed_is_caught_at_the_resync(
    connect: Connect, alice: User, bob: User, private_room: Room, lost: str
) -> None:
    from django.contrib.sessions.models import Session

    from chat import realtime
    from chat.realtime.envelope import ALL, RESYNC, Envelope

    bob_ws, _ = await connect(bob)
    alice_ws, _ = await connect(alice)

    def lose_access() -> None:  # behind the signals' back, as if their event was lost
        if lost == "deactivated":
            User.objects.filter(pk=bob.pk).update(is_active=False)
        elif lost == "password":
            User.objects.filter(pk=bob.pk).update(password="md5$changed$0")
        else:
            Session.objects.filter(session_data__isnull=False).exclude(
                session_key__in=[s.session_key for s in sockets_of(alice)]
            ).delete()

    def sockets_of(user: User) -> list[Any]:
        return [s for s in realtime.HUB.sockets() if s.user_id == user.pk]

    await db(lose_access)()
    realtime.publish(Envelope(op=RESYNC, audience=ALL))

    assert await closed_with(bob_ws) == 4401
    assert (await alice_ws.receive_json_from())["type"] == "resync"


# Rate limits ----------------------------------------------------------------------------


async def _posted(user: User, room: Room, count: int) -> list[int]:
    def make() -> list[int]:
        return [MessageFactory(room=room, author=user).seq for _ in range(count)]

    return await db(make)()


@pytest.mark.parametrize("action", ["edit", "delete", "read", "join", "leave"])
async def test_every_writing_frame_is_rate_limited(
    connect: Connect, alice: User, bob: User, action: str, settings: Any
) -> None:
    settings.CHAT_RATE_LIMITS = {**settings.CHAT_RATE_LIMITS, action: (0.001, 3)}
    room = await db(RoomFactory)(name="Busy", slug="busy", created_by=bob)
    seqs = await _posted(bob, room, 5)
    await db(RoomFactory)(name="Open", slug="open", created_by=alice)
    ws, _ = await connect(bob)
    frames = {
        "edit": lambda i: {"type": "edit", "room": "busy", "seq": seqs[i], "body": f"edit {i}"},
        "delete": lambda i: {"type": "delete", "room": "busy", "seq": seqs[i]},
        "read": lambda i: {"type": "read", "room": "busy", "seq": seqs[i]},
        "join": lambda i: {"type": "join", "room": "open"},
        "leave": lambda i: {"type": "leave", "room": "open"},
    }
    if action == "leave":
        await db(services.room_join)(user=bob, room_slug="open")

    errors = []
    for i in range(5):
        await send(ws, **frames[action](i))
        while not await ws.receive_nothing(timeout=0.2):
            frame = await ws.receive_json_from()
            if frame["type"] == "error":
                errors.append(frame)

    limited = [error for error in errors if error["code"] == "rate_limited"]
    assert len(limited) == 2  # a burst of 3, then nothing for a long while
    assert all(error["retry_after"] > 0 for error in limited)
    assert await still_open(ws)


async def test_typing_is_throttled_without_a_word(
    connect: Connect, alice: User, bob: User, public_room: Room
) -> None:
    alice_ws, _ = await connect(alice)
    bob_ws, _ = await connect(bob)

    for _ in range(200):
        await send(bob_ws, type="typing", room="general")
    assert await still_open(bob_ws)  # no error frame came before the pong, no 4429

    heard = 0
    while not await alice_ws.receive_nothing(timeout=0.2):
        assert (await alice_ws.receive_json_from())["type"] == "typing"
        heard += 1
    burst = settings.CHAT_RATE_LIMITS["typing"][1]
    assert 1 <= heard <= burst + 1


async def test_typing_in_an_archived_room_is_refused(connect: Connect, bob: User, public_room: Room) -> None:
    await db(Room.objects.filter(pk=public_room.pk).update)(is_archived=True)
    ws, _ = await connect(bob)

    await send(ws, type="typing", room="general")

    assert (await ws.receive_json_from())["code"] == "archived"


# Malformed input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '{"type": "send", "room": "general", "body": "a\\u0000b", "client_id": "c1"}',
        '{"type": "send", "room": "general", "body": "hi", "client_id": "c\\u0000"}',
        '{"type": "send", "room": "gen\\u0000eral", "body": "hi", "client_id": "c1"}',
        '{"type": "send", "room": "general", "body": "\\ud800", "client_id": "c1"}',
        '{"type": "edit", "room": "general", "seq": 1, "body": "x\\udfff"}',
        '{"type": "history", "room": "general", "before_seq": 9223372036854775808}',
        '{"type": "read", "room": "general", "seq": 1e400}',
        '{"type": "delete", "room": "general", "seq": 100000000000000000000000}',
        "[" * 30000,
        '{"a":' * 2000 + "1" + "}" * 2000,
    ],
    ids=[
        "nul-body",
        "nul-client-id",
        "nul-room",
        "lone-surrogate",
        "lone-low-surrogate",
        "seq-past-int64",
        "infinite-float",
        "huge-int",
        "deep-array",
        "deep-object",
    ],
)
async def test_malformed_frames_are_bad_request_and_the_socket_lives(
    connect: Connect, bob: User, public_room: Room, text: str, caplog: pytest.LogCaptureFixture
) -> None:
    ws, _ = await connect(bob)

    with caplog.at_level(logging.WARNING):
        await ws.send_to(text_data=text)
        error = await ws.receive_json_from()

    assert (error["type"], error["code"]) == ("error", "bad_request")
    assert await still_open(ws)
    assert await db(Message.objects.count)() == 0
    assert [record for record in caplog.records if record.levelno >= logging.WARNING] == []


# An edit racing a delete ----------------------------------------------------------------


def test_a_delete_landing_during_an_edit_wins(
    bob: User, public_room: Room, monkeypatch: pytest.MonkeyPatch, transactional_db: None
) -> None:
    from chat.services import messages

    message = MessageFactory(room=public_room, author=bob, body="original")
    published: list[str] = []
    monkeypatch.setattr("chat.realtime.publish", lambda envelope: published.append(envelope.frame))
    write = messages._write

    def write_then_delete(body: str, *args: Any) -> Any:
        # The edit has checked the message and rendered it, and is about to write: a delete lands now.
        monkeypatch.setattr(messages, "_write", write)
        services.message_delete(user=bob, room_slug="general", seq=message.seq)
        return write(body, *args)

    monkeypatch.setattr(messages, "_write", write_then_delete)

    with pytest.raises(services.messages.ChatError) as refused:
        services.message_edit(user=bob, room_slug="general", seq=message.seq, body="edited")

    assert refused.value.code == "not_found"
    stored = Message.objects.get(pk=message.pk)
    assert (stored.body, stored.html, stored.is_deleted, stored.edited_at) == ("", "", True, None)
    assert [frame.split('"type":"')[1].split('"')[0] for frame in published] == ["message_deleted"]


# Sockets per user -------------------------------------------------------------------------


async def test_the_oldest_socket_gives_way_past_the_cap(
    connect: Connect, bob: User, public_room: Room, settings: Any
) -> None:
    settings.CHAT_MAX_SOCKETS_PER_USER = 3
    tabs = [(await connect(bob))[0] for _ in range(3)]

    newest, hello = await connect(bob)

    assert hello is not None
    assert await closed_with(tabs[0]) == consumers.CLOSE_TOO_MANY == 4409
    for tab in [*tabs[1:], newest]:
        assert await still_open(tab)


async def test_the_room_hears_that_a_deleted_user_left(
    connect: Connect, alice: User, bob: User, private_room: Room
) -> None:
    alice_ws, _ = await connect(alice)

    await db(User.objects.filter(pk=bob.pk).delete)()

    assert await alice_ws.receive_json_from() == {"type": "member_left", "room": "secret", "username": "bob"}
    assert await alice_ws.receive_nothing()

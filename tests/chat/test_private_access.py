"""A private room does not exist for anyone outside it (docs/protocol.md, "join"; PROTOCOL.md, Errors).

An outsider (a signed-in user who is not a member) tries every client frame that
names a room, and every page that takes a room slug, against a private room and
against a direct conversation between two other people. Each answer must be the
same ``not_found`` (frame) or 404 (page) that a slug nobody uses gets, must carry
none of the room's secrets (its name, topic, message bodies, members' usernames and
display names) in its raw text, and must change nothing. An anonymous client is
sent to log in, without the secrets either. The outsider's socket hears nothing of
what happens inside.

The consumer reaches the database from sync_to_async's worker thread, so these
tests commit for real (``transaction=True``).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import reverse

from accounts.models import User
from chat import services
from chat.models import Membership, Message, Room
from tests.chat.conftest import Connect
from tests.factories import MessageFactory, RoomFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async

NOBODYS_SLUG = "no-room-has-this-slug"


@dataclasses.dataclass
class Hidden:
    """A room the outsider may not see, and everything about it that must not leak."""

    kind: str
    slug: str
    room_id: int
    insiders: list[User]
    outsider: User
    secrets: list[str]
    message_count: int
    membership_count: int


@pytest.fixture(params=["private-room", "direct-conversation"])
def hidden(request: pytest.FixtureRequest) -> Hidden:
    ophelia = UserFactory(username="insider-ophelia", display_name="Ophelia Quillfeather")
    quentin = UserFactory(username="insider-quentin", display_name="Quentin Marrowby")
    outsider = UserFactory(username="outsider-mallory", display_name="Mallory")
    secrets = [
        "insider-ophelia",
        "insider-quentin",
        "Ophelia Quillfeather",
        "Quentin Marrowby",
        "the vault code is 7731",
        "second whisper about Halcyon",
    ]
    if request.param == "private-room":
        room = RoomFactory(
            name="Skunkworks Vesper",
            slug="skunkworks",
            topic="acquisition of Halcyon Ltd",
            created_by=ophelia,
            is_private=True,
        )
        Membership.objects.create(room=room, user=quentin)
        secrets += ["Skunkworks Vesper", "acquisition of Halcyon Ltd"]
    else:
        room = services.direct_room_open(user=ophelia, other=quentin)
    MessageFactory(room=room, author=ophelia, body="the vault code is 7731")
    MessageFactory(room=room, author=quentin, body="second whisper about Halcyon")
    # The outsider is a member elsewhere, so their socket hears a room of its own.
    RoomFactory(name="Lobby", slug="lobby", created_by=outsider)
    return Hidden(
        kind=request.param,
        slug=room.slug,
        room_id=room.pk,
        insiders=[ophelia, quentin],
        outsider=outsider,
        secrets=secrets,
        message_count=Message.objects.filter(room=room).count(),
        membership_count=Membership.objects.filter(room=room).count(),
    )


def leaked(text: str, hidden: Hidden) -> list[str]:
    return [secret for secret in hidden.secrets if secret.lower() in text.lower()]


def unchanged(hidden: Hidden) -> list[str]:
    """What the outsider's attempts changed in the hidden room (nothing, if all is well)."""
    room = Room.objects.get(pk=hidden.room_id)
    problems = []
    if Membership.objects.filter(room=room, user=hidden.outsider).exists():
        problems.append("the outsider became a member")
    if Membership.objects.filter(room=room).count() != hidden.membership_count:
        problems.append("the members changed")
    messages = list(Message.objects.filter(room=room).order_by("seq"))
    if len(messages) != hidden.message_count:
        problems.append(f"{len(messages)} messages, not {hidden.message_count}")
    if messages[0].body != "the vault code is 7731" or messages[0].edited_at is not None:
        problems.append("message 1 was edited")
    if any(message.deleted_at is not None for message in messages):
        problems.append("a message was deleted")
    return problems


# Frames ------------------------------------------------------------------------------------

# Every client frame that names a room (docs/protocol.md), with ``{room}`` for the slug.
ROOM_FRAMES = [
    pytest.param({"type": "send", "body": "let me in", "client_id": "outsider-1"}, id="send"),
    pytest.param({"type": "history"}, id="history"),
    pytest.param({"type": "history", "after_seq": 0, "limit": 100}, id="history-after"),
    pytest.param({"type": "history", "before_seq": 3, "limit": 1}, id="history-before"),
    pytest.param({"type": "join"}, id="join"),
    pytest.param({"type": "leave"}, id="leave"),
    pytest.param({"type": "read", "seq": 1}, id="read"),
    pytest.param({"type": "typing"}, id="typing"),
    pytest.param({"type": "edit", "seq": 1, "body": "defaced"}, id="edit-existing-message"),
    pytest.param({"type": "edit", "seq": 99, "body": "defaced"}, id="edit-missing-message"),
    pytest.param({"type": "delete", "seq": 1}, id="delete-existing-message"),
    pytest.param({"type": "delete", "seq": 99}, id="delete-missing-message"),
]


async def answer_to(ws: WebsocketCommunicator, frame: dict[str, Any]) -> str:
    """The raw text of the one frame that answers ``frame``, read up to a pong."""
    await ws.send_to(text_data=json.dumps(frame))
    await ws.send_to(text_data='{"type": "ping"}')
    texts = []
    while True:
        text = await ws.receive_from(timeout=10)
        if json.loads(text) == {"type": "pong"}:
            break
        texts.append(text)
    assert len(texts) == 1, f"{frame} got {texts}"
    return texts[0]


@pytest.mark.parametrize("frame", ROOM_FRAMES)
async def test_every_room_frame_from_an_outsider_is_not_found_and_reveals_nothing(
    connect: Connect, hidden: Hidden, frame: dict[str, Any]
) -> None:
    insider_ws, _ = await connect(hidden.insiders[1])
    ws, hello = await connect(hidden.outsider)
    assert hidden.slug not in json.dumps(hello)
    assert leaked(json.dumps(hello), hidden) == []

    text = await answer_to(ws, {**frame, "room": hidden.slug})

    answer = json.loads(text)
    assert (answer["type"], answer["code"]) == ("error", "not_found"), text
    assert leaked(text, hidden) == [], text
    if frame["type"] == "send":
        assert answer["ref"] == frame["client_id"]
    # Word for word what a slug nobody uses gets: nothing tells the two apart.
    nobodys = await answer_to(ws, {**frame, "room": NOBODYS_SLUG})
    assert text.replace(hidden.slug, "ROOM") == nobodys.replace(NOBODYS_SLUG, "ROOM")
    assert await db(unchanged)(hidden) == []
    # The insiders heard nothing of it (no typing, no system message, no edit).
    await insider_ws.send_to(text_data='{"type": "ping"}')
    assert await insider_ws.receive_json_from(timeout=10) == {"type": "pong"}


async def test_an_outsiders_socket_hears_nothing_from_inside(connect: Connect, hidden: Hidden) -> None:
    ophelia, quentin = hidden.insiders
    outsider_ws, _ = await connect(hidden.outsider)
    ophelia_ws, _ = await connect(ophelia)
    quentin_ws, _ = await connect(quentin)

    async def quentin_hears(kind: str) -> dict[str, Any]:
        frame = await quentin_ws.receive_json_from(timeout=10)
        assert frame["type"] == kind, frame
        return frame

    await ophelia_ws.send_json_to(
        {"type": "send", "room": hidden.slug, "body": "the vault code is 7731", "client_id": "in-1"}
    )
    seq = (await quentin_hears("message"))["message"]["seq"]
    await ophelia_ws.send_json_to({"type": "typing", "room": hidden.slug})
    await quentin_hears("typing")
    await ophelia_ws.send_json_to(
        {"type": "edit", "room": hidden.slug, "seq": seq, "body": "second whisper about Halcyon"}
    )
    await quentin_hears("message_edited")
    await ophelia_ws.send_json_to({"type": "delete", "room": hidden.slug, "seq": seq})
    await quentin_hears("message_deleted")
    if hidden.kind == "private-room":
        room = await db(Room.objects.get)(pk=hidden.room_id)
        await db(services.room_update)(actor=ophelia, room=room, topic="acquisition of Halcyon Ltd, phase 2")
        await quentin_hears("room_updated")
        await db(services.membership_add)(
            actor=ophelia, room=room, user=await db(UserFactory)(username="insider-rosalind")
        )
        await quentin_hears("message")  # the system message about the new member

    # Everything above reached quentin's socket, and the outsider's would have had it by then.
    await outsider_ws.send_to(text_data='{"type": "ping"}')
    text = await outsider_ws.receive_from(timeout=10)
    assert json.loads(text) == {"type": "pong"}, f"the outsider heard {text}"


# Pages -------------------------------------------------------------------------------------

# Every page that takes a room slug (chat/urls.py), with the method it answers to.
ROOM_PAGES = [
    pytest.param("chat:room", "get", {}, id="room-page-get"),
    pytest.param("chat:room", "post", {}, id="room-page-post"),
    pytest.param("chat:room_join", "post", {}, id="join-post"),
    pytest.param("chat:room_leave", "post", {}, id="leave-post"),
    pytest.param("chat:member_add", "post", {"username": "outsider-mallory"}, id="add-self-as-member"),
    pytest.param("chat:member_add", "post", {"username": "insider-quentin"}, id="add-an-insider"),
]


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize(("name", "method", "data"), ROOM_PAGES)
def test_every_room_page_is_a_404_to_an_outsider_and_reveals_nothing(
    hidden: Hidden, name: str, method: str, data: dict[str, str]
) -> None:
    client = client_for(hidden.outsider)

    response = getattr(client, method)(reverse(name, args=[hidden.slug]), data)

    assert response.status_code == 404
    text = response.content.decode()
    assert leaked(text, hidden) == []
    assert leaked(json.dumps(dict(response.headers)), hidden) == []
    nobodys = getattr(client, method)(reverse(name, args=[NOBODYS_SLUG]), data)
    assert nobodys.status_code == 404
    assert text.replace(hidden.slug, "ROOM") == nobodys.content.decode().replace(NOBODYS_SLUG, "ROOM")
    assert unchanged(hidden) == []


@pytest.mark.parametrize(("name", "method", "data"), ROOM_PAGES)
def test_every_room_page_sends_an_anonymous_client_to_log_in(
    hidden: Hidden, name: str, method: str, data: dict[str, str]
) -> None:
    url = reverse(name, args=[hidden.slug])

    response = getattr(client_for(None), method)(url, data)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"
    assert leaked(response.content.decode(), hidden) == []
    assert unchanged(hidden) == []


def test_the_outsiders_room_list_does_not_show_it(hidden: Hidden) -> None:
    response = client_for(hidden.outsider).get(reverse("chat:index"))

    assert response.status_code == 200
    text = response.content.decode()
    assert hidden.slug not in text
    assert leaked(text, hidden) == []


def test_the_outsiders_own_room_page_does_not_show_it(hidden: Hidden) -> None:
    response = client_for(hidden.outsider).get(reverse("chat:room", args=["lobby"]))

    assert response.status_code == 200
    text = response.content.decode()
    assert hidden.slug not in text
    assert leaked(text, hidden) == []


async def test_an_anonymous_socket_is_closed_before_it_can_ask(connect: Connect, hidden: Hidden) -> None:
    ws, _ = await connect(None)

    output = await ws.receive_output(timeout=10)

    assert output == {"type": "websocket.close", "code": 4401}

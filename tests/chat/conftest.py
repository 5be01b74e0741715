"""Fixtures for the chat tests: three users, a public and a private room, and sockets.

alice created both rooms (so she is their room admin); bob is a plain member
of both; carol is in neither.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connections
from django.test import Client

from accounts.models import User
from chat import realtime
from chat.models import Room
from chat.realtime.envelope import Envelope
from tests.factories import MembershipFactory, RoomFactory, UserFactory


@pytest.fixture
def alice() -> User:
    return UserFactory(username="alice", display_name="Alice")


@pytest.fixture
def bob() -> User:
    return UserFactory(username="bob", display_name="Bob")


@pytest.fixture
def carol() -> User:
    return UserFactory(username="carol", display_name="Carol")


@pytest.fixture
def public_room(alice: User, bob: User) -> Room:
    room = RoomFactory(name="General", slug="general", created_by=alice)
    MembershipFactory(room=room, user=bob)
    return room


@pytest.fixture
def private_room(alice: User, bob: User) -> Room:
    room = RoomFactory(name="Secret", slug="secret", created_by=alice, is_private=True)
    MembershipFactory(room=room, user=bob)
    return room


def _session_cookie(user: User) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


async def socket_for(
    user: User | None, *, origin: str = "http://localhost", headers: dict[str, str] | None = None
) -> WebsocketCommunicator:
    """A socket to the real ASGI application, with the user's session cookie (and any
    other ``headers``); not connected yet."""
    from chatsite.asgi import application

    sent = [
        (b"origin", origin.encode()),
        (b"host", b"localhost"),
        *((name.lower().encode(), value.encode()) for name, value in (headers or {}).items()),
    ]
    if user is not None:
        cookie = await sync_to_async(_session_cookie)(user)
        sent.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    return WebsocketCommunicator(application, "/ws/chat/", headers=sent)


Connect = Callable[..., Awaitable[tuple[WebsocketCommunicator, dict[str, Any] | None]]]


@pytest.fixture
async def connect() -> AsyncIterator[Connect]:
    """``await connect(user)`` opens a logged-in socket and returns it with its hello.

    ``user=None`` opens an anonymous socket (accepted, so its hello is None); ``origin``
    overrides the Origin header; ``headers`` adds others (Accept-Language, say). Every
    socket opened here is closed after the test.
    """
    opened: list[WebsocketCommunicator] = []

    async def _connect(
        user: User | None, *, origin: str = "http://localhost", headers: dict[str, str] | None = None
    ) -> tuple[WebsocketCommunicator, dict[str, Any] | None]:
        communicator = await socket_for(user, origin=origin, headers=headers)
        opened.append(communicator)
        connected, _code = await communicator.connect()
        assert connected, "the handshake was refused"
        if user is None:
            return communicator, None
        hello = await communicator.receive_json_from()
        assert hello["type"] == "hello"
        return communicator, hello

    yield _connect
    for communicator in opened:
        # Some were closed already, by the test or by the server.
        with contextlib.suppress(Exception):
            await communicator.disconnect()
    # The consumers used the database from sync_to_async's worker thread; close that
    # thread's connections, or PostgreSQL cannot drop the test database at the end.
    await sync_to_async(connections.close_all)()


class EventListener:
    """Hears the events published to some audiences ("room.<id>", "user.<id>"), as the
    hub of a process would, for tests that call services directly."""

    def __init__(self, audiences: tuple[str, ...], monkeypatch: pytest.MonkeyPatch) -> None:
        self.audiences = {tuple(audience.split(".")) for audience in audiences}
        self.heard: list[Envelope] = []
        original = realtime.publish

        def publish(envelope: Envelope) -> None:
            if (envelope.audience, str(envelope.target)) in self.audiences:
                self.heard.append(envelope)
            original(envelope)

        monkeypatch.setattr(realtime, "publish", publish)

    def events(self) -> list[dict[str, Any]]:
        """Every event heard so far, as a dict with its operation as ``type`` (and consume them)."""
        heard, self.heard = self.heard, []
        return [{**dataclasses.asdict(envelope), "type": envelope.op} for envelope in heard]

    def frames(self) -> list[tuple[str, dict[str, Any]]]:
        """(operation, decoded frame) for every event heard so far."""
        return [(event["type"], json.loads(event["frame"])) for event in self.events()]


@pytest.fixture
def listen(monkeypatch: pytest.MonkeyPatch) -> Callable[..., EventListener]:
    """``listen("room.1", "user.2")`` hears what is published to those audiences."""
    return lambda *audiences: EventListener(audiences, monkeypatch)

"""Fixtures for the chat tests: three users, a public and a private room, and sockets.

alice created both rooms (so she is their room admin); bob is a plain member
of both; carol is in neither.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connections
from django.test import Client

from accounts.models import User
from chat import ratelimit
from chat.models import Room
from tests.factories import MembershipFactory, RoomFactory, UserFactory

# Until tests/conftest.py (the lead's) resets these for the whole suite, reset
# them here: a bucket or a group left over from one test must not leak into the next.
@pytest.fixture(autouse=True)
def _fresh_rate_limits_and_channel_layer() -> Iterator[None]:
    ratelimit.buckets().reset()
    async_to_sync(get_channel_layer().flush)()
    yield
    ratelimit.buckets().reset()
    async_to_sync(get_channel_layer().flush)()


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


Connect = Callable[..., Awaitable[tuple[WebsocketCommunicator, dict[str, Any] | None]]]


@pytest.fixture
async def connect() -> AsyncIterator[Connect]:
    """``await connect(user)`` opens a logged-in socket and returns it with its hello.

    ``user=None`` opens an anonymous socket; ``origin`` overrides the Origin header.
    Every socket opened here is closed after the test.
    """
    from chatsite.asgi import application

    opened: list[WebsocketCommunicator] = []

    async def _connect(
        user: User | None, *, origin: str = "http://localhost"
    ) -> tuple[WebsocketCommunicator, dict[str, Any] | None]:
        headers = [(b"origin", origin.encode()), (b"host", b"localhost")]
        if user is not None:
            cookie = await sync_to_async(_session_cookie)(user)
            headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
        communicator = WebsocketCommunicator(application, "/ws/chat/", headers=headers)
        opened.append(communicator)
        connected, _code = await communicator.connect()
        if not connected or user is None:
            return communicator, None
        hello = await communicator.receive_json_from()
        assert hello["type"] == "hello"
        return communicator, hello

    yield _connect
    for communicator in opened:
        try:
            await communicator.disconnect()
        except Exception:  # noqa: S110 - already closed by the test or the server
            pass
    # The consumers used the database from sync_to_async's worker thread; close that
    # thread's connections, or PostgreSQL cannot drop the test database at the end.
    await sync_to_async(connections.close_all)()

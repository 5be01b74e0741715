"""Presence in one process: who has an open socket, told to the members of each room."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator

from accounts.models import User
from chat import realtime
from chat.models import Room
from chat.realtime.presence import RedisStore

pytestmark = [pytest.mark.django_db(transaction=True)]

PREFIX = f"test-presence-{uuid.uuid4().hex[:8]}"


@pytest.fixture(autouse=True)
def _presence_on(settings: Any) -> None:
    settings.CHAT_PRESENCE = True
    settings.CHAT_PRESENCE_GRACE = 0


@pytest.fixture(autouse=True)
async def _stop_runtime() -> Any:
    yield
    await realtime.shutdown()


async def next_presence(socket: WebsocketCommunicator, room: str, timeout: float = 3.0) -> list[str]:
    """The next presence frame for ``room``, skipping other frames."""
    async with asyncio.timeout(timeout):
        while True:
            frame = await socket.receive_json_from(timeout=timeout)
            if frame["type"] == "presence" and frame["room"] == room:
                return frame["online"]


async def test_a_socket_is_told_who_is_online_in_each_of_its_rooms(
    connect, alice, bob, public_room, private_room
):
    alice_socket, _hello = await connect(alice)
    lists = {}
    for _ in range(2):
        frame = await alice_socket.receive_json_from(timeout=3)
        assert frame["type"] == "presence"
        lists[frame["room"]] = frame["online"]
    assert lists == {"general": ["alice"], "secret": ["alice"]}


async def test_members_see_each_other_come_and_go(connect, alice, bob, public_room):
    alice_socket, _ = await connect(alice)
    assert await next_presence(alice_socket, "general") == ["alice"]
    bob_socket, _ = await connect(bob)
    assert await next_presence(bob_socket, "general") == ["alice", "bob"]
    assert await next_presence(alice_socket, "general") == ["alice", "bob"]

    await bob_socket.disconnect()
    assert await next_presence(alice_socket, "general") == ["alice"]


async def test_a_user_is_online_while_any_of_their_sockets_is_open(connect, alice, bob, public_room):
    alice_socket, _ = await connect(alice)
    assert await next_presence(alice_socket, "general") == ["alice"]
    first, _ = await connect(bob)
    second, _ = await connect(bob)
    assert await next_presence(alice_socket, "general") == ["alice", "bob"]

    await first.disconnect()
    assert await alice_socket.receive_nothing(timeout=0.5)
    await second.disconnect()
    assert await next_presence(alice_socket, "general") == ["alice"]


async def test_a_reload_within_the_grace_does_not_show_the_user_offline(
    connect, settings, alice, bob, public_room
):
    settings.CHAT_PRESENCE_GRACE = 1.5
    alice_socket, _ = await connect(alice)
    assert await next_presence(alice_socket, "general") == ["alice"]
    bob_socket, _ = await connect(bob)
    assert await next_presence(alice_socket, "general") == ["alice", "bob"]

    await bob_socket.disconnect()
    await connect(bob)  # the page came back
    assert await alice_socket.receive_nothing(timeout=2.0)


async def test_presence_goes_only_to_members_and_names_only_members(connect, alice, bob, carol, private_room):
    alice_socket, _ = await connect(alice)
    assert await next_presence(alice_socket, "secret") == ["alice"]
    carol_socket, _ = await connect(carol)
    # carol is online, but not a member of #secret: alice hears nothing of her,
    # and carol hears nothing of #secret.
    assert await alice_socket.receive_nothing(timeout=0.5)
    await connect(bob)
    assert await next_presence(alice_socket, "secret") == ["alice", "bob"]
    assert await carol_socket.receive_nothing(timeout=0.5)


async def test_joining_a_room_updates_its_list_for_everyone(connect, alice, carol, public_room):
    alice_socket, _ = await connect(alice)
    assert await next_presence(alice_socket, "general") == ["alice"]
    carol_socket, _ = await connect(carol)
    await carol_socket.send_json_to({"type": "join", "room": "general"})
    assert await next_presence(alice_socket, "general") == ["alice", "carol"]
    assert await next_presence(carol_socket, "general") == ["alice", "carol"]

    await carol_socket.send_json_to({"type": "leave", "room": "general"})
    assert await next_presence(alice_socket, "general") == ["alice"]


async def test_presence_can_be_turned_off(connect, settings, alice, public_room):
    settings.CHAT_PRESENCE = False
    alice_socket, _ = await connect(alice)
    assert await alice_socket.receive_nothing(timeout=0.5)


# The shared store, on a real Redis ----------------------------------------------


def _store(redis_url: str, process_id: str, ttl: float = 10.0) -> RedisStore:
    return RedisStore(redis_url, PREFIX, process_id, ttl)


@pytest.mark.django_db(transaction=False)
async def test_processes_share_who_is_online_through_redis(redis_url):
    one, two = _store(redis_url, "one"), _store(redis_url, "two")
    try:
        assert await one.sync({1, 2}) == {1, 2}
        assert await two.sync({3}) == {1, 2, 3}
        assert await one.sync({2}) == {2, 3}  # user 1 closed their last socket on "one"
        assert await two.sync({3}) == {2, 3}
        await one.close()  # a clean shutdown takes its users out at once
        assert await two.sync({3}) == {3}
    finally:
        await two.close()


@pytest.mark.django_db(transaction=False)
async def test_the_users_of_a_process_that_died_go_offline_when_their_entries_expire(redis_url):
    dead, alive = _store(redis_url, "dead", ttl=1.0), _store(redis_url, "alive", ttl=1.0)
    try:
        await dead.sync({7})
        assert await alive.sync(set()) == {7}
        # "dead" never renews again.
        await asyncio.sleep(1.2)
        assert await alive.sync(set()) == set()
    finally:
        await alive.close()
        await dead.client.aclose()


@pytest.mark.django_db(transaction=False)
async def test_without_redis_a_process_shows_what_it_knows(redis_url):
    store = RedisStore("redis://127.0.0.1:1/0", "test-presence-down", "lonely", 10.0)
    try:
        assert await store.sync({4}) == {4}
    finally:
        await store.close()


def test_presence_is_per_member_list(alice: User, public_room: Room) -> None:
    from chat.realtime.presence import _online_members

    assert _online_members([public_room.pk], {alice.pk}, 10) == {public_room.pk: ["alice"]}
    assert _online_members([public_room.pk], set(), 10) == {public_room.pk: []}
    # A room over the size limit is left out (public_room has alice and bob).
    assert _online_members([public_room.pk], {alice.pk}, 1) == {}


async def test_a_room_over_the_size_limit_gets_no_presence(
    connect, settings, alice, bob, public_room, private_room
):
    settings.CHAT_PRESENCE_MAX_MEMBERS = 1  # both rooms have two members
    alice_socket, _ = await connect(alice)
    await connect(bob)
    assert await alice_socket.receive_nothing(timeout=1.0)

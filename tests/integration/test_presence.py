"""Presence across server processes: a user is online while one of their sockets
is open anywhere, and offline once the process holding their last one dies,
without that process saying so (its entries in Redis expire)."""

from __future__ import annotations

import asyncio

import pytest

from tests.live import Deployment, recv_until, signed_in, ws_connect

pytestmark = pytest.mark.integration

TTL = 3  # seconds; production's default is 20


async def presence_until(ws, room: str, wanted: list[str], timeout: float) -> None:
    """Read frames until ``room``'s presence list is exactly ``wanted``."""
    async with asyncio.timeout(timeout):
        while True:
            frame = await recv_until(ws, "presence", room=room)
            if sorted(frame["online"]) == sorted(wanted):
                return


async def test_presence_crosses_servers_and_a_killed_server_s_users_go_offline():
    deployment = Deployment(env={"CHAT_PRESENCE_TTL": str(TTL), "CHAT_PRESENCE_GRACE": "0"}).members(2)
    first, second = deployment.servers
    room = deployment.room
    alice, bob = deployment.users
    try:
        ws_alice = await ws_connect(first, signed_in(first.url, alice))
        await recv_until(ws_alice, "hello")
        await presence_until(ws_alice, room, [alice["username"]], timeout=10)

        ws_bob = await ws_connect(second, signed_in(second.url, bob))
        await recv_until(ws_bob, "hello")
        both = [alice["username"], bob["username"]]
        await presence_until(ws_bob, room, both, timeout=10)
        await presence_until(ws_alice, room, both, timeout=10)

        # The server holding bob's socket dies: no close, no goodbye to Redis.
        second.kill()
        loop = asyncio.get_running_loop()
        killed_at = loop.time()
        await presence_until(ws_alice, room, [alice["username"]], timeout=TTL + 10)
        # Offline after the entries expired (and not before: nobody said bob left).
        assert loop.time() - killed_at >= TTL * 0.5
        await ws_alice.close()
    finally:
        deployment.stop()

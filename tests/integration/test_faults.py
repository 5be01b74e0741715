"""The delivery promise under real faults: real server processes, a real Redis that is
killed and paused, servers killed and stopped, and protocol clients (tests/chatclient.py).

    Every message acknowledged to its sender is stored, and every member's open
    client shows it exactly once, in seq order, without a reload, within a few
    seconds of the failed part coming back.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator

import pytest

from tests.chatclient import ChatClient, until
from tests.live import (
    Deployment,
    HttpSession,
    http_get,
    recv_until,
    send,
    signed_in,
    ws_connect,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def deployment() -> Iterator[Deployment]:
    deployment = Deployment(env={"CHAT_SEND_RATE": "500", "CHAT_SEND_BURST": "500"})
    yield deployment
    deployment.stop()


def room_with(deployment: Deployment, count: int) -> tuple[str, list[HttpSession]]:
    """A fresh room and ``count`` signed-in members of it (alternating servers)."""
    deployment.members(count)
    sessions = [signed_in(deployment.servers[n % 2].url, user) for n, user in enumerate(deployment.users)]
    return deployment.room, sessions


def connect(
    deployment: Deployment, sessions: list[HttpSession], clients: list[ChatClient], *, pin: bool = True
):
    """One client per session; with ``pin``, client n stays on server n % 2."""
    for n, session in enumerate(sessions):
        servers = [deployment.servers[n % 2]] if pin else deployment.servers
        clients.append(ChatClient(session, servers).start())
    return clients


def assert_all_shown_once_in_order(clients: list[ChatClient], room: str) -> None:
    acked = {client_id: seq for c in clients for client_id, (r, seq) in c.acked.items() if r == room}
    top = max(acked.values())
    for client in clients:
        assert client.missing(room, top) == [], client.name
        by_client_id = {m["client_id"]: seq for seq, m in client.shown[room].items() if m["client_id"]}
        for client_id, seq in acked.items():
            assert by_client_id.get(client_id) == seq, (client.name, client_id)


async def test_redis_killed_mid_conversation(deployment: Deployment, clients: list[ChatClient]) -> None:
    room, sessions = room_with(deployment, 4)
    connect(deployment, sessions, clients)
    await until(lambda: all(c.ready.is_set() for c in clients))

    async def talk(tag: str, count: int) -> None:
        for n in range(count):
            for client in clients:
                await client.send(room, f"{tag} {n} from {client.name}")
            await asyncio.sleep(0.05)

    await talk("before", 3)
    deployment.redis.kill()
    await talk("during", 5)
    # Sends are stored and acknowledged while Redis is down, and no socket was closed.
    await until(lambda: all(not c.pending for c in clients), timeout=20)
    assert all(c.stats.connects == 1 for c in clients)
    deployment.redis.start()
    await talk("after", 3)

    await until(lambda: all(not c.pending for c in clients), timeout=20)
    top = max(seq for c in clients for _room, seq in c.acked.values())
    await until(lambda: all(not c.missing(room, top) for c in clients), timeout=20)
    assert_all_shown_once_in_order(clients, room)
    assert all(c.stats.connects == 1 for c in clients), [c.stats for c in clients]
    # Clients often catch up by filling gaps first; the resync comes once the bus has
    # resubscribed (after a backoff of up to 2 s).
    await until(lambda: any(c.stats.resyncs for c in clients), timeout=20)


async def test_a_paused_redis_does_not_stall_other_sockets(
    deployment: Deployment, clients: list[ChatClient]
) -> None:
    room, sessions = room_with(deployment, 2)
    connect(deployment, sessions, clients)
    await until(lambda: all(c.ready.is_set() for c in clients))
    other = HttpSession(deployment.servers[0].url).signup(f"other{uuid.uuid4().hex[:6]}")
    quiet_room = other.create_room(f"Quiet {uuid.uuid4().hex[:6]}")
    probe = await ws_connect(deployment.servers[0], other)
    await recv_until(probe, "hello")

    deployment.redis.pause()
    try:
        for client in clients:
            await client.send(room, f"paused from {client.name}")
        # Unrelated requests on another socket, and pages, answer while Redis is stopped.
        for _ in range(3):
            await send(probe, {"type": "ping"})
            await recv_until(probe, "pong", timeout=1.0)
            await send(probe, {"type": "history", "room": quiet_room})
            await recv_until(probe, "history", timeout=1.0)
            status, _body = await asyncio.wait_for(asyncio.to_thread(other.get, f"/r/{quiet_room}/"), 1.0)
            assert status == 200
        await until(lambda: all(not c.pending for c in clients), timeout=10)
        await asyncio.sleep(8)  # 10 s paused in all
    finally:
        deployment.redis.resume()
        await probe.close()

    top = max(seq for c in clients for _room, seq in c.acked.values())
    await until(lambda: all(not c.missing(room, top) for c in clients), timeout=20)
    assert_all_shown_once_in_order(clients, room)
    assert all(c.stats.connects == 1 for c in clients)


async def test_a_client_that_missed_an_event_learns_it_without_a_new_message(
    deployment: Deployment, clients: list[ChatClient]
) -> None:
    room, sessions = room_with(deployment, 2)
    connect(deployment, sessions, clients)  # one client on each server
    sender, listener = clients
    await until(lambda: sender.ready.is_set() and listener.ready.is_set())

    deployment.redis.kill()
    await sender.send(room, "the last word")
    await until(lambda: not sender.pending)
    deployment.redis.start()

    # Nothing else is said; the listener still catches up.
    seq = sender.acked[next(iter(sender.acked))][1]
    await until(lambda: seq in listener.shown.get(room, {}), timeout=20)
    assert listener.shown[room][seq]["body"] == "the last word"
    assert listener.stats.resyncs >= 1


async def test_readyz_names_redis_while_it_is_down(deployment: Deployment) -> None:
    server = deployment.servers[0]

    async def readiness() -> tuple[int, dict]:
        status, body = await asyncio.to_thread(http_get, server.url + "/readyz")
        return status, json.loads(body)

    assert await readiness() == (200, {"ready": True, "database": "ok", "redis": "ok"})
    deployment.redis.kill()
    try:
        status, body = await readiness()
        assert status == 503
        assert (body["ready"], body["database"]) == (False, "ok")
        assert body["redis"].startswith("error"), body
        # Alive all the same: a load balancer takes it out, nothing restarts it.
        assert await asyncio.to_thread(http_get, server.url + "/healthz") == (200, "ok\n")
    finally:
        deployment.redis.start()

    async def until_ready() -> None:
        while (await readiness())[0] != 200:
            await asyncio.sleep(0.1)

    await asyncio.wait_for(until_ready(), 30)
    assert await readiness() == (200, {"ready": True, "database": "ok", "redis": "ok"})

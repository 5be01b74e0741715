"""A server process dies (SIGKILL) or is stopped (SIGTERM) under its clients.

Two real server processes share one database and one Redis; protocol clients
(tests/chatclient.py) talk in a room, half of them on the process that goes
away. Its clients reconnect to the other process and catch up gap-free: every
acknowledged message is shown exactly once, in seq order, by every client, and
a send that was not acknowledged is resent with the same client_id and stored
once. SIGTERM in particular closes each socket with 1001 after the frame it is
handling has been answered, and the process exits 0 within its grace period.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Iterator

import pytest
import websockets

from chatsite.server import HTTP_GRACE, SOCKETS_GRACE
from tests.chatclient import ChatClient, talk, until
from tests.live import (
    ChatServer,
    Deployment,
    delivery_problems_after,
    recv_until,
    send,
    signed_in,
)

pytestmark = pytest.mark.integration

CLIENTS = 6  # the first half start on the process that goes away


@pytest.fixture
def deployment() -> Iterator[Deployment]:
    # The last user is the "raw" one, driven frame by frame by the test.
    deployment = Deployment().members(CLIENTS + 1)
    yield deployment
    deployment.stop()


async def start_clients(deployment: Deployment, clients: list[ChatClient]) -> list[ChatClient]:
    """CLIENTS protocol clients, the first half on servers[0]; once connected, each may
    reconnect to any live process."""
    for n, user in enumerate(deployment.users[:CLIENTS]):
        server = deployment.servers[0 if n < CLIENTS // 2 else 1]
        clients.append(ChatClient(signed_in(server.url, user), [server]).start())
    await until(lambda: all(c.ready.is_set() for c in clients))
    for client in clients:
        client.servers = deployment.servers
    return clients[: CLIENTS // 2]


def assert_no_traceback(*servers: ChatServer) -> None:
    for server in servers:
        assert "Traceback" not in server.output(), server.output()[-5000:]


def summary(clients: list[ChatClient]) -> str:
    closes: dict[int, int] = {}
    for client in clients:
        for code, count in client.stats.closes.items():
            closes[int(code)] = closes.get(int(code), 0) + count
    return (
        f"acked {sum(len(c.acked) for c in clients)},"
        f" reconnects {sum(c.stats.connects - 1 for c in clients)},"
        f" duplicates dropped {sum(c.stats.duplicate_deliveries for c in clients)},"
        f" gaps filled {sum(c.stats.gaps_filled for c in clients)},"
        f" resyncs {sum(c.stats.resyncs for c in clients)}, close codes {closes}"
    )


async def test_a_killed_server_s_clients_reconnect_to_the_other_and_catch_up(
    deployment: Deployment, clients: list[ChatClient]
) -> None:
    victim, survivor = deployment.servers
    room = deployment.room
    on_victim = await start_clients(deployment, clients)
    stop, sent = asyncio.Event(), []
    talker = asyncio.create_task(talk(clients, room, stop, sent))
    try:
        await until(lambda: all(len(c.acked) >= 3 for c in clients))
        # A send from each of the victim's clients, then the kill: the last of them at
        # least cannot have been answered (its answer is read only after the kill).
        for client in on_victim:
            sent.append(await client.send(room, f"last words from {client.name}"))
        victim.kill()
        started = time.monotonic()
        unacked = {client_id for client in on_victim for client_id in client.pending}
        assert unacked
        await until(lambda: all(c.stats.connects >= 2 for c in on_victim))
        back = time.monotonic() - started
        count = len(sent)
        await until(lambda: len(sent) >= count + 3 * len(clients))  # talk on for a few rounds
    finally:
        stop.set()
        await talker
    # A replacement process (on a port of its own, as an orchestrator would start it) serves
    # a newcomer everything, once.
    victim.start(new_port=True)
    late = ChatClient(signed_in(victim.url, deployment.users[CLIENTS]), [victim]).start()
    clients.append(late)

    assert await delivery_problems_after({room: clients}) == []
    assert late.stats.connects == 1
    acked = {client_id for client in clients for client_id in client.acked}
    assert unacked <= acked  # resent with the same client_id, and stored once (checked above)
    assert set(sent) == acked
    for client in on_victim:
        assert client.stats.closes.get(1006), client.stats  # a killed process sends no close frame
        assert client.server is survivor
    assert all(c.stats.connects == 1 for c in clients if c not in on_victim)
    assert_no_traceback(survivor, victim)  # the replacement's log
    print(
        f"\nSIGKILL: {len(unacked)} sends unacknowledged at the kill; the victim's clients were back"
        f" on the other process after {back:.2f} s; {summary(clients)}"
    )


async def read_frames(ws: websockets.ClientConnection, frames: list[dict]) -> None:
    with contextlib.suppress(websockets.ConnectionClosed):
        async for text in ws:
            frames.append(json.loads(text))


async def history(ws: websockets.ClientConnection, room: str) -> list[dict]:
    """Every stored message of ``room``, paging through ``history``."""
    messages: list[dict] = []
    while True:
        after = messages[-1]["seq"] if messages else 0
        await send(ws, {"type": "history", "room": room, "after_seq": after, "limit": 100})
        page = await recv_until(ws, "history", room=room)
        messages += page["messages"]
        if not page["has_more"]:
            return messages


async def test_a_stopped_server_closes_with_1001_after_answering_the_frame_in_hand(
    deployment: Deployment, clients: list[ChatClient]
) -> None:
    victim, survivor = deployment.servers
    room = deployment.room
    on_victim = await start_clients(deployment, clients)
    raw_user = deployment.users[CLIENTS]
    raw_session = signed_in(victim.url, raw_user)
    headers = {"Origin": victim.url, "Cookie": raw_session.cookie_header}
    raw = await websockets.connect(victim.ws_url, additional_headers=headers, max_size=2**22)
    await recv_until(raw, "hello")
    raw_frames: list[dict] = []
    reader = asyncio.create_task(read_frames(raw, raw_frames))

    stop, sent = asyncio.Event(), []
    talker = asyncio.create_task(talk(clients, room, stop, sent))
    try:
        await until(lambda: all(len(c.acked) >= 3 for c in clients))
        # A burst of sends on the raw socket; once the first is answered the server is
        # busy with the next ones, and SIGTERM comes in the middle of them.
        burst = [f"burst-{n}-{uuid.uuid4().hex[:8]}" for n in range(200)]
        for client_id in burst:
            await send(raw, {"type": "send", "room": room, "body": client_id, "client_id": client_id})
        await until(lambda: any(f["type"] == "ack" for f in raw_frames))
        started = time.monotonic()
        code = await asyncio.to_thread(victim.terminate, SOCKETS_GRACE + HTTP_GRACE)
        stopped_in = time.monotonic() - started
        await asyncio.wait_for(reader, 10)
        await until(lambda: all(c.stats.connects >= 2 for c in on_victim))
        count = len(sent)
        await until(lambda: len(sent) >= count + 3 * len(clients))
    finally:
        stop.set()
        await talker
        await raw.close()

    assert code == 0, victim.output()[-5000:]
    assert raw.close_code == 1001
    assert [f for f in raw_frames if f["type"] == "error"] == []
    acks = [f for f in raw_frames if f["type"] == "ack"]
    # Frames are handled in order, and each one handled was answered before the close.
    assert [a["client_id"] for a in acks] == burst[: len(acks)]
    for client in on_victim:
        assert client.stats.closes.get(1001), client.stats
        assert client.server is survivor

    # On the other process: what the stopped one stored is exactly what it acknowledged.
    again = await websockets.connect(
        survivor.ws_url,
        additional_headers={"Origin": survivor.url, "Cookie": raw_session.cookie_header},
        max_size=2**22,
    )
    try:
        await recv_until(again, "hello")
        stored = {m["client_id"]: m["seq"] for m in await history(again, room) if m["client_id"] in burst}
        assert stored == {a["client_id"]: a["seq"] for a in acks}
        # The unanswered ones are sent again, with one answered one: each is stored once,
        # and the answered one keeps its seq.
        resend = [acks[-1]["client_id"], *burst[len(acks) :]]
        for client_id in resend:
            await send(again, {"type": "send", "room": room, "body": client_id, "client_id": client_id})
        reacks = {}
        while len(reacks) < len(resend):
            frame = await recv_until(again, "ack")
            reacks[frame["client_id"]] = frame
        assert reacks[acks[-1]["client_id"]]["seq"] == acks[-1]["seq"]
        messages = await history(again, room)
    finally:
        await again.close()
    seqs_of = {}
    for message in messages:
        if message["client_id"] in burst:
            seqs_of.setdefault(message["client_id"], []).append(message["seq"])
    assert sorted(seqs_of) == sorted(burst)
    assert all(len(seqs) == 1 for seqs in seqs_of.values())
    raw_acked = {client_id: (room, seqs[0]) for client_id, seqs in seqs_of.items()}

    assert await delivery_problems_after({room: clients}, raw_acked) == []
    assert {client_id for client in clients for client_id in client.acked} == set(sent)
    assert_no_traceback(victim, survivor)
    print(
        f"\nSIGTERM: exit {code} after {stopped_in:.2f} s; {len(acks)} of {len(burst)} burst sends"
        f" answered before the 1001 close, {len(resend) - 1} resent elsewhere; {summary(clients)}"
    )

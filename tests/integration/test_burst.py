"""Connection storms against one real server process (with Redis), as after a restart,
when every browser reconnects at the same moment.

The users, their room and their signed-in sessions are provisioned straight into
the database (tests/live.provision): signing up 1,000 users over HTTP would take
minutes of password hashing.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator

import pytest
import websockets

from tests.chatclient import until
from tests.live import ChatServer, LiveDatabase, provision, recv_until, send

pytestmark = pytest.mark.integration

BURST = 1000
SOCKETS_DURING_TRAFFIC = 50


@pytest.fixture
def server(live_database: LiveDatabase, redis_url: str) -> Iterator[ChatServer]:
    server = ChatServer(
        live_database, redis_url=redis_url, env={"CHAT_SEND_RATE": "100000", "CHAT_SEND_BURST": "100000"}
    ).start()
    yield server
    server.stop()


async def open_socket(server: ChatServer, key: str, timeout: float = 120) -> websockets.ClientConnection:
    return await websockets.connect(
        server.ws_url,
        additional_headers={"Origin": server.url, "Cookie": f"sessionid={key}"},
        open_timeout=timeout,
        ping_interval=None,
        max_size=2**21,
    )


async def test_a_burst_of_1000_connections_all_get_hello(live_database: LiveDatabase, server: ChatServer):
    tag = uuid.uuid4().hex[:6]
    room = f"crowd-{tag}"
    users = provision(live_database, [f"c{n}-{tag}" for n in range(BURST)], {room: list(range(BURST))})

    async def connect(user: dict) -> tuple[websockets.ClientConnection, dict]:
        ws = await open_socket(server, user["session_key"])
        try:
            return ws, json.loads(await asyncio.wait_for(ws.recv(), 120))
        except BaseException:
            await ws.close()
            raise

    started = time.monotonic()
    results = await asyncio.gather(*(connect(user) for user in users), return_exceptions=True)
    all_hello = time.monotonic() - started
    sockets = [result[0] for result in results if not isinstance(result, BaseException)]
    try:
        failed = [repr(result) for result in results if isinstance(result, BaseException)]
        assert failed == [], f"{len(failed)} of {BURST} sockets failed: {failed[:5]}"
        for user, (_ws, first) in zip(users, results, strict=True):
            assert first["type"] == "hello", first
            assert first["user"]["username"] == user["username"]
            assert [r["slug"] for r in first["rooms"]] == [room]
        # None closed, none silent: every one of them answers now.
        started = time.monotonic()

        async def ping(ws: websockets.ClientConnection) -> None:
            await send(ws, {"type": "ping"})
            await recv_until(ws, "pong", timeout=120)

        await asyncio.gather(*(ping(ws) for ws in sockets))
        all_pong = time.monotonic() - started
        assert [ws.close_code for ws in sockets if ws.close_code is not None] == []
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    log = server.output()
    assert "Traceback" not in log, log[-5000:]
    print(
        f"\n{BURST} connections opened at once: all had hello after {all_hello:.2f} s,"
        f" all answered a ping {all_pong:.2f} s later"
    )


async def test_hello_is_the_first_frame_even_while_the_rooms_are_busy(
    live_database: LiveDatabase, server: ChatServer
) -> None:
    tag = uuid.uuid4().hex[:6]
    room = f"busy-{tag}"
    talker, newcomer = provision(live_database, [f"talker-{tag}", f"newcomer-{tag}"], {room: [0, 1]})
    ws_talker = await open_socket(server, talker["session_key"])
    await recv_until(ws_talker, "hello")

    acks = []

    async def drain() -> None:
        async for text in ws_talker:
            if json.loads(text)["type"] == "ack":
                acks.append(text)

    async def talk() -> None:
        for n in range(5000):  # bounded; stopped once the newcomer has connected enough times
            await send(ws_talker, {"type": "send", "room": room, "body": f"m{n}", "client_id": f"m{n}"})
            await asyncio.sleep(0.01)

    tasks = [asyncio.create_task(drain()), asyncio.create_task(talk())]
    firsts = []
    try:
        await until(lambda: acks)  # the room is busy
        for _ in range(SOCKETS_DURING_TRAFFIC):
            ws = await open_socket(server, newcomer["session_key"], timeout=30)
            try:
                firsts.append(json.loads(await asyncio.wait_for(ws.recv(), 30))["type"])
            finally:
                await ws.close()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await ws_talker.close()
    print(f"\nfirst frames of {SOCKETS_DURING_TRAFFIC} sockets opened during traffic: {firsts}")
    assert firsts == ["hello"] * SOCKETS_DURING_TRAFFIC

"""The database becomes unreachable under two running server processes, and comes back.

A TCP proxy (tests/live.TcpProxy) stands between the server processes and
PostgreSQL; cutting it resets every database connection and refuses new ones.
While it is cut: a ``send`` gets an ``unavailable`` error frame and the socket
stays open; a page is the friendly 503; ``/readyz`` answers 503 naming the
database while ``/healthz`` still answers 200; a new socket is closed with 1013;
and no server logs a stack trace. Once it is restored, service comes back by
itself, on the same sockets.

PostgreSQL only (``DATABASE_URL=postgres://...``): SQLite is a file in the
server's own process, with nothing between them to cut.
"""

from __future__ import annotations

import asyncio
import json
import os
import urllib.parse
from collections.abc import Iterator

import pytest
import websockets

from tests.chatclient import until
from tests.live import (
    ChatServer,
    Deployment,
    TcpProxy,
    http_get,
    recv_until,
    send,
    signed_in,
)

DATABASE_URL = os.environ.get("DATABASE_URL", "")
IS_POSTGRES = urllib.parse.urlsplit(DATABASE_URL).scheme in {"postgres", "postgresql", "pgsql"}

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not IS_POSTGRES,
        reason="a database outage needs a networked database: set DATABASE_URL=postgres://... "
        "(SQLite lives in the server's own process; there is no connection to cut)",
    ),
]


@pytest.fixture
def deployment() -> Iterator[Deployment]:
    deployment = Deployment(start=False)  # migrated directly, not through the proxy
    direct = urllib.parse.urlsplit(deployment.database.env["DATABASE_URL"])
    if not direct.hostname:
        deployment.stop()
        pytest.skip("DATABASE_URL names no TCP host to put a proxy in front of")
    proxy = TcpProxy(direct.hostname, direct.port or 5432).start()
    userinfo = direct.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@127.0.0.1:{proxy.port}" if userinfo else f"127.0.0.1:{proxy.port}"
    proxied = urllib.parse.urlunsplit(direct._replace(netloc=netloc))
    deployment.proxy = proxy
    deployment.start({"DATABASE_URL": proxied, "CHAT_SEND_RATE": "100", "CHAT_SEND_BURST": "100"}).members(2)
    yield deployment
    deployment.stop()
    proxy.stop()


async def open_socket(server: ChatServer, cookie: str) -> websockets.ClientConnection:
    return await websockets.connect(
        server.ws_url, additional_headers={"Origin": server.url, "Cookie": cookie}, max_size=2**21
    )


def readiness(server: ChatServer) -> tuple[int, dict]:
    status, body = http_get(server.url + "/readyz")
    return status, json.loads(body)


async def test_the_database_unreachable_then_back(deployment: Deployment) -> None:
    first, second = deployment.servers
    room = deployment.room
    alice = signed_in(first.url, deployment.users[0])
    bob = signed_in(second.url, deployment.users[1])
    ws_alice = await open_socket(first, alice.cookie_header)
    ws_bob = await open_socket(second, bob.cookie_header)
    try:
        await recv_until(ws_alice, "hello")
        await recv_until(ws_bob, "hello")
        await send(ws_alice, {"type": "send", "room": room, "body": "before", "client_id": "before"})
        await recv_until(ws_alice, "ack", client_id="before")
        assert (await asyncio.to_thread(alice.fetch, "/"))[0] == 200

        deployment.proxy.cut()

        # A send is refused as unavailable, nothing stored, and the socket stays open.
        for ws in (ws_alice, ws_bob):
            await send(ws, {"type": "send", "room": room, "body": "during", "client_id": "during"})
            error = await recv_until(ws, "error")
            assert (error["code"], error["ref"]) == ("unavailable", "during")
            await send(ws, {"type": "ping"})
            await recv_until(ws, "pong")
        # Pages are the friendly 503.
        status, page = await asyncio.to_thread(alice.fetch, "/")
        assert status == 503
        assert "The chat is back in a moment" in page
        assert "Traceback" not in page
        for server in deployment.servers:
            status, body = await asyncio.to_thread(readiness, server)
            assert status == 503
            assert body["ready"] is False
            assert body["database"].startswith("error"), body
            assert body["redis"] == "ok"
            assert await asyncio.to_thread(http_get, server.url + "/healthz") == (200, "ok\n")
        # A socket opened now cannot be set up: it is closed with 1013, not left silent.
        late = await open_socket(second, bob.cookie_header)
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(late.recv(), 10)
        assert late.close_code == 1013

        deployment.proxy.restore()

        for server in deployment.servers:
            await until(lambda server=server: readiness(server)[0] == 200, timeout=30)
        # The same sockets work again: the refused send goes again, once, and is heard.
        await send(ws_alice, {"type": "send", "room": room, "body": "during", "client_id": "during"})
        ack = await recv_until(ws_alice, "ack", client_id="during")
        heard = await recv_until(ws_bob, "message", room=room)
        while heard["message"]["client_id"] != "during":
            heard = await recv_until(ws_bob, "message", room=room)
        assert heard["message"]["seq"] == ack["seq"]
        await send(ws_bob, {"type": "send", "room": room, "body": "after", "client_id": "after"})
        await recv_until(ws_bob, "ack", client_id="after")
        await send(ws_bob, {"type": "history", "room": room})
        history = await recv_until(ws_bob, "history", room=room)
        assert [m["client_id"] for m in history["messages"]] == ["before", "during", "after"]
        assert (await asyncio.to_thread(alice.fetch, "/"))[0] == 200
        fresh = await open_socket(second, bob.cookie_header)
        await recv_until(fresh, "hello")
        await fresh.close()
    finally:
        await ws_alice.close()
        await ws_bob.close()

    for server in deployment.servers:
        log = server.output()
        assert "Traceback" not in log, log[-5000:]

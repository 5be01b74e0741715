"""The transport rules of the protocol, checked against a real server process."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets

from tests.live import ChatServer, HttpSession, LiveDatabase, recv_until, send, unique, ws_connect

pytestmark = pytest.mark.integration


async def test_an_anonymous_socket_is_closed_with_4401(live_chat):
    ws = await ws_connect(live_chat)
    with pytest.raises(websockets.ConnectionClosed):
        await asyncio.wait_for(ws.recv(), 10)
    assert ws.close_code == 4401


async def test_a_foreign_origin_is_refused_at_the_handshake(live_chat):
    session = HttpSession(live_chat.url).signup(unique("eve"))
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(
            live_chat.ws_url,
            additional_headers={"Origin": "http://evil.example", "Cookie": session.cookie_header},
        )
    assert refused.value.response.status_code == 403


async def test_a_frame_over_64_kib_closes_the_socket_with_1009(live_chat):
    session = HttpSession(live_chat.url).signup(unique("big"))
    ws = await ws_connect(live_chat, session)
    await recv_until(ws, "hello")
    await ws.send(json.dumps({"type": "ping", "pad": "x" * (64 * 1024)}))
    with pytest.raises(websockets.ConnectionClosed):
        while True:
            await asyncio.wait_for(ws.recv(), 10)
    assert ws.close_code == 1009


async def test_a_frame_just_under_64_kib_is_answered(live_chat):
    session = HttpSession(live_chat.url).signup(unique("fits"))
    ws = await ws_connect(live_chat, session)
    await recv_until(ws, "hello")
    frame = json.dumps({"type": "ping", "pad": ""})
    await ws.send(json.dumps({"type": "ping", "pad": "x" * (64 * 1024 - len(frame))}))
    await recv_until(ws, "pong")
    await ws.close()


@pytest.fixture
def strict_pair(redis_url, live_database: LiveDatabase):
    """Two servers with a tiny send budget: 3 messages, then almost no refill."""
    env = {"CHAT_SEND_RATE": "0.001", "CHAT_SEND_BURST": "3"}
    servers = [ChatServer(live_database, redis_url=redis_url, env=env).start() for _ in range(2)]
    yield servers
    for server in servers:
        server.stop()


async def test_the_rate_limit_is_shared_by_all_server_processes(strict_pair):
    first, second = strict_pair
    alice = HttpSession(first.url).signup(unique("alice"))
    room = alice.create_room(unique("Budget "))
    ws_first = await ws_connect(first, alice)
    ws_second = await ws_connect(second, alice)
    await recv_until(ws_first, "hello")
    await recv_until(ws_second, "hello")
    try:
        for n, ws in enumerate([ws_first, ws_first, ws_second]):
            await send(ws, {"type": "send", "room": room, "body": f"m{n}", "client_id": f"c{n}"})
            await recv_until(ws, "ack", client_id=f"c{n}")
        # The fourth send, on either process, is over the shared budget.
        await send(ws_second, {"type": "send", "room": room, "body": "one too many", "client_id": "c3"})
        error = await recv_until(ws_second, "error")
        assert error["code"] == "rate_limited"
        assert error["ref"] == "c3"
        assert error["retry_after"] > 0
        # Nothing was stored: the room's history ends with the third message.
        await send(ws_first, {"type": "history", "room": room})
        history = await recv_until(ws_first, "history", room=room)
        assert [m["body"] for m in history["messages"] if m["author"]] == ["m0", "m1", "m2"]
    finally:
        await ws_first.close()
        await ws_second.close()


async def test_a_client_leaving_while_frames_are_on_their_way_logs_no_error(live_chat):
    alice = HttpSession(live_chat.url).signup(unique("stay"))
    room = alice.create_room(unique("Leaving "))
    bob = HttpSession(live_chat.url).signup(unique("leave"))
    bob.post(f"/r/{room}/join/", {})
    talker = await ws_connect(live_chat, alice)
    await recv_until(talker, "hello")
    for round_ in range(3):
        leaver = await ws_connect(live_chat, bob)
        await recv_until(leaver, "hello")
        for n in range(6):  # 18 in all: within the send burst
            await send(
                talker, {"type": "send", "room": room, "body": "x" * 3000, "client_id": f"{round_}-{n}"}
            )
        # Gone without a close frame while the messages are being sent to it.
        leaver.transport.abort()
        await recv_until(talker, "ack", client_id=f"{round_}-5")
    await send(talker, {"type": "ping"})
    await recv_until(talker, "pong")
    await talker.close()
    output = live_chat.output()
    assert "ERROR" not in output and "Traceback" not in output, output[-3000:]

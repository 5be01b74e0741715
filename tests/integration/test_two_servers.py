"""Two real server processes sharing one database and one Redis, with real clients."""

from __future__ import annotations

import asyncio

import pytest

from tests.live import (
    HttpSession,
    frames_until,
    joined_socket,
    recv_until,
    send,
    unique,
    ws_connect,
)

pytestmark = pytest.mark.integration


async def test_a_message_crosses_between_servers(chat_pair):
    first, second = chat_pair
    alice = HttpSession(first.url).signup(unique("alice"))
    bob = HttpSession(second.url).signup(unique("bob"))
    room = alice.create_room(unique("Crossing "))
    ws_alice, _ = await joined_socket(first, alice, room)
    ws_bob, _ = await joined_socket(second, bob, room)
    try:
        await send(ws_alice, {"type": "send", "room": room, "body": "over the wire", "client_id": "x1"})
        ack = await recv_until(ws_alice, "ack", client_id="x1")
        frame = await recv_until(ws_bob, "message", room=room)
        assert frame["message"]["body"] == "over the wire"
        assert frame["message"]["seq"] == ack["seq"]
        assert frame["message"]["author"]["username"] == alice.username
    finally:
        await ws_alice.close()
        await ws_bob.close()


async def test_posting_at_once_on_both_servers_gives_consecutive_seqs(chat_pair):
    first, second = chat_pair
    alice = HttpSession(first.url).signup(unique("alice"))
    bob = HttpSession(second.url).signup(unique("bob"))
    room = alice.create_room(unique("Race "))
    ws_alice, _ = await joined_socket(first, alice, room)
    ws_bob, _ = await joined_socket(second, bob, room)
    per_client = 60
    try:
        # Read the room's current last_seq from a fresh hello.
        probe = await ws_connect(first, alice)
        start = next(r["last_seq"] for r in (await recv_until(probe, "hello"))["rooms"] if r["slug"] == room)
        await probe.close()

        async def post_all(ws, tag: str) -> list[int]:
            for n in range(per_client):
                await send(
                    ws, {"type": "send", "room": room, "body": f"{tag} {n}", "client_id": f"{tag}-{n}"}
                )
            acks = [await recv_until(ws, "ack", timeout=30) for _ in range(per_client)]
            return [ack["seq"] for ack in acks]

        seqs_alice, seqs_bob = await asyncio.gather(post_all(ws_alice, "a"), post_all(ws_bob, "b"))
        all_seqs = sorted(seqs_alice + seqs_bob)
        assert all_seqs == list(range(start + 1, start + 1 + 2 * per_client))

        # The stored history agrees: every seq once, in order, nothing skipped.
        await send(ws_alice, {"type": "history", "room": room, "after_seq": start, "limit": 100})
        page_one = await recv_until(ws_alice, "history", room=room)
        await send(ws_alice, {"type": "history", "room": room, "after_seq": start + 100, "limit": 100})
        page_two = await recv_until(ws_alice, "history", room=room)
        stored = [m["seq"] for m in page_one["messages"] + page_two["messages"]]
        assert stored == all_seqs
        assert page_one["has_more"] is True
        assert page_two["has_more"] is False
    finally:
        await ws_alice.close()
        await ws_bob.close()


async def test_idle_sockets_on_both_servers_stay_open_and_receive(chat_pair):
    """redis-py 8 times out reads after 5 s by default; the layer's blocking
    receive waits 5 s. An idle socket must outlive both, on either process."""
    first, second = chat_pair
    alice = HttpSession(first.url).signup(unique("alice"))
    bob = HttpSession(second.url).signup(unique("bob"))
    room = alice.create_room(unique("Quiet "))
    ws_alice, _ = await joined_socket(first, alice, room)
    ws_bob, _ = await joined_socket(second, bob, room)
    try:
        await asyncio.sleep(30)
        assert ws_alice.close_code is None
        assert ws_bob.close_code is None
        sender, _ = await joined_socket(first, alice, room)
        await send(sender, {"type": "send", "room": room, "body": "still there?", "client_id": "idle-1"})
        for ws in (ws_alice, ws_bob):
            frames = await frames_until(ws, "message")
            while frames[-1]["message"]["client_id"] != "idle-1":  # skip the join notes
                frames = await frames_until(ws, "message")
            assert frames[-1]["message"]["body"] == "still there?"
        await sender.close()
    finally:
        await ws_alice.close()
        await ws_bob.close()
    assert "TimeoutError" not in first.output() + second.output()


async def test_a_member_who_leaves_stops_receiving_on_every_server(chat_pair):
    first, second = chat_pair
    alice = HttpSession(first.url).signup(unique("alice"))
    bob = HttpSession(second.url).signup(unique("bob"))
    room = alice.create_room(unique("Private "), private=True)
    alice.post(f"/r/{room}/members/", {"username": bob.username})
    ws_alice, _ = await joined_socket(first, alice, room)
    bob_here, _ = await joined_socket(second, bob, room)
    bob_there, _ = await joined_socket(first, bob, room)
    try:
        await send(ws_alice, {"type": "send", "room": room, "body": "before", "client_id": "r1"})
        await recv_until(bob_there, "message", room=room)
        await send(bob_here, {"type": "leave", "room": room})
        await recv_until(bob_here, "left", room=room)
        # Bob's socket on the other process is told, and unsubscribed.
        await recv_until(bob_there, "removed", room=room)
        await send(ws_alice, {"type": "send", "room": room, "body": "after", "client_id": "r2"})
        # Once alice has "after", bob's sockets would have it too if they still heard the room.
        while (await recv_until(ws_alice, "message", room=room))["message"]["client_id"] != "r2":
            pass
        for ws in (bob_here, bob_there):
            await send(ws, {"type": "ping"})
            frames = await frames_until(ws, "pong")
            assert [f for f in frames if f.get("room") == room] == []
            await send(ws, {"type": "history", "room": room})
            error = await recv_until(ws, "error")
            assert error["code"] == "not_found"
    finally:
        for ws in (ws_alice, bob_here, bob_there):
            await ws.close()

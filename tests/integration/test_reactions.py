"""Reactions between real server processes: a reaction made on one reaches the
room on the other, and a client that was away catches up on what changed."""

from __future__ import annotations

import pytest

from tests.live import HttpSession, joined_socket, recv_until, send, unique

pytestmark = pytest.mark.integration

THUMBS, PARTY = "\U0001f44d", "\U0001f389"


async def test_a_reaction_crosses_servers_and_an_absent_client_catches_up_on_changes(chat_pair):
    first, second = chat_pair
    alice = HttpSession(first.url).signup(unique("alice"))
    bob = HttpSession(second.url).signup(unique("bob"))
    room = alice.create_room(unique("Reacting "))
    ws_alice, _ = await joined_socket(first, alice, room)
    ws_bob, _ = await joined_socket(second, bob, room)
    try:
        await send(ws_alice, {"type": "send", "room": room, "body": "react to this", "client_id": "m1"})
        seq = (await recv_until(ws_alice, "ack", client_id="m1"))["seq"]
        await recv_until(ws_bob, "message", room=room)

        await send(ws_bob, {"type": "react", "room": room, "seq": seq, "emoji": THUMBS})
        frame = await recv_until(ws_alice, "reactions_changed", room=room)
        assert frame["seq"] == seq
        assert frame["reactions"] == [{"emoji": THUMBS, "count": 1, "users": [bob.username]}]

        # alice goes away; meanwhile bob reacts again and edits nothing else.
        await ws_alice.close()
        await send(ws_bob, {"type": "react", "room": room, "seq": seq, "emoji": PARTY})
        await recv_until(ws_bob, "reactions_changed", room=room)
        await send(ws_bob, {"type": "unreact", "room": room, "seq": seq, "emoji": THUMBS})
        await recv_until(ws_bob, "reactions_changed", room=room)

        # Back, on the other server: the summary says the room changed since rev 1.
        ws_alice, summary = await joined_socket(second, alice, room)
        assert summary["last_rev"] == 3
        await send(ws_alice, {"type": "changes", "room": room, "after_rev": 1})
        changes = await recv_until(ws_alice, "changes", room=room)
        assert (changes["rev"], changes["has_more"]) == (3, False)
        [message] = changes["messages"]
        assert message["seq"] == seq
        assert message["reactions"] == [{"emoji": PARTY, "count": 1, "users": [bob.username]}]
    finally:
        await ws_alice.close()
        await ws_bob.close()

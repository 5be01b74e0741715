"""Threads between real server processes: a reply and a reaction to it made on one
reach the room on the other, live; a client that was away catches up on the
replies sent and the reactions changed meanwhile, in the main view, the thread and
the room's changes, and a client that asks for every message still gets every seq."""

from __future__ import annotations

import pytest

from tests.live import HttpSession, joined_socket, recv_until, send, unique

pytestmark = pytest.mark.integration

THUMBS, PARTY = "\U0001f44d", "\U0001f389"


async def posted(ws, room: str, body: str, client_id: str, **reply) -> int:
    await send(ws, {"type": "send", "room": room, "body": body, "client_id": client_id, **reply})
    return (await recv_until(ws, "ack", client_id=client_id))["seq"]


async def test_replies_and_reactions_cross_servers_and_an_absent_client_catches_up_on_both(chat_pair):
    first, second = chat_pair
    alice = HttpSession(first.url).signup(unique("alice"))
    bob = HttpSession(second.url).signup(unique("bob"))
    room = alice.create_room(unique("Threads "))
    ws_alice, _ = await joined_socket(first, alice, room)
    ws_bob, _ = await joined_socket(second, bob, room)
    try:
        root = await posted(ws_alice, room, "shall we?", "a1")
        await recv_until(ws_bob, "message", room=room)

        # Bob replies on the other server: Alice hears the reply, its thread, and her count.
        answer = await posted(ws_bob, room, "we shall", "b1", parent_seq=root)
        message = await recv_until(ws_alice, "message", room=room)
        assert (message["message"]["seq"], message["message"]["parent_seq"]) == (answer, root)
        updated = await recv_until(ws_alice, "thread_updated", room=room)
        assert (updated["seq"], updated["reply_count"], updated["repliers"]) == (root, 1, [bob.username])
        unread = await recv_until(ws_alice, "thread_unread", room=room)
        assert (unread["parent_seq"], unread["unread"], unread["thread_unread"]) == (root, 1, 1)

        # A reaction to the reply crosses too.
        await send(ws_bob, {"type": "react", "room": room, "seq": answer, "emoji": THUMBS})
        reacted = await recv_until(ws_alice, "reactions_changed", room=room)
        assert (reacted["seq"], reacted["reactions"][0]["users"]) == (answer, [bob.username])

        # Alice goes away; meanwhile Bob replies twice (once to the room too), posts, and reacts.
        await send(ws_alice, {"type": "changes", "room": room, "after_rev": 0})
        rev_before = (await recv_until(ws_alice, "changes", room=room))["rev"]
        await ws_alice.close()
        quiet = await posted(
            ws_bob, room, "only in the thread", "b2", parent_seq=answer
        )  # joins root's thread
        loud = await posted(ws_bob, room, "for everyone", "b3", parent_seq=root, also_to_room=True)
        plain = await posted(ws_bob, room, "lunch?", "b4")
        await send(ws_bob, {"type": "react", "room": room, "seq": quiet, "emoji": PARTY})
        await recv_until(ws_bob, "reactions_changed", room=room)
        await send(ws_bob, {"type": "unreact", "room": room, "seq": answer, "emoji": THUMBS})
        await recv_until(ws_bob, "reactions_changed", room=room)

        # Back, on the other server: the summary says what moved.
        ws_alice, summary = await joined_socket(second, alice, room)
        assert summary["last_seq"] == plain
        assert summary["thread_unread"] == 3
        assert summary["last_rev"] > rev_before

        # The main view after what she had: the reply to the room and the message, every seq accounted for.
        await send(ws_alice, {"type": "history", "room": room, "view": "main", "after_seq": answer})
        main = await recv_until(ws_alice, "history", room=room)
        assert [m["seq"] for m in main["messages"]] == [loud, plain]
        assert (main["from_seq"], main["to_seq"], main["has_more"]) == (answer + 1, plain, False)
        assert main["messages"][0]["also_to_room"] is True

        # The thread after the reply she had: both new replies, with the reaction made meanwhile.
        await send(ws_alice, {"type": "history", "room": room, "parent_seq": root, "after_seq": answer})
        thread = await recv_until(ws_alice, "history", room=room)
        assert [m["seq"] for m in thread["messages"]] == [quiet, loud]
        assert thread["messages"][0]["reactions"] == [{"emoji": PARTY, "count": 1, "users": [bob.username]}]
        assert thread["parent"]["reply_count"] == 3

        # The room's changes: the first message's new summary, the reactions changed on the reply.
        await send(ws_alice, {"type": "changes", "room": room, "after_rev": rev_before})
        changes = await recv_until(ws_alice, "changes", room=room)
        changed = {m["seq"]: m for m in changes["messages"]}
        assert changed[root]["reply_count"] == 3
        assert changed[answer]["reactions"] == []
        assert changed[quiet]["reactions"][0]["emoji"] == PARTY

        # Without a view, history is as it always was: every seq, replies among them.
        await send(ws_alice, {"type": "history", "room": room, "after_seq": answer})
        every = await recv_until(ws_alice, "history", room=room)
        assert [m["seq"] for m in every["messages"]] == [quiet, loud, plain]
        assert [m["parent_seq"] for m in every["messages"]] == [root, root, None]

        # Reading the thread clears her count, on every socket of hers.
        await send(ws_alice, {"type": "thread_read", "room": room, "parent_seq": root, "seq": loud})
        read = await recv_until(ws_alice, "thread_unread", room=room)
        assert (read["unread"], read["thread_unread"]) == (0, 0)
    finally:
        await ws_alice.close()
        await ws_bob.close()

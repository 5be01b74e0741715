"""Server frames for the client's tests, shaped as docs/protocol.md shows them."""

from __future__ import annotations

from typing import Any


def summary(slug: str, last_seq: int = 0, **fields: Any) -> dict[str, Any]:
    return {
        "slug": slug,
        "name": slug.capitalize(),
        "topic": "",
        "private": False,
        "direct": False,
        "archived": False,
        "role": "member",
        "last_seq": last_seq,
        "last_rev": 0,
        "last_read_seq": last_seq,
        "unread": 0,
        "mentions": 0,
        "muted": False,
        "can": ["send"],
        **fields,
    }


def hello(*rooms: dict[str, Any], username: str = "alice") -> dict[str, Any]:
    return {
        "type": "hello",
        "user": {"username": username, "display_name": username.capitalize()},
        "rooms": list(rooms),
        "server_time": "2026-11-21T22:44:19.585Z",
    }


def message(
    room: str, seq: int, body: str = "", *, author: str | None = "bob", **fields: Any
) -> dict[str, Any]:
    return {
        "id": 1000 + seq,
        "room": room,
        "seq": seq,
        "author": {"username": author, "display_name": author.capitalize()} if author else None,
        "body": body or f"message {seq}",
        "html": body or f"message {seq}",
        "created_at": "2026-11-21T22:44:21.695Z",
        "edited_at": None,
        "deleted": False,
        "client_id": None,
        "mentions": [],
        "reactions": [],
        **fields,
    }


def message_frame(room: str, seq: int, body: str = "", **fields: Any) -> dict[str, Any]:
    return {"type": "message", "room": room, "message": message(room, seq, body, **fields)}


def history_frame(room: str, seqs: range | list[int], *, has_more: bool = False) -> dict[str, Any]:
    return {
        "type": "history",
        "room": room,
        "messages": [message(room, seq) for seq in seqs],
        "has_more": has_more,
    }

"""The one place that publishes to the channel layer.

Writes publish only after their transaction commits, so a socket never hears
of a row that could still roll back. A failed publish is logged and counted,
never raised: the row is stored, and clients find it by seq when they catch up.

Every event carries a pre-encoded frame, so a message is serialized once and
not once per receiving socket. Groups: ``room.<id>`` and ``user.<id>``.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from chat import protocol

logger = logging.getLogger(__name__)

_failures_lock = threading.Lock()
publish_failures = 0


def room_group(room_id: int) -> str:
    return f"room.{room_id}"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def _count_failure(group: str, event_type: str) -> None:
    global publish_failures
    with _failures_lock:
        publish_failures += 1
    logger.exception("Publishing %s to %s failed; clients will catch up by seq", event_type, group)


def _send_now(group: str, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:
        _count_failure(group, event["type"])


def _send_on_commit(group: str, event: dict[str, Any]) -> None:
    transaction.on_commit(lambda: _send_now(group, event))


def _frame_event(
    frame: dict[str, Any], *, room_id: int | None = None, skip: str | None = None
) -> dict[str, Any]:
    return {"type": "chat.frame", "room_id": room_id, "frame": protocol.encode(frame), "skip": skip}


def message_created(room_id: int, message_payload: dict[str, Any]) -> None:
    frame = {"type": "message", "room": message_payload["room"], "message": message_payload}
    _send_on_commit(room_group(room_id), _frame_event(frame, room_id=room_id))


def message_edited(room_id: int, message_payload: dict[str, Any]) -> None:
    frame = {"type": "message_edited", "room": message_payload["room"], "message": message_payload}
    _send_on_commit(room_group(room_id), _frame_event(frame, room_id=room_id))


def message_deleted(room_id: int, room_slug: str, seq: int) -> None:
    frame = {"type": "message_deleted", "room": room_slug, "seq": seq}
    _send_on_commit(room_group(room_id), _frame_event(frame, room_id=room_id))


def read_marked(user_id: int, room_slug: str, seq: int, *, skip: str | None = None) -> None:
    frame = {"type": "read", "room": room_slug, "seq": seq}
    _send_on_commit(user_group(user_id), _frame_event(frame, skip=skip))


def room_updated(room_id: int, summaries: dict[int, dict[str, Any]]) -> None:
    """Tell each member (user id -> their own summary) that the room changed."""
    for user_id, summary in summaries.items():
        frame = {"type": "room_updated", "room": summary}
        _send_on_commit(user_group(user_id), _frame_event(frame, room_id=room_id))


def room_added(user_id: int, room_id: int, summary: dict[str, Any], *, skip: str | None = None) -> None:
    """Subscribe the user's sockets to the room, then tell them (``added``)."""
    event = {
        "type": "chat.subscribe",
        "room_id": room_id,
        "room": summary["slug"],
        "frame": protocol.encode({"type": "added", "room": summary}),
        "skip": skip,
    }
    _send_on_commit(user_group(user_id), event)


def room_removed(user_id: int, room_id: int, room_slug: str, *, skip: str | None = None) -> None:
    """Unsubscribe the user's sockets from the room at once, then tell them (``removed``)."""
    event = {
        "type": "chat.unsubscribe",
        "room_id": room_id,
        "room": room_slug,
        "frame": protocol.encode({"type": "removed", "room": room_slug}),
        "skip": skip,
    }
    _send_on_commit(user_group(user_id), event)


async def typing(room_id: int, room_slug: str, user_id: int, username: str) -> None:
    """Typing is ephemeral: nothing is stored, so it is sent at once, to
    everyone in the room but the typist (none of their tabs)."""
    layer = get_channel_layer()
    if layer is None:
        return
    frame = {"type": "typing", "room": room_slug, "user": username}
    group = room_group(room_id)
    try:
        await layer.group_send(group, {**_frame_event(frame, room_id=room_id), "skip_user": user_id})
    except Exception:
        _count_failure(group, "typing")

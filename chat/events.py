"""The one place that publishes events to open sockets (through chat.realtime).

Writes publish only after their transaction commits, so a socket never hears
of a row that could still roll back. Publishing never fails a write: the row
is stored, and a socket that may have missed the event is told to catch up
by seq (chat.realtime.bus).

Every event carries its frame already encoded, so a message is serialized once
and not once per receiving socket. Audiences: the sockets hearing a room, and
the sockets of one user.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction

from chat import protocol, realtime
from chat.realtime.envelope import CLOSE, FRAME, ROOM, SUBSCRIBE, UNSUBSCRIBE, USER, Envelope

if TYPE_CHECKING:
    from chat.models import Message


def _on_commit(envelope: Envelope) -> None:
    transaction.on_commit(lambda: realtime.publish(envelope))


def _room_frame(room_id: int, frame: dict[str, Any]) -> Envelope:
    return Envelope(op=FRAME, audience=ROOM, target=room_id, frame=protocol.encode(frame))


def message_created(room_id: int, message_payload: dict[str, Any]) -> None:
    _on_commit(_room_frame(room_id, protocol.message_frame(message_payload)))


def message_edited(room_id: int, message_payload: dict[str, Any]) -> None:
    _on_commit(_room_frame(room_id, protocol.message_edited_frame(message_payload)))


def message_deleted(room_id: int, room_slug: str, seq: int) -> None:
    _on_commit(_room_frame(room_id, protocol.message_deleted_frame(room_slug, seq)))


def reactions_changed(room_id: int, room_slug: str, seq: int, reactions: list[dict[str, Any]]) -> None:
    _on_commit(_room_frame(room_id, protocol.reactions_changed_frame(room_slug, seq, reactions)))


def attachments_changed(room_id: int, room_slug: str, seq: int, attachments: list[dict[str, Any]]) -> None:
    _on_commit(_room_frame(room_id, protocol.attachments_changed_frame(room_slug, seq, attachments)))


def thread_updated(room_id: int, room_slug: str, message: Message) -> None:
    """The thread of ``message`` (its first message, with its summary) changed."""
    _on_commit(_room_frame(room_id, protocol.thread_updated_frame(room_slug, message)))


def thread_unread(user_id: int, room_slug: str, parent_seq: int, unread: int, room_unread: int) -> None:
    """Tell every socket of the user their unread replies in a thread, and in the room's threads."""
    frame = protocol.encode(protocol.thread_unread_frame(room_slug, parent_seq, unread, room_unread))
    _on_commit(Envelope(op=FRAME, audience=USER, target=user_id, frame=frame))


def read_marked(user_id: int, room_slug: str, seq: int, *, skip: str | None = None) -> None:
    frame = protocol.encode(protocol.read_frame(room_slug, seq))
    _on_commit(Envelope(op=FRAME, audience=USER, target=user_id, frame=frame, skip=skip or ""))


def room_updated(room_id: int, summaries: dict[int, dict[str, Any]]) -> None:
    """Tell each member (user id -> their own summary) that the room changed."""
    for user_id, summary in summaries.items():
        frame = protocol.encode(protocol.room_updated_frame(summary))
        _on_commit(Envelope(op=FRAME, audience=USER, target=user_id, frame=frame, room_id=room_id))


def room_added(user_id: int, room_id: int, summary: dict[str, Any], *, skip: str | None = None) -> None:
    """Subscribe the user's sockets to the room, then tell them (``added``)."""
    _on_commit(
        Envelope(
            op=SUBSCRIBE,
            audience=USER,
            target=user_id,
            room_id=room_id,
            room=summary["slug"],
            frame=protocol.encode(protocol.added_frame(summary)),
            skip=skip or "",
        )
    )


def room_removed(user_id: int, room_id: int, room_slug: str, *, skip: str | None = None) -> None:
    """Unsubscribe the user's sockets from the room at once, then tell them (``removed``)."""
    _on_commit(
        Envelope(
            op=UNSUBSCRIBE,
            audience=USER,
            target=user_id,
            room_id=room_id,
            room=room_slug,
            frame=protocol.encode(protocol.removed_frame(room_slug)),
            skip=skip or "",
        )
    )


def member_joined(room_id: int, room_slug: str, member: dict[str, Any]) -> None:
    """Tell the room (the new member's sockets too) who joined, for its member list."""
    _on_commit(_room_frame(room_id, protocol.member_joined_frame(room_slug, member)))


def member_left(room_id: int, room_slug: str, username: str) -> None:
    """Tell the room who is no longer a member. Sent after ``room_removed``, so the
    one who left is not told."""
    _on_commit(_room_frame(room_id, protocol.member_left_frame(room_slug, username)))


def sockets_closed(user_id: int, code: int, *, session_key: str = "") -> None:
    """Close the user's sockets (only those of one session, if given) with ``code``."""
    _on_commit(Envelope(op=CLOSE, audience=USER, target=user_id, code=code, session=session_key))


def typing(room_id: int, room_slug: str, user_id: int, username: str) -> None:
    """Typing is ephemeral: nothing is stored, so it goes out at once, to
    everyone in the room but the typist (none of their tabs)."""
    frame = protocol.encode(protocol.typing_frame(room_slug, username))
    realtime.publish(Envelope(op=FRAME, audience=ROOM, target=room_id, frame=frame, skip_user=user_id))

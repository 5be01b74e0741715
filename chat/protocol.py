"""The wire protocol (docs/protocol.md): parse client frames, build server frames.

Parsing turns one text frame into a typed frame object or raises a ChatError
with the protocol's code. Building turns models into the JSON objects the
protocol names (MESSAGE, ROOM_SUMMARY) and frames into text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from chat import permissions
from chat.exceptions import BadRequest, ChatError, UnknownType
from chat.rendering import MENTION_MARKUP

if TYPE_CHECKING:
    from accounts.models import User
    from chat.models import Membership, Message, Room

HISTORY_DEFAULT_LIMIT = 50
# ``history`` with ``"view": "main"``: the room's main timeline, without the replies
# that were not also sent to the room.
VIEW_MAIN = "main"
HISTORY_MAX_LIMIT = 100
CLIENT_ID_MAX = 64
# The largest seq a frame may name: JavaScript's largest exact integer, far above
# any room's count, and below what every database's integer column holds.
SEQ_MAX = 2**53 - 1


# Client frames ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Send:
    room: str
    body: str
    client_id: str
    attachments: tuple[int, ...] = ()  # ids of the sender's uploads to send with it
    # A reply: the seq of the message it answers (in a thread, any of its messages).
    parent_seq: int | None = None
    also_to_room: bool = False


@dataclass(frozen=True, slots=True)
class History:
    room: str
    before_seq: int | None
    after_seq: int | None
    limit: int
    view: str | None = None  # VIEW_MAIN, or None: every message
    parent_seq: int | None = None  # one thread's replies


@dataclass(frozen=True, slots=True)
class Join:
    room: str


@dataclass(frozen=True, slots=True)
class Leave:
    room: str


@dataclass(frozen=True, slots=True)
class Typing:
    room: str


@dataclass(frozen=True, slots=True)
class Read:
    room: str
    seq: int


@dataclass(frozen=True, slots=True)
class Edit:
    room: str
    seq: int
    body: str


@dataclass(frozen=True, slots=True)
class Delete:
    room: str
    seq: int


@dataclass(frozen=True, slots=True)
class React:
    room: str
    seq: int
    emoji: str


@dataclass(frozen=True, slots=True)
class Unreact:
    room: str
    seq: int
    emoji: str


@dataclass(frozen=True, slots=True)
class Changes:
    room: str
    after_rev: int
    limit: int


@dataclass(frozen=True, slots=True)
class ThreadRead:
    room: str
    parent_seq: int
    seq: int


@dataclass(frozen=True, slots=True)
class Ping:
    pass


ClientFrame = (
    Send
    | History
    | Join
    | Leave
    | Typing
    | Read
    | Edit
    | Delete
    | React
    | Unreact
    | Changes
    | ThreadRead
    | Ping
)


class FrameError(ChatError):
    """A ChatError raised while parsing, carrying the frame's ``ref`` if it had one."""

    def __init__(self, error: ChatError, ref: str | None) -> None:
        super().__init__(error.template, params=error.params, **error.extra)
        self.code = error.code
        self.ref = ref


def _field(data: dict[str, Any], name: str, kind: type, *, required: bool = True) -> Any:
    value = data.get(name)
    if value is None:
        if required:
            raise BadRequest(_("The field “%(name)s” is missing."), params={"name": name})
        return None
    # bool is an int to Python, but not to the protocol.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise BadRequest(_("The field “%(name)s” has the wrong type."), params={"name": name})
    # NUL is valid JSON but no text the chat stores or names may hold it (PostgreSQL
    # refuses it outright). Lone surrogates never get this far: the JSON parser refuses them.
    if isinstance(value, str) and "\x00" in value:
        raise BadRequest(_("The field “%(name)s” contains a NUL character."), params={"name": name})
    return value


def _seq(data: dict[str, Any], name: str, *, required: bool = True) -> int | None:
    value = _field(data, name, int, required=required)
    if value is not None and value < 0:
        raise BadRequest(_("The field “%(name)s” must not be negative."), params={"name": name})
    if value is not None and value > SEQ_MAX:
        raise BadRequest(_("The field “%(name)s” is too large."), params={"name": name})
    return value


def _required_seq(data: dict[str, Any], name: str) -> int:
    value = _seq(data, name)
    assert value is not None  # required: _field raised when it was missing
    return value


def _attachment_ids(data: dict[str, Any]) -> tuple[int, ...]:
    """The optional ``attachments`` of a send: distinct upload ids, at most CHAT_UPLOAD_MAX_FILES."""
    ids = _field(data, "attachments", list, required=False) or []
    if len(ids) > settings.CHAT_UPLOAD_MAX_FILES:
        raise BadRequest(
            _("A message takes at most %(count)d files."), params={"count": settings.CHAT_UPLOAD_MAX_FILES}
        )
    if any(not isinstance(item, int) or isinstance(item, bool) or not 1 <= item <= SEQ_MAX for item in ids):
        raise BadRequest(_("The field “attachments” must list the ids of uploaded files."))
    if len(set(ids)) != len(ids):
        raise BadRequest(_("The field “attachments” names a file twice."))
    return tuple(ids)


def _parse_send(data: dict[str, Any]) -> Send:
    client_id = _field(data, "client_id", str)
    if not 1 <= len(client_id) <= CLIENT_ID_MAX:
        raise BadRequest(_("client_id must have 1 to 64 characters."))
    parent_seq = _seq(data, "parent_seq", required=False)
    also_to_room = _field(data, "also_to_room", bool, required=False) or False
    if also_to_room and parent_seq is None:
        raise BadRequest(_("Only a reply (with parent_seq) can also be sent to the room."))
    return Send(
        room=_field(data, "room", str),
        body=_field(data, "body", str),
        client_id=client_id,
        attachments=_attachment_ids(data),
        parent_seq=parent_seq,
        also_to_room=also_to_room,
    )


def _limit(data: dict[str, Any]) -> int:
    limit = _field(data, "limit", int, required=False)
    if limit is None:
        return HISTORY_DEFAULT_LIMIT
    if limit < 1:
        raise BadRequest(_("limit must be at least 1."))
    return min(limit, HISTORY_MAX_LIMIT)


def _parse_history(data: dict[str, Any]) -> History:
    view = _field(data, "view", str, required=False)
    if view is not None and view != VIEW_MAIN:
        raise BadRequest(_("The only view is “main”."))
    parent_seq = _seq(data, "parent_seq", required=False)
    if view is not None and parent_seq is not None:
        raise BadRequest(_("Ask for a thread (parent_seq) or for the main view, not both."))
    return History(
        room=_field(data, "room", str),
        before_seq=_seq(data, "before_seq", required=False),
        after_seq=_seq(data, "after_seq", required=False),
        limit=_limit(data),
        view=view,
        parent_seq=parent_seq,
    )


def _parse_reaction(kind: type[React] | type[Unreact]) -> Callable[[dict[str, Any]], React | Unreact]:
    def parse(data: dict[str, Any]) -> React | Unreact:
        return kind(
            room=_field(data, "room", str), seq=_required_seq(data, "seq"), emoji=_field(data, "emoji", str)
        )

    return parse


_PARSERS: dict[str, Callable[[dict[str, Any]], ClientFrame]] = {
    "send": _parse_send,
    "history": _parse_history,
    "join": lambda d: Join(room=_field(d, "room", str)),
    "leave": lambda d: Leave(room=_field(d, "room", str)),
    "typing": lambda d: Typing(room=_field(d, "room", str)),
    "read": lambda d: Read(room=_field(d, "room", str), seq=_required_seq(d, "seq")),
    "edit": lambda d: Edit(
        room=_field(d, "room", str), seq=_required_seq(d, "seq"), body=_field(d, "body", str)
    ),
    "delete": lambda d: Delete(room=_field(d, "room", str), seq=_required_seq(d, "seq")),
    "react": _parse_reaction(React),
    "unreact": _parse_reaction(Unreact),
    "changes": lambda d: Changes(
        room=_field(d, "room", str), after_rev=_required_seq(d, "after_rev"), limit=_limit(d)
    ),
    "thread_read": lambda d: ThreadRead(
        room=_field(d, "room", str), parent_seq=_required_seq(d, "parent_seq"), seq=_required_seq(d, "seq")
    ),
    "ping": lambda d: Ping(),
}


def parse_frame(text: str) -> ClientFrame:
    """Parse one text frame; raise FrameError (with ``code`` and ``ref``) if it is not valid."""
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise FrameError(BadRequest(_("A frame must be a JSON object.")), None) from None
    if not isinstance(data, dict):
        raise FrameError(BadRequest(_("A frame must be a JSON object.")), None)
    ref = data.get("client_id") if isinstance(data.get("client_id"), str) else None
    kind = data.get("type")
    try:
        if not isinstance(kind, str):
            raise BadRequest(_("A frame needs a “type”."))
        parser = _PARSERS.get(kind)
        if parser is None:
            raise UnknownType(_("Unknown frame type “%(type)s”."), params={"type": kind[:40]})
        return parser(data)
    except ChatError as error:
        raise FrameError(error, ref) from None


# Server objects and frames ---------------------------------------------------


def timestamp(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def user_payload(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    payload: dict[str, Any] = {"username": user.username, "display_name": user.display_name or user.username}
    if user.is_bot:
        payload["bot"] = True
    return payload


def mentioned_usernames(message: Message) -> list[str]:
    """The usernames ``message`` mentions (its Mention rows), sorted: prefetched by
    selectors.with_mentions for a page of messages, else read here."""
    # A mention is stored only where the html shows one (chat.services.messages), so
    # a message without one, the common case, costs no query.
    if message.deleted_at is not None or MENTION_MARKUP not in message.html:
        return []
    return sorted(mention.user.username for mention in message.mentions.all())


def attachment_payload(summary: dict[str, Any]) -> dict[str, Any]:
    """The protocol's ATTACHMENT object: a file's summary (Attachment.summary) and the
    addresses of its bytes and, for a picture, of its thumbnail."""
    pk = summary["id"]
    return {
        **summary,
        "url": reverse("chat:attachment", args=[pk]),
        "thumbnail_url": reverse("chat:attachment_thumbnail", args=[pk]) if summary["image"] else None,
    }


def attachment_payloads(summaries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [attachment_payload(summary) for summary in summaries]


def message_payload(
    message: Message, room_slug: str | None = None, mentions: Iterable[str] | None = None
) -> dict[str, Any]:
    """The protocol's MESSAGE object. ``message.author`` should be loaded already;
    ``mentions``, the usernames it mentions, when the caller knows them."""
    deleted = message.deleted_at is not None
    payload: dict[str, Any] = {
        "id": message.pk,
        "room": room_slug or message.room.slug,
        "seq": message.seq,
        "author": user_payload(message.author),
        "body": "" if deleted else message.body,
        "html": "" if deleted else message.html,
        "created_at": timestamp(message.created_at),
        "edited_at": timestamp(message.edited_at),
        "deleted": deleted,
        "client_id": message.client_id,
        "mentions": (
            [] if deleted else sorted(mentions) if mentions is not None else mentioned_usernames(message)
        ),
        "reactions": [] if deleted else message.reactions,
        "event": None if deleted else message.event,
        "attachments": [] if deleted or not message.attachments else attachment_payloads(message.attachments),
        "parent_seq": message.parent_seq,
    }
    if message.parent_seq is not None:
        payload["also_to_room"] = message.also_to_room
    if message.last_reply_seq is not None:
        payload.update(thread_summary(message))
    return payload


def thread_summary(message: Message) -> dict[str, Any]:
    """What a thread's first message says of its thread (kept by chat.services.threads),
    as its payload and ``thread_updated`` carry it."""
    return {
        "reply_count": message.reply_count,
        "last_reply_seq": message.last_reply_seq,
        "last_reply_at": timestamp(message.last_reply_at),
        "repliers": message.repliers,
    }


def room_summary(
    room: Room,
    membership: Membership | None,
    name: str | None = None,
    mentions: int = 0,
    thread_unread: int = 0,
) -> dict[str, Any]:
    """The protocol's ROOM_SUMMARY for one user; ``name`` overrides the room's (DMs);
    ``mentions`` is how many of the unread messages mention the user
    (selectors.unread_mention_counts); ``thread_unread`` how many replies they have not
    read in the room's threads they take part in (selectors.thread_unread_counts)."""
    last_read = membership.last_read_seq if membership is not None else room.last_seq
    return {
        "slug": room.slug,
        "name": name or room.name,
        "topic": room.topic,
        "private": room.is_private,
        "direct": room.is_direct,
        "archived": room.is_archived,
        "role": membership.role if membership is not None else None,
        "last_seq": room.last_seq,
        "last_rev": room.last_rev,
        "last_read_seq": last_read,
        "unread": max(0, room.last_seq - last_read),
        "mentions": mentions if membership is not None else 0,
        "muted": membership.muted if membership is not None else False,
        "thread_unread": thread_unread if membership is not None else 0,
        "can": permissions.room_abilities(room, membership),
    }


def hello_frame(user: User, rooms: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    return {"type": "hello", "user": user_payload(user), "rooms": rooms, "server_time": timestamp(now)}


def resync_frame(rooms: list[dict[str, Any]]) -> dict[str, Any]:
    """Events may have been lost on the way to this socket: here is the room list
    afresh (as in ``hello``); catch up every room as after a reconnect."""
    return {"type": "resync", "rooms": rooms}


def ack_frame(client_id: str, room_slug: str, seq: int, message_id: int) -> dict[str, Any]:
    return {"type": "ack", "client_id": client_id, "room": room_slug, "seq": seq, "id": message_id}


def history_frame(room_slug: str, messages: list[Message], has_more: bool) -> dict[str, Any]:
    return {
        "type": "history",
        "room": room_slug,
        "messages": [message_payload(message, room_slug) for message in messages],
        "has_more": has_more,
    }


def main_history_frame(
    room_slug: str, messages: list[Message], has_more: bool, from_seq: int, to_seq: int
) -> dict[str, Any]:
    """``history`` of the room's main view: every seq from ``from_seq`` to ``to_seq`` is
    one of ``messages`` or a reply left out, so a client knows the seqs it did not get
    are not missing."""
    return {
        **history_frame(room_slug, messages, has_more),
        "view": VIEW_MAIN,
        "from_seq": from_seq,
        "to_seq": max(to_seq, from_seq - 1),
    }


def thread_history_frame(
    room_slug: str, parent: Message, messages: list[Message], has_more: bool
) -> dict[str, Any]:
    """``history`` of one thread: its replies, and its first message as ``parent``."""
    return {
        **history_frame(room_slug, messages, has_more),
        "parent_seq": parent.seq,
        "parent": message_payload(parent, room_slug),
    }


def changes_frame(room_slug: str, messages: list[Message], rev: int, has_more: bool) -> dict[str, Any]:
    """The messages of a room changed after some rev, in rev order; ``rev`` is where
    to ask from next."""
    return {
        "type": "changes",
        "room": room_slug,
        "messages": [message_payload(message, room_slug) for message in messages],
        "rev": rev,
        "has_more": has_more,
    }


def reactions_changed_frame(room_slug: str, seq: int, reactions: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "reactions_changed", "room": room_slug, "seq": seq, "reactions": reactions}


def attachments_changed_frame(room_slug: str, seq: int, attachments: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "attachments_changed", "room": room_slug, "seq": seq, "attachments": attachments}


def thread_updated_frame(room_slug: str, message: Message) -> dict[str, Any]:
    """The thread of message ``message.seq`` changed (a reply came or was deleted): its whole summary."""
    return {"type": "thread_updated", "room": room_slug, "seq": message.seq, **thread_summary(message)}


def thread_unread_frame(room_slug: str, parent_seq: int, unread: int, room_unread: int) -> dict[str, Any]:
    """To one user: their unread replies in one thread, and in all their threads of the room."""
    return {
        "type": "thread_unread",
        "room": room_slug,
        "parent_seq": parent_seq,
        "unread": unread,
        "thread_unread": room_unread,
    }


def joined_frame(summary: dict[str, Any]) -> dict[str, Any]:
    return {"type": "joined", "room": summary}


def left_frame(room_slug: str) -> dict[str, Any]:
    return {"type": "left", "room": room_slug}


def pong_frame() -> dict[str, Any]:
    return {"type": "pong"}


def message_frame(payload: dict[str, Any]) -> dict[str, Any]:
    return {"type": "message", "room": payload["room"], "message": payload}


def message_edited_frame(payload: dict[str, Any]) -> dict[str, Any]:
    return {"type": "message_edited", "room": payload["room"], "message": payload}


def message_deleted_frame(room_slug: str, seq: int) -> dict[str, Any]:
    return {"type": "message_deleted", "room": room_slug, "seq": seq}


def read_frame(room_slug: str, seq: int) -> dict[str, Any]:
    return {"type": "read", "room": room_slug, "seq": seq}


def typing_frame(room_slug: str, username: str) -> dict[str, Any]:
    return {"type": "typing", "room": room_slug, "user": username}


def room_updated_frame(summary: dict[str, Any]) -> dict[str, Any]:
    return {"type": "room_updated", "room": summary}


def presence_frame(room_slug: str, online: list[str]) -> dict[str, Any]:
    return {"type": "presence", "room": room_slug, "online": online}


def member_payload(user: User, role: str) -> dict[str, Any]:
    """A room member as the member list shows them."""
    return {**(user_payload(user) or {}), "role": role}


def member_joined_frame(room_slug: str, member: dict[str, str]) -> dict[str, Any]:
    return {"type": "member_joined", "room": room_slug, "member": member}


def member_left_frame(room_slug: str, username: str) -> dict[str, Any]:
    return {"type": "member_left", "room": room_slug, "username": username}


def added_frame(summary: dict[str, Any]) -> dict[str, Any]:
    return {"type": "added", "room": summary}


def removed_frame(room_slug: str) -> dict[str, Any]:
    return {"type": "removed", "room": room_slug}


def error_frame(error: ChatError, ref: str | None = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "error", "code": error.code, "message": error.message}
    if ref is not None:
        frame["ref"] = ref
    frame.update(error.extra)
    return frame


def encode(frame: dict[str, Any]) -> str:
    return orjson.dumps(frame).decode()

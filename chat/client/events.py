"""Typed forms of the frames the server sends (docs/protocol.md, "Frames").

``parse_event`` turns one decoded frame into one of the dataclasses below. A
frame of a type this module does not know, or one it cannot read, becomes
``Unknown``: later protocol versions may add frames, and a client must not
fail on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class User:
    username: str
    display_name: str
    bot: bool = False  # a program, not a person (the server's "bot": true)

    @classmethod
    def from_frame(cls, data: dict[str, Any]) -> User:
        return cls(
            username=data["username"],
            display_name=data.get("display_name") or data["username"],
            bot=data.get("bot") is True,
        )


@dataclass(frozen=True)
class Member:
    username: str
    display_name: str
    role: str

    @classmethod
    def from_frame(cls, data: dict[str, Any]) -> Member:
        return cls(
            username=data["username"],
            display_name=data.get("display_name") or data["username"],
            role=data.get("role", "member"),
        )


@dataclass(frozen=True)
class Reaction:
    emoji: str
    count: int
    users: tuple[str, ...]

    @classmethod
    def from_frame(cls, data: dict[str, Any]) -> Reaction:
        return cls(emoji=data["emoji"], count=data["count"], users=tuple(data.get("users", ())))


@dataclass(frozen=True)
class Attachment:
    """A file a message carries (docs/protocol.md, "Files"). ``url`` and ``thumbnail_url``
    are paths on the server, fetched with the same credentials as the socket."""

    id: int
    name: str
    size: int
    content_type: str
    url: str
    image: bool = False
    width: int | None = None
    height: int | None = None
    thumbnail_url: str | None = None

    @classmethod
    def from_frame(cls, data: dict[str, Any]) -> Attachment:
        return cls(
            id=data["id"],
            name=data.get("name", ""),
            size=data.get("size", 0),
            content_type=data.get("content_type", ""),
            url=data.get("url", ""),
            image=data.get("image") is True,
            width=data.get("width"),
            height=data.get("height"),
            thumbnail_url=data.get("thumbnail_url"),
        )


def _attachments(items: list[dict[str, Any]] | None) -> tuple[Attachment, ...]:
    return tuple(Attachment.from_frame(item) for item in items or ())


def _reactions(items: list[dict[str, Any]] | None) -> tuple[Reaction, ...]:
    return tuple(Reaction.from_frame(item) for item in items or ())


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True)
class RoomSummary:
    """A room as the receiving user sees it (the protocol's room summary)."""

    slug: str
    name: str
    topic: str = ""
    private: bool = False
    direct: bool = False
    archived: bool = False
    role: str = "member"
    last_seq: int = 0
    last_rev: int = 0
    last_read_seq: int = 0
    unread: int = 0
    mentions: int = 0
    muted: bool = False
    can: tuple[str, ...] = ()

    @classmethod
    def from_frame(cls, data: dict[str, Any]) -> RoomSummary:
        return cls(
            slug=data["slug"],
            name=data.get("name", data["slug"]),
            topic=data.get("topic", ""),
            private=data.get("private", False),
            direct=data.get("direct", False),
            archived=data.get("archived", False),
            role=data.get("role", "member"),
            last_seq=data.get("last_seq", 0),
            last_rev=data.get("last_rev", 0),
            last_read_seq=data.get("last_read_seq", 0),
            unread=data.get("unread", 0),
            mentions=data.get("mentions", 0),
            muted=data.get("muted", False),
            can=tuple(data.get("can", ())),
        )


@dataclass(frozen=True)
class Message:
    """A stored message; ``author`` is None for system messages ("Bob joined.")."""

    room: str
    seq: int
    id: int
    author: User | None
    body: str
    html: str
    created_at: datetime
    edited_at: datetime | None = None
    deleted: bool = False
    client_id: str | None = None
    mentions: tuple[str, ...] = ()
    reactions: tuple[Reaction, ...] = ()
    parent_seq: int | None = None  # a reply: its thread's first message (docs/protocol.md, "Threads")
    attachments: tuple[Attachment, ...] = ()

    @classmethod
    def from_frame(cls, data: dict[str, Any], room: str | None = None) -> Message:
        return cls(
            room=data.get("room") or room or "",
            seq=data["seq"],
            id=data["id"],
            author=User.from_frame(data["author"]) if data.get("author") else None,
            body=data.get("body", ""),
            html=data.get("html", ""),
            created_at=datetime.fromisoformat(data["created_at"]),
            edited_at=_time(data.get("edited_at")),
            deleted=data.get("deleted", False),
            client_id=data.get("client_id"),
            mentions=tuple(data.get("mentions", ())),
            reactions=_reactions(data.get("reactions")),
            parent_seq=data.get("parent_seq"),
            attachments=_attachments(data.get("attachments")),
        )


@dataclass(frozen=True)
class Ack:
    """The server stored a sent message as ``seq`` of ``room``."""

    client_id: str
    room: str
    seq: int
    id: int


@dataclass(frozen=True)
class HistoryPage:
    """One page of a room's messages, in ascending seq order.

    ``has_more`` says whether newer messages follow (when reading after a seq)
    or older ones exist (when reading back)."""

    room: str
    messages: tuple[Message, ...]
    has_more: bool


# Events ---------------------------------------------------------------------


@dataclass(frozen=True)
class Hello:
    """The first frame of every connection, the first one and each reconnect."""

    user: User
    rooms: tuple[RoomSummary, ...]
    server_time: datetime | None


@dataclass(frozen=True)
class MessageEdited:
    room: str
    message: Message


@dataclass(frozen=True)
class MessageDeleted:
    room: str
    seq: int


@dataclass(frozen=True)
class ReactionsChanged:
    room: str
    seq: int
    reactions: tuple[Reaction, ...]


@dataclass(frozen=True)
class Typing:
    room: str
    user: str


@dataclass(frozen=True)
class Read:
    """The user's read marker moved (on another of their sockets)."""

    room: str
    seq: int


@dataclass(frozen=True)
class Presence:
    room: str
    online: tuple[str, ...]


@dataclass(frozen=True)
class Added:
    room: RoomSummary


@dataclass(frozen=True)
class Removed:
    room: str


@dataclass(frozen=True)
class RoomUpdated:
    room: RoomSummary


@dataclass(frozen=True)
class MemberJoined:
    room: str
    member: Member


@dataclass(frozen=True)
class MemberLeft:
    room: str
    username: str


@dataclass(frozen=True)
class Resync:
    """The server may have missed sending this socket events; the client catches up."""

    rooms: tuple[RoomSummary, ...]


@dataclass(frozen=True)
class Error:
    """An ``error`` frame not tied to one of this client's pending requests."""

    code: str
    message: str
    ref: str | None = None
    retry_after: float | None = None


@dataclass(frozen=True)
class Unknown:
    """A frame this client does not know (or could not read), kept as it came."""

    type: str
    data: dict[str, Any] = field(default_factory=dict)


Event = (
    Hello
    | Message
    | MessageEdited
    | MessageDeleted
    | ReactionsChanged
    | Typing
    | Read
    | Presence
    | Added
    | Removed
    | RoomUpdated
    | MemberJoined
    | MemberLeft
    | Resync
    | Error
    | Unknown
)


def _rooms(items: list[dict[str, Any]]) -> tuple[RoomSummary, ...]:
    return tuple(RoomSummary.from_frame(item) for item in items)


_PARSERS: dict[str, Any] = {
    "hello": lambda f: Hello(
        user=User.from_frame(f["user"]), rooms=_rooms(f["rooms"]), server_time=_time(f.get("server_time"))
    ),
    "message": lambda f: Message.from_frame(f["message"], f.get("room")),
    "message_edited": lambda f: MessageEdited(
        room=f["room"], message=Message.from_frame(f["message"], f["room"])
    ),
    "message_deleted": lambda f: MessageDeleted(room=f["room"], seq=f["seq"]),
    "reactions_changed": lambda f: ReactionsChanged(
        room=f["room"], seq=f["seq"], reactions=_reactions(f["reactions"])
    ),
    "typing": lambda f: Typing(room=f["room"], user=f["user"]),
    "read": lambda f: Read(room=f["room"], seq=f["seq"]),
    "presence": lambda f: Presence(room=f["room"], online=tuple(f["online"])),
    "added": lambda f: Added(room=RoomSummary.from_frame(f["room"])),
    "removed": lambda f: Removed(room=f["room"]),
    "room_updated": lambda f: RoomUpdated(room=RoomSummary.from_frame(f["room"])),
    "member_joined": lambda f: MemberJoined(room=f["room"], member=Member.from_frame(f["member"])),
    "member_left": lambda f: MemberLeft(room=f["room"], username=f["username"]),
    "resync": lambda f: Resync(rooms=_rooms(f["rooms"])),
    "error": lambda f: Error(
        code=f["code"], message=f.get("message", ""), ref=f.get("ref"), retry_after=f.get("retry_after")
    ),
}


def parse_event(frame: dict[str, Any]) -> Event:
    """The event a decoded server frame stands for; ``Unknown`` when it is not one of ours."""
    kind = frame.get("type")
    parser = _PARSERS.get(kind) if isinstance(kind, str) else None
    if parser is None:
        return Unknown(type=str(kind), data=frame)
    try:
        return parser(frame)
    except (KeyError, TypeError, ValueError, AttributeError):
        return Unknown(type=str(kind), data=frame)


def parse_history(frame: dict[str, Any]) -> HistoryPage:
    """The page a ``history`` answer holds."""
    room = frame["room"]
    return HistoryPage(
        room=room,
        messages=tuple(Message.from_frame(item, room) for item in frame["messages"]),
        has_more=bool(frame.get("has_more", False)),
    )


def parse_ack(frame: dict[str, Any]) -> Ack:
    return Ack(client_id=frame["client_id"], room=frame["room"], seq=frame["seq"], id=frame["id"])

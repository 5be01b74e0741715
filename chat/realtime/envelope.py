"""What travels between the writers of events and the sockets: one envelope per event.

An envelope names its audience (the sockets subscribed to a room, or the
sockets of one user) and carries the server frame already encoded, so a frame
is serialized once per process and not once per receiving socket. On the
Redis bus it travels as a short JSON header, a newline, and the frame's text.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import orjson

# Operations.
FRAME = "frame"  # deliver ``frame`` to the audience
SUBSCRIBE = "subscribe"  # subscribe the user's sockets to ``room_id``, then deliver ``frame``
UNSUBSCRIBE = "unsubscribe"  # unsubscribe the user's sockets from ``room_id``, then deliver ``frame``
RESYNC = "resync"  # the audience may have missed events: send them a ``resync`` frame
CLOSE = "close"  # close the audience's sockets with ``code``

# Audiences.
ROOM = "room"
USER = "user"
ALL = "all"


@dataclass(frozen=True, slots=True)
class Envelope:
    op: str
    audience: str
    target: int = 0  # the room id or user id the audience names
    frame: str = ""
    room_id: int = 0  # SUBSCRIBE/UNSUBSCRIBE: the room; FRAME to a user: only sockets hearing it
    room: str = ""  # the room's slug, with room_id
    skip: str = ""  # the id of one socket that must not get ``frame`` (the one that asked)
    skip_user: int = 0  # a user none of whose sockets get ``frame`` (the typist)
    code: int = 0  # CLOSE: the close code
    session: str = ""  # CLOSE: only the sockets of this session key
    # RESYNC: the rooms and users whose events may have been lost (ALL: everyone).
    rooms: tuple[int, ...] = field(default=())
    users: tuple[int, ...] = field(default=())
    # When the event was published (wall clock, so that processes on other machines agree).
    born: float = field(default_factory=time.time)

    def to_wire(self, origin: str) -> bytes:
        header = [
            origin,
            self.op,
            self.audience,
            self.target,
            self.room_id,
            self.room,
            self.skip,
            self.skip_user,
            self.code,
            self.session,
            self.rooms,
            self.users,
            self.born,
        ]
        return orjson.dumps(header) + b"\n" + self.frame.encode()


def from_wire(data: bytes) -> tuple[str, Envelope]:
    """The publishing process's id and the envelope; ValueError if ``data`` is not one."""
    head, _newline, frame = data.partition(b"\n")
    try:
        origin, op, audience, target, room_id, room, skip, skip_user, code, session, rooms, users, born = (
            orjson.loads(head)
        )
    except (orjson.JSONDecodeError, TypeError, ValueError) as error:
        raise ValueError("not an envelope") from error
    envelope = Envelope(
        op=op,
        audience=audience,
        target=target,
        frame=frame.decode(),
        room_id=room_id,
        room=room,
        skip=skip,
        skip_user=skip_user,
        code=code,
        session=session,
        rooms=tuple(rooms),
        users=tuple(users),
        born=born,
    )
    return origin, envelope

"""The per-process registry of open sockets, and the fan-out from one envelope to them.

Every socket of this process is registered under its user and under each room
it hears. An envelope reaches the hub once per process (from this process's
own writers, or from the Redis bus for the others), and the hub hands the
already-encoded frame to each socket of its audience: no channel layer, no
per-socket queue hop, no database thread. The hub runs on the event loop and
is never awaited: delivering only queues text on each socket.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from chat.realtime import metrics
from chat.realtime.envelope import (
    ALL,
    CLOSE,
    FRAME,
    RESYNC,
    ROOM,
    SUBSCRIBE,
    UNSUBSCRIBE,
    USER,
    Envelope,
)


class Socket(Protocol):
    """What the hub needs of a socket (ChatConsumer implements it)."""

    socket_id: str
    number: int  # increases with each socket a process opens: the smaller, the older
    user_id: int
    session_key: str
    auth_hash: str  # the user's session auth hash when the socket opened (it changes with the password)
    closing: bool  # closed, or closing: it takes no more frames
    # room id -> slug of every room this socket hears.
    rooms: dict[int, str]
    # room id -> the hub's change counter when an event last (un)subscribed it.
    touched: dict[int, int]
    ready: bool  # hello sent
    resync_pending: bool  # a resync came before hello: send one right after

    def deliver(self, text: str) -> None:
        """Queue ``text`` for the client; never blocks, never detaches synchronously."""

    def close_soon(self, code: int) -> None:
        """Close the socket with ``code`` (after what is queued)."""

    def joined_room(self, room_id: int, slug: str) -> None:
        """The hub subscribed the socket to a room."""

    def left_room(self, room_id: int, slug: str) -> None:
        """The hub unsubscribed the socket from a room."""

    def resync(self, rooms: list[tuple[int, dict]], since: int) -> None:
        """Hear exactly ``rooms`` (as read when the change counter was ``since``); tell the client."""

    def shut_down(self) -> None:
        """The server is stopping: close with 1001 once the frame being handled is done."""


class Hub:
    def __init__(self) -> None:
        self.by_room: dict[int, set[Socket]] = {}
        self.by_user: dict[int, set[Socket]] = {}
        # Counts subscription changes made by events, so that a resync computed
        # from an older read of the database does not undo a newer change.
        self.changes = 0
        # Set by the runtime: given sockets that may have missed events, resync them.
        self.on_resync: Callable[[list[Socket]], None] = lambda sockets: None
        # Set by the runtime when presence is on (chat.realtime.presence.Presence).
        self.presence: Any = None

    # Registry ----------------------------------------------------------------

    def attach(self, socket: Socket) -> None:
        self.by_user.setdefault(socket.user_id, set()).add(socket)
        metrics.OPEN_SOCKETS.inc()
        if self.presence is not None:
            self.presence.attached(socket)

    def detach(self, socket: Socket) -> None:
        for room_id in list(socket.rooms):
            self._remove(self.by_room, room_id, socket)
        socket.rooms.clear()
        if self._remove(self.by_user, socket.user_id, socket):
            metrics.OPEN_SOCKETS.dec()
            if self.presence is not None:
                self.presence.detached(socket)

    def subscribe(self, socket: Socket, room_id: int, slug: str) -> None:
        socket.rooms[room_id] = slug
        self.by_room.setdefault(room_id, set()).add(socket)

    def unsubscribe(self, socket: Socket, room_id: int) -> None:
        socket.rooms.pop(room_id, None)
        self._remove(self.by_room, room_id, socket)

    @staticmethod
    def _remove(index: dict[int, set[Socket]], key: int, socket: Socket) -> bool:
        sockets = index.get(key)
        if sockets is None or socket not in sockets:
            return False
        sockets.discard(socket)
        if not sockets:
            del index[key]
        return True

    def make_room(self, user_id: int, cap: int, code: int) -> None:
        """Close the user's oldest open sockets so that one more keeps them at ``cap``."""
        open_sockets = sorted(
            (socket for socket in self.by_user.get(user_id, ()) if not socket.closing),
            key=lambda socket: socket.number,
        )
        for socket in open_sockets[: max(0, len(open_sockets) - cap + 1)]:
            socket.close_soon(code)

    def sockets(self) -> list[Socket]:
        return [socket for sockets in self.by_user.values() for socket in sockets]

    def __len__(self) -> int:
        return sum(len(sockets) for sockets in self.by_user.values())

    # Fan-out -----------------------------------------------------------------

    def dispatch(self, envelope: Envelope) -> None:
        op = envelope.op
        if op == FRAME:
            self._deliver(envelope)
        elif op == SUBSCRIBE:
            self._subscribe_user(envelope)
        elif op == UNSUBSCRIBE:
            self._unsubscribe_user(envelope)
        elif op == RESYNC:
            sockets = self._resync_audience(envelope)
            if sockets:
                self.on_resync(sockets)
        elif op == CLOSE:
            for socket in list(self.by_user.get(envelope.target, ())):
                if not envelope.session or socket.session_key == envelope.session:
                    socket.close_soon(envelope.code)

    def _deliver(self, envelope: Envelope) -> None:
        index = self.by_room if envelope.audience == ROOM else self.by_user
        sockets = index.get(envelope.target)
        if not sockets:
            return
        text, skip, skip_user = envelope.frame, envelope.skip, envelope.skip_user
        # A user event about a room goes only to the sockets that still hear that room.
        room_id = envelope.room_id if envelope.audience == USER else 0
        for socket in sockets:
            if socket.socket_id == skip or socket.user_id == skip_user:
                continue
            if room_id and room_id not in socket.rooms:
                continue
            socket.deliver(text)
        if envelope.audience == ROOM:
            metrics.FANOUT_SECONDS.observe(max(0.0, time.time() - envelope.born))

    def _subscribe_user(self, envelope: Envelope) -> None:
        self.changes += 1
        for socket in list(self.by_user.get(envelope.target, ())):
            self.subscribe(socket, envelope.room_id, envelope.room)
            socket.touched[envelope.room_id] = self.changes
            socket.joined_room(envelope.room_id, envelope.room)
            if socket.socket_id != envelope.skip:
                socket.deliver(envelope.frame)
        if self.presence is not None:
            # Its members changed: whoever hears it here gets its online list again.
            self.presence.room_changed(envelope.room_id)

    def _unsubscribe_user(self, envelope: Envelope) -> None:
        self.changes += 1
        for socket in list(self.by_user.get(envelope.target, ())):
            socket.touched[envelope.room_id] = self.changes
            if envelope.room_id not in socket.rooms:
                continue
            self.unsubscribe(socket, envelope.room_id)
            socket.left_room(envelope.room_id, envelope.room)
            if socket.socket_id != envelope.skip:
                socket.deliver(envelope.frame)
        if self.presence is not None:
            self.presence.room_changed(envelope.room_id)

    def _resync_audience(self, envelope: Envelope) -> list[Socket]:
        if envelope.audience == ALL:
            return self.sockets()
        found: set[Socket] = set()
        for room_id in envelope.rooms:
            found.update(self.by_room.get(room_id, ()))
        for user_id in envelope.users:
            found.update(self.by_user.get(user_id, ()))
        return list(found)

    def reconcile(self, socket: Socket, rooms: Iterable[tuple[int, str]], since: int) -> None:
        """Make ``socket`` hear exactly ``rooms``, as read from the database when the
        change counter was ``since``; rooms that events changed after that keep their state."""
        wanted = dict(rooms)
        for room_id, slug in list(socket.rooms.items()):
            if room_id not in wanted and socket.touched.get(room_id, 0) <= since:
                self.unsubscribe(socket, room_id)
                socket.left_room(room_id, slug)
        for room_id, slug in wanted.items():
            if room_id not in socket.rooms and socket.touched.get(room_id, 0) <= since:
                self.subscribe(socket, room_id, slug)
                socket.joined_room(room_id, slug)

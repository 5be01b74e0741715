"""The pure parts of staying in step: delivering each message once, in seq order,
and waiting between reconnects (docs/protocol.md, "Catching up")."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from chat.client.events import Message


@dataclass
class _Room:
    delivered: int  # every seq up to this one has been delivered (or came before we looked)
    latest: int  # the highest seq the server told us of
    ahead: dict[int, Message] = field(default_factory=dict)  # arrived past a gap, held back


class Sequencer:
    """Delivers each room's messages exactly once, in seq order, whatever order they arrive in.

    A room starts at the ``last_seq`` it had when the client first saw it: what
    came before is history, read on demand. A message past a gap is held until
    the gap is filled (by ``history`` after ``after_seq(room)``); a message
    already delivered or already held is dropped.
    """

    def __init__(self) -> None:
        self._rooms: dict[str, _Room] = {}

    def __contains__(self, room: str) -> bool:
        return room in self._rooms

    def start(self, room: str, last_seq: int) -> None:
        """Start following ``room`` from ``last_seq`` unless it is followed already."""
        if room not in self._rooms:
            self._rooms[room] = _Room(delivered=last_seq, latest=last_seq)

    def forget(self, room: str) -> None:
        self._rooms.pop(room, None)

    def note_latest(self, room: str, last_seq: int) -> None:
        """The server says ``room`` reached ``last_seq`` (a ``hello``, a ``resync``)."""
        state = self._rooms.get(room)
        if state is None:
            self.start(room, last_seq)
        else:
            state.latest = max(state.latest, last_seq)

    def accept(self, message: Message) -> list[Message]:
        """Take a message, live or from history; returns what may be delivered now, in order."""
        state = self._rooms.get(message.room)
        if state is None:
            # A room heard of before its summary came: follow it from this message.
            state = self._rooms[message.room] = _Room(delivered=message.seq - 1, latest=message.seq - 1)
        seq = message.seq
        state.latest = max(state.latest, seq)
        if seq <= state.delivered or seq in state.ahead:
            return []
        state.ahead[seq] = message
        ready = []
        while state.delivered + 1 in state.ahead:
            state.delivered += 1
            ready.append(state.ahead.pop(state.delivered))
        return ready

    def after_seq(self, room: str) -> int:
        """The seq to read ``history`` after, to fill what is missing in ``room``."""
        state = self._rooms.get(room)
        return state.delivered if state is not None else 0

    def behind(self, room: str) -> bool:
        """Whether ``room`` has messages the server stored that were not delivered yet."""
        state = self._rooms.get(room)
        return state is not None and state.latest > state.delivered

    def held(self, room: str) -> int:
        """How many messages of ``room`` wait for a gap to be filled."""
        state = self._rooms.get(room)
        return len(state.ahead) if state is not None else 0


@dataclass
class Backoff:
    """Exponential backoff with jitter, capped: the wait before reconnect attempt ``n``
    (from 0) is drawn between half of and the whole ``min(maximum, initial * factor**n)``,
    so clients that lost the same server do not all come back at once."""

    initial: float = 0.5
    maximum: float = 15.0
    factor: float = 2.0
    draw: Callable[[], float] = random.random  # uniform in [0, 1); tests pass their own

    def ceiling(self, attempt: int) -> float:
        # Capping the exponent keeps factor**attempt finite for any attempt count.
        return min(self.maximum, self.initial * self.factor ** min(attempt, 64))

    def delay(self, attempt: int) -> float:
        ceiling = self.ceiling(attempt)
        return ceiling / 2 + self.draw() * ceiling / 2

"""Stand-ins for tests: a socket as the hub sees it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(eq=False)
class FakeSocket:
    socket_id: str
    user_id: int
    number: int = 0
    session_key: str = "s1"
    auth_hash: str = ""
    rooms: dict[int, str] = field(default_factory=dict)
    touched: dict[int, int] = field(default_factory=dict)
    ready: bool = True
    resync_pending: bool = False
    received: list[str] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    resynced: list[Any] = field(default_factory=list)

    @property
    def closing(self) -> bool:
        return bool(self.closed)

    def deliver(self, text: str) -> None:
        self.received.append(text)

    def close_soon(self, code: int) -> None:
        self.closed.append(code)

    def joined_room(self, room_id: int, slug: str) -> None:
        pass

    def left_room(self, room_id: int, slug: str) -> None:
        pass

    def shut_down(self) -> None:
        self.closed.append(1001)

    def resync(self, rooms: list[tuple[int, dict]], since: int) -> None:
        self.resynced.append(rooms)

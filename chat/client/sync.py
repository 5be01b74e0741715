"""A blocking face on ChatClient for scripts that do not use asyncio.

    with SyncChatClient("http://127.0.0.1:8000", username="alice", password=PASSWORD) as chat:
        chat.send("general", "Hello")
        for event in chat.events(timeout=5):
            print(event)

The async client runs on an event loop in a thread of its own; each method
hands it a coroutine and waits for the result.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from types import TracebackType
from typing import Any, TypeVar

from chat.client.client import ChatClient
from chat.client.events import Ack, Event, HistoryPage, RoomSummary, User

T = TypeVar("T")


class SyncChatClient:
    """ChatClient's connect, send, history, rooms, events and close, blocking.

    Takes the same arguments as ChatClient."""

    def __init__(self, url: str, **options: Any) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="chat-client", daemon=True)
        self._thread.start()
        self._client: ChatClient = self._call(self._make(url, options))

    @staticmethod
    async def _make(url: str, options: dict[str, Any]) -> ChatClient:
        return ChatClient(url, **options)

    def _call(self, coroutine: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def __enter__(self) -> SyncChatClient:
        self.connect()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def user(self) -> User | None:
        return self._client.user

    def connect(self) -> None:
        self._call(self._client.connect())

    def send(
        self,
        room: str,
        body: str,
        *,
        parent_seq: int | None = None,
        also_to_room: bool = False,
        timeout: float = 60.0,
    ) -> Ack:
        return self._call(
            self._client.send(room, body, parent_seq=parent_seq, also_to_room=also_to_room, timeout=timeout)
        )

    def history(
        self, room: str, *, limit: int = 50, before_seq: int | None = None, after_seq: int | None = None
    ) -> HistoryPage:
        return self._call(self._client.history(room, limit=limit, before_seq=before_seq, after_seq=after_seq))

    def rooms(self) -> list[RoomSummary]:
        return self._client.rooms

    def events(self, timeout: float | None = None) -> Iterator[Event]:
        """The client's events as they come; stops after ``timeout`` seconds without one
        (never, by default) or when the client closes."""
        while True:
            try:
                event = self._call(asyncio.wait_for(self._client.next_event(), timeout))
            except TimeoutError:
                return
            if event is None:
                return
            yield event

    def close(self) -> None:
        """Close the client and stop its thread."""
        if self._loop.is_closed():
            return
        self._call(self._client.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

"""A protocol client that keeps the promise from the client's side (docs/protocol.md).

It reconnects with jittered backoff (to any of the given servers), catches up
by seq after every ``hello`` and ``resync``, fills gaps, and resends every
unacknowledged send with the same ``client_id``. It records what it showed, so
tests can check that every acknowledged message was shown exactly once, in seq
order, with nothing missing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

import websockets

from tests.live import ChatServer, HttpSession

HISTORY_PAGE = 100


@dataclass
class Stats:
    connects: int = 0
    closes: dict[int, int] = field(default_factory=dict)  # close code -> count
    resyncs: int = 0
    duplicate_deliveries: int = 0  # seqs that arrived again (normal while catching up)
    gaps_filled: int = 0
    errors: dict[str, int] = field(default_factory=dict)


class ChatClient:
    def __init__(self, session: HttpSession, servers: list[ChatServer], *, name: str = "") -> None:
        self.session = session
        self.servers = servers
        self.name = name or session.username
        self.ws: websockets.ClientConnection | None = None
        self.server: ChatServer | None = None
        self.shown: dict[str, dict[int, dict[str, Any]]] = {}  # room -> seq -> message
        self.high: dict[str, int] = {}  # room -> highest seq with everything below shown
        self.rooms: set[str] = set()
        self.pending: dict[str, tuple[str, str]] = {}  # client_id -> (room, body), not yet acked
        self.acked: dict[str, tuple[str, int]] = {}  # client_id -> (room, seq)
        self.stats = Stats()
        self.ready = asyncio.Event()
        self._catching_up: set[str] = set()
        self._requests: set[asyncio.Future] = set()
        self._task: asyncio.Task | None = None
        self._stopped = False

    # Running ---------------------------------------------------------------

    def start(self) -> ChatClient:
        self._task = asyncio.create_task(self._run(), name=f"client-{self.name}")
        return self

    async def stop(self) -> None:
        self._stopped = True
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    async def drop(self) -> None:
        """Lose the connection, as a network fault would; the client reconnects."""
        if self.ws is not None:
            with contextlib.suppress(Exception):
                self.ws.transport.abort()

    async def _run(self) -> None:
        attempt = 0
        while not self._stopped:
            self.server = random.choice([s for s in self.servers if s.process is not None] or self.servers)
            try:
                self.ws = await websockets.connect(
                    self.server.ws_url,
                    additional_headers={"Origin": self.server.url, "Cookie": self.session.cookie_header},
                    max_size=2**22,
                    open_timeout=10,
                    ping_interval=5,
                    ping_timeout=10,
                )
            except Exception:
                await asyncio.sleep(random.uniform(0, min(2.0, 0.1 * 2**attempt)))
                attempt += 1
                continue
            attempt = 0
            try:
                async for text in self.ws:
                    await self._handle(json.loads(text))
            except websockets.ConnectionClosed:
                pass
            finally:
                code = self.ws.close_code if self.ws.close_code is not None else 1006
                self.stats.closes[code] = self.stats.closes.get(code, 0) + 1
                self.ready.clear()
                self._catching_up.clear()
                self.ws = None
            if code == 4401:
                return
            await asyncio.sleep(random.uniform(0, 0.3))

    # Sending ---------------------------------------------------------------

    async def send(self, room: str, body: str) -> str:
        client_id = uuid.uuid4().hex
        self.pending[client_id] = (room, body)
        await self._send_pending(client_id)
        return client_id

    async def _send_pending(self, client_id: str) -> None:
        room, body = self.pending[client_id]
        await self._send({"type": "send", "room": room, "body": body, "client_id": client_id})

    async def _send(self, frame: dict[str, Any]) -> None:
        ws = self.ws
        if ws is None or not self.ready.is_set():
            return  # sent again after the next hello
        with contextlib.suppress(websockets.ConnectionClosed):
            await ws.send(json.dumps(frame))

    # Receiving -------------------------------------------------------------

    async def _handle(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind in ("hello", "resync"):
            if kind == "hello":
                self.stats.connects += 1
            else:
                self.stats.resyncs += 1
            self.rooms = {room["slug"] for room in frame["rooms"]}
            self.ready.set()
            for room in frame["rooms"]:
                self._catch_up_if_behind(room["slug"], room["last_seq"])
            if kind == "hello":
                for client_id in list(self.pending):
                    await self._send_pending(client_id)
        elif kind == "message":
            self._show(frame["room"], frame["message"])
        elif kind == "history":
            self._catching_up.discard(frame["room"])
            for message in frame["messages"]:
                self._show(frame["room"], message, from_history=True)
            if frame["has_more"] or self._has_gap(frame["room"]):
                self._ask_history(frame["room"])
        elif kind == "ack":
            self.pending.pop(frame["client_id"], None)
            self.acked[frame["client_id"]] = (frame["room"], frame["seq"])
        elif kind in ("added", "joined"):
            self.rooms.add(frame["room"]["slug"])
            self._catch_up_if_behind(frame["room"]["slug"], frame["room"]["last_seq"])
        elif kind in ("removed", "left"):
            self.rooms.discard(frame["room"])
        elif kind == "error":
            code = frame.get("code", "?")
            self.stats.errors[code] = self.stats.errors.get(code, 0) + 1
            ref = frame.get("ref")
            if ref in self.pending and code in ("rate_limited", "unavailable"):
                await asyncio.sleep(frame.get("retry_after", 0.2))
                await self._send_pending(ref)

    def _show(self, room: str, message: dict[str, Any], *, from_history: bool = False) -> None:
        shown = self.shown.setdefault(room, {})
        seq = message["seq"]
        if seq in shown:
            self.stats.duplicate_deliveries += 1
            return
        shown[seq] = message
        high = self.high.get(room, 0)
        while high + 1 in shown:
            high += 1
        self.high[room] = high
        if not from_history and self._has_gap(room):
            self.stats.gaps_filled += 1
            self._ask_history(room)

    def _has_gap(self, room: str) -> bool:
        high = self.high.get(room, 0)
        return any(seq > high + 1 for seq in self.shown.get(room, {}))

    def _catch_up_if_behind(self, room: str, last_seq: int) -> None:
        if last_seq > self.high.get(room, 0) or self._has_gap(room):
            self._ask_history(room)

    def _ask_history(self, room: str) -> None:
        if room in self._catching_up or self.ws is None or not self.ready.is_set():
            return  # before hello (events may come first): hello's catch-up asks
        self._catching_up.add(room)
        frame = {"type": "history", "room": room, "after_seq": self.high.get(room, 0), "limit": HISTORY_PAGE}
        task = asyncio.ensure_future(self._send(frame))
        self._requests.add(task)
        task.add_done_callback(self._requests.discard)

    # Checking ----------------------------------------------------------------

    def missing(self, room: str, upto: int) -> list[int]:
        """Seqs of ``room`` up to ``upto`` that this client has not shown."""
        shown = self.shown.get(room, {})
        return [seq for seq in range(1, upto + 1) if seq not in shown]


async def talk(clients: list[ChatClient], room: str, stop: asyncio.Event, sent: list[str]) -> None:
    """Each client in turn says something, about 25 messages a second in all, until ``stop``."""
    n = 0
    while not stop.is_set():
        for client in clients:
            sent.append(await client.send(room, f"line {n} from {client.name}"))
        n += 1
        await asyncio.sleep(0.2)


async def until(condition: Any, timeout: float = 30.0, step: float = 0.05) -> None:
    """Wait until ``condition()`` is true (a test's patience, not a timing assertion)."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(step)

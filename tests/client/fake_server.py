"""A scripted WebSocket server in the test's event loop, for the client's unit tests.

Each connection runs ``script(connection)``; the server records every
handshake's headers and every frame the client sent."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed


class FakeConnection:
    def __init__(self, ws: ServerConnection, number: int, received: list[dict[str, Any]]) -> None:
        self.ws = ws
        self.number = number  # 0 for the first connection, 1 after a reconnect, ...
        self.received = received

    async def send(self, frame: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(frame))

    async def recv(self, frame_type: str | None = None) -> dict[str, Any]:
        """The next frame from the client (of ``frame_type``, skipping others)."""
        while True:
            frame = json.loads(await asyncio.wait_for(self.ws.recv(), 5))
            self.received.append(frame)
            if frame_type is None or frame.get("type") == frame_type:
                return frame

    async def close(self, code: int, reason: str = "") -> None:
        await self.ws.close(code, reason)

    async def idle(self) -> None:
        """Read and record frames until the client goes away."""
        try:
            while True:
                await self.recv()
        except (ConnectionClosed, TimeoutError):
            pass


Script = Callable[[FakeConnection], Awaitable[None]]


class FakeServer:
    def __init__(self, script: Script) -> None:
        self.script = script
        self.headers: list[Headers] = []
        self.received: list[dict[str, Any]] = []
        self.server: Server | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        port = next(iter(self.server.sockets)).getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def __aenter__(self) -> FakeServer:
        self.server = await serve(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def _handle(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        self.headers.append(ws.request.headers)
        connection = FakeConnection(ws, len(self.headers) - 1, self.received)
        with contextlib.suppress(ConnectionClosed):
            await self.script(connection)

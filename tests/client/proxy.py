"""A TCP proxy in the test's event loop that can hold back the server's replies.

``mute()`` swallows what the server sends (the client hears nothing, as when an
ack is lost on the way), ``cut()`` drops every connection at once."""

from __future__ import annotations

import asyncio
import contextlib

from tests.live import free_port


class ReplyDroppingProxy:
    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.muted = False
        self.listener: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> ReplyDroppingProxy:
        self.listener = await asyncio.start_server(self._forward, "127.0.0.1", self.port)
        return self

    async def stop(self) -> None:
        self.cut()
        if self.listener is not None:
            self.listener.close()
            await self.listener.wait_closed()

    def mute(self) -> None:
        self.muted = True

    def cut(self) -> None:
        """Reset every connection; new ones are forwarded (and heard) again."""
        for writer in list(self.writers):
            writer.transport.abort()
        self.writers.clear()
        self.muted = False

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self.writers.update((writer, upstream_writer))
        await asyncio.gather(
            self._pipe(reader, upstream_writer, replies=False),
            self._pipe(upstream_reader, writer, replies=True),
        )

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, replies: bool
    ) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                if replies and self.muted:
                    continue
                writer.write(data)
                await writer.drain()
        writer.transport.abort()
        self.writers.discard(writer)

"""One Redis connection in subscribe mode, spoken by hand (RESP2).

The bus must know the moment its subscription is gone, because every event
published while it was gone is lost to this process and its sockets must be
told to catch up. A client library that reconnects and resubscribes by itself
hides exactly that moment, so the subscriber uses this small connection: it
subscribes once, reads messages, answers for its own health with PING, and
raises as soon as anything is wrong.
"""

from __future__ import annotations

import asyncio
import ssl

from chat.realtime.redis_conf import Address


class ReplyError(Exception):
    """Redis answered with an error."""


# What _parse returns while the buffer does not yet hold a whole reply.
_INCOMPLETE = object()
READ_SIZE = 256 * 1024


class Subscription:
    """One subscribed connection. Replies are parsed from a buffer filled by large reads,
    every complete one at once: a busy channel costs one read per burst of messages, not
    several awaits per message (profiled: the subscription's reading was 9% of a server's
    event loop at 7,500 deliveries/s with two processes)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._buffer = b""
        self._pos = 0

    @classmethod
    async def open(cls, address: Address, channel: str, *, timeout: float) -> Subscription:
        """Connect, authenticate and subscribe, all within ``timeout`` seconds."""
        context = ssl.create_default_context() if address.tls else None
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(address.host, address.port, ssl=context), timeout
        )
        subscription = cls(reader, writer)
        try:
            async with asyncio.timeout(timeout):
                if address.password is not None:
                    credentials = (
                        [address.username, address.password] if address.username else [address.password]
                    )
                    subscription._command("AUTH", *credentials)
                    await subscription._read_reply()
                subscription._command("SUBSCRIBE", channel)
                reply = await subscription._read_reply()
                if not (isinstance(reply, list) and reply and reply[0] == b"subscribe"):
                    raise ReplyError(f"unexpected answer to SUBSCRIBE: {reply!r}")
        except BaseException:
            subscription.close()
            raise
        return subscription

    def ping(self) -> None:
        """Ask for a pong; it arrives through ``read_batch`` as ``("pong", b"")``."""
        self._command("PING")

    async def read_batch(self) -> list[tuple[str, bytes]]:
        """Every push received so far, at least one: ``("message", data)`` or ``("pong", b"")``.
        Raises when the line is gone."""
        while True:
            pushes: list[tuple[str, bytes]] = []
            # An error reply raises, after the pushes received before it.
            while (reply := self._parse(raise_errors=not pushes)) is not _INCOMPLETE:
                if isinstance(reply, list) and len(reply) == 3 and reply[0] == b"message":
                    pushes.append(("message", reply[2]))
                elif isinstance(reply, list) and reply and reply[0] == b"pong":
                    pushes.append(("pong", b""))
                # Anything else (a late subscribe confirmation) carries nothing for us.
            if pushes:
                return pushes
            await self._fill()

    async def read(self) -> tuple[str, bytes]:
        """The next push (see ``read_batch``); what else is buffered stays for the next call."""
        while True:
            reply = self._parse()
            if reply is _INCOMPLETE:
                await self._fill()
            elif isinstance(reply, list) and len(reply) == 3 and reply[0] == b"message":
                return "message", reply[2]
            elif isinstance(reply, list) and reply and reply[0] == b"pong":
                return "pong", b""

    def close(self) -> None:
        self._writer.close()

    def _command(self, *args: str) -> None:
        parts = [f"*{len(args)}\r\n".encode()]
        for arg in args:
            data = arg.encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
        self._writer.write(b"".join(parts))

    async def _read_reply(self) -> object:
        while (reply := self._parse()) is _INCOMPLETE:
            await self._fill()
        return reply

    async def _fill(self) -> None:
        chunk = await self._reader.read(READ_SIZE)
        if not chunk:
            raise ConnectionError("Redis closed the connection")
        # Keep only what is not parsed yet.
        self._buffer = self._buffer[self._pos :] + chunk
        self._pos = 0

    def _parse(self, *, raise_errors: bool = True) -> object:
        """The next whole reply from the buffer (moving past it), or _INCOMPLETE; an error
        reply raises, or with ``raise_errors`` off is left for the next call (_INCOMPLETE)."""
        found, end = _reply(self._buffer, self._pos)
        if found is _INCOMPLETE:
            return _INCOMPLETE
        if isinstance(found, ReplyError):
            if not raise_errors:
                return _INCOMPLETE
            self._pos = end
            raise found
        self._pos = end
        return found


def _reply(buffer: bytes, pos: int) -> tuple[object, int]:
    """The RESP2 reply that starts at ``pos`` and where it ends, or (_INCOMPLETE, pos)."""
    line_end = buffer.find(b"\r\n", pos)
    if line_end < 0:
        return _INCOMPLETE, pos
    kind, rest, after = buffer[pos : pos + 1], buffer[pos + 1 : line_end], line_end + 2
    if kind == b"$":
        size = int(rest)
        if size < 0:
            return None, after
        if len(buffer) < after + size + 2:
            return _INCOMPLETE, pos
        return buffer[after : after + size], after + size + 2
    if kind == b"*":
        items: list[object] = []
        for _ in range(max(int(rest), 0)):
            item, after = _reply(buffer, after)
            if item is _INCOMPLETE:
                return _INCOMPLETE, pos
            items.append(item)
        return items, after
    if kind == b"+":
        return rest, after
    if kind == b":":
        return int(rest), after
    if kind == b"-":
        return ReplyError(rest.decode(errors="replace")), after
    raise ReplyError(f"unexpected reply {buffer[pos : pos + 40]!r}")

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


class Subscription:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

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
        """Ask for a pong; it arrives through ``read`` as ``("pong", b"")``."""
        self._command("PING")

    async def read(self) -> tuple[str, bytes]:
        """The next push: ``("message", data)`` or ``("pong", b"")``. Raises when the line is gone."""
        while True:
            reply = await self._read_reply()
            if isinstance(reply, list) and len(reply) == 3 and reply[0] == b"message":
                return "message", reply[2]
            if isinstance(reply, list) and reply and reply[0] == b"pong":
                return "pong", b""
            # Anything else (a late subscribe confirmation) carries nothing for us.

    def close(self) -> None:
        self._writer.close()

    def _command(self, *args: str) -> None:
        parts = [f"*{len(args)}\r\n".encode()]
        for arg in args:
            data = arg.encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
        self._writer.write(b"".join(parts))

    async def _read_reply(self) -> object:
        line = await self._reader.readuntil(b"\r\n")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest
        if kind == b"-":
            raise ReplyError(rest.decode(errors="replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            if size < 0:
                return None
            return (await self._reader.readexactly(size + 2))[:-2]
        if kind == b"*":
            count = int(rest)
            return [await self._read_reply() for _ in range(max(count, 0))]
        raise ReplyError(f"unexpected reply {line[:40]!r}")

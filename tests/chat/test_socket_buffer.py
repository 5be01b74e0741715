"""The outgoing side of a socket (ChatConsumer.deliver): in order, never blocking, bounded."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from chat.realtime import consumer as consumers
from chat.realtime import metrics
from chat.realtime.consumer import ChatConsumer


class FakeServer:
    """An ASGI send that completes at once while ``open``, and waits for the client otherwise."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.writable = asyncio.Event()
        self.writable.set()
        self.gone = False

    async def send(self, message: dict[str, Any]) -> None:
        await self.writable.wait()
        if self.gone:
            raise OSError("the client is gone")
        self.sent.append(message)

    def texts(self) -> list[str]:
        return [message["text"] for message in self.sent if message["type"] == "websocket.send"]


def socket_on(server: FakeServer) -> ChatConsumer:
    socket = ChatConsumer()
    socket.base_send = server.send
    return socket


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_sends_the_server_can_take_complete_at_once_in_order() -> None:
    server = FakeServer()
    socket = socket_on(server)

    for n in range(3):
        socket.deliver(f"m{n}")

    # No await in between: they were sent synchronously.
    assert server.texts() == ["m0", "m1", "m2"]


async def test_a_client_that_reads_slowly_gets_everything_in_order() -> None:
    server = FakeServer()
    socket = socket_on(server)
    server.writable.clear()

    for n in range(5):
        socket.deliver(f"m{n}")
    await settle()
    assert server.texts() == []

    server.writable.set()
    await settle()

    assert server.texts() == ["m0", "m1", "m2", "m3", "m4"]
    socket.deliver("m5")  # back to sending at once
    assert server.texts()[-1] == "m5"


async def test_a_client_that_stops_reading_is_closed_with_4408_and_nothing_piles_up(monkeypatch) -> None:
    monkeypatch.setattr(consumers, "MAX_BUFFERED_CHARS", 100)
    server = FakeServer()
    socket = socket_on(server)
    closes = metrics.SLOW_CLOSES._value.get()
    server.writable.clear()

    for n in range(30):
        socket.deliver(f"message {n:02d}")  # 10 characters each

    assert socket._buffered_chars == 0  # dropped: the client catches up after reconnecting
    assert metrics.SLOW_CLOSES._value.get() == closes + 1
    server.writable.set()
    await settle()
    # What was in flight went out; then the close.
    assert server.texts() == ["message 00"]
    assert server.sent[-1] == {"type": "websocket.close", "code": consumers.CLOSE_TOO_SLOW}
    socket.deliver("late")
    assert server.texts() == ["message 00"]


async def test_close_soon_closes_after_what_is_queued() -> None:
    server = FakeServer()
    socket = socket_on(server)
    server.writable.clear()
    socket.deliver("a")
    socket.deliver("b")

    socket.close_soon(consumers.CLOSE_GOING_AWAY)
    server.writable.set()
    await settle()

    assert server.texts() == ["a", "b"]
    assert server.sent[-1] == {"type": "websocket.close", "code": 1001}


@pytest.mark.parametrize("waiting", [False, True])
async def test_a_client_that_is_gone_stops_the_sending_quietly(waiting: bool) -> None:
    server = FakeServer()
    socket = socket_on(server)
    server.gone = True
    if waiting:
        server.writable.clear()

    socket.deliver("a")
    socket.deliver("b")
    server.writable.set()
    await settle()
    socket.deliver("c")

    assert server.sent == []
    assert socket._closing

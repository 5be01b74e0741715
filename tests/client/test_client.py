"""ChatClient against a scripted server: authentication headers, catching up, resending,
reconnecting, and stopping on the close codes that mean stop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from chat.client import (
    AuthenticationError,
    Backoff,
    ChatClient,
    ConnectionReplaced,
    Event,
    Hello,
    Message,
    RequestError,
    SendTimeout,
    SyncChatClient,
    Unknown,
)
from tests.client.fake_server import FakeConnection, FakeServer
from tests.client.frames import hello, history_frame, message_frame, summary

FAST = Backoff(initial=0.01, maximum=0.05)


def client(server: FakeServer, **options: object) -> ChatClient:
    return ChatClient(server.url, token="tok-123", backoff=FAST, connect_timeout=5, **options)  # type: ignore[arg-type]


async def take(events: AsyncIterator[Event], count: int, kind: type = Message) -> list:
    """The next ``count`` events of ``kind`` (others skipped)."""
    found: list = []
    async with asyncio.timeout(5):
        async for event in events:
            if isinstance(event, kind):
                found.append(event)
                if len(found) == count:
                    return found
    return found


async def answer_history(conn: FakeConnection, room: str, last: int) -> dict:
    """Answer one history request with what follows its after_seq, up to ``last``."""
    request = await conn.recv("history")
    await conn.send(history_frame(room, range(request["after_seq"] + 1, last + 1)))
    return request


async def test_a_token_goes_in_the_authorization_header_and_no_cookie() -> None:
    async def script(conn: FakeConnection) -> None:
        await conn.send(hello(summary("general")))
        await conn.idle()

    async with FakeServer(script) as server, client(server) as chat:
        assert chat.user is not None and chat.user.username == "alice"

    (headers,) = server.headers
    assert headers["Authorization"] == "Bearer tok-123"
    assert "Cookie" not in headers
    assert "tok-123" not in repr(chat)


async def test_4401_stops_the_client_instead_of_reconnecting() -> None:
    async def script(conn: FakeConnection) -> None:
        await conn.close(4401)

    async with FakeServer(script) as server:
        with pytest.raises(AuthenticationError):
            await client(server).connect()

    assert len(server.headers) == 1


async def test_4401_later_ends_the_events_with_the_error() -> None:
    async def script(conn: FakeConnection) -> None:
        await conn.send(hello(summary("general")))
        await conn.send(message_frame("general", 1))
        await conn.close(4401)

    async with FakeServer(script) as server, client(server) as chat:
        events = chat.events()
        assert [m.seq for m in await take(events, 1)] == [1]
        with pytest.raises(AuthenticationError):
            await take(events, 1)
        with pytest.raises(AuthenticationError):
            await chat.send("general", "too late")


async def test_4409_stops_the_client() -> None:
    async def script(conn: FakeConnection) -> None:
        await conn.send(hello(summary("general")))
        await conn.close(4409)

    async with FakeServer(script) as server, client(server) as chat:
        with pytest.raises(ConnectionReplaced):
            await take(chat.events(), 1)
    assert len(server.headers) == 1


async def test_a_gap_is_filled_from_history_and_nothing_comes_twice() -> None:
    async def script(conn: FakeConnection) -> None:
        await conn.send(hello(summary("general", 2)))
        await conn.send(message_frame("general", 5))  # 3 and 4 are missing
        request = await conn.recv("history")
        await conn.send(message_frame("general", 6))  # arrives while the gap is being filled
        await conn.send(history_frame("general", range(request["after_seq"] + 1, 7)))
        await conn.send(message_frame("general", 6))  # a late duplicate
        await conn.send(message_frame("general", 7))
        await conn.idle()

    async with FakeServer(script) as server, client(server) as chat:
        messages = await take(chat.events(), 5)

    assert [m.seq for m in messages] == [3, 4, 5, 6, 7]
    assert [f["after_seq"] for f in server.received if f["type"] == "history"] == [2]


async def test_after_a_reconnect_it_catches_up_from_the_last_seq_it_delivered() -> None:
    async def script(conn: FakeConnection) -> None:
        if conn.number == 0:
            await conn.send(hello(summary("general", 3)))
            await conn.send(message_frame("general", 4))
            await conn.close(1001)
            return
        await conn.send(hello(summary("general", 120)))
        request = await conn.recv("history")
        await conn.send(history_frame("general", range(request["after_seq"] + 1, 104), has_more=True))
        await answer_history(conn, "general", 120)
        await conn.idle()

    async with FakeServer(script) as server, client(server) as chat:
        events = chat.events()
        messages = await take(events, 117)

    assert [m.seq for m in messages] == list(range(4, 121))
    assert chat.connects == 2
    assert [f["after_seq"] for f in server.received if f["type"] == "history"] == [4, 103]


async def test_a_resync_catches_up_too() -> None:
    async def script(conn: FakeConnection) -> None:
        await conn.send(hello(summary("general", 1)))
        await conn.send({"type": "resync", "rooms": [summary("general", 3), summary("design", 5)]})
        await answer_history(conn, "general", 3)
        await conn.send(message_frame("design", 6))
        await conn.idle()

    async with FakeServer(script) as server, client(server) as chat:
        messages = await take(chat.events(), 3)

    # Seq order is per room; rooms are independent of each other.
    assert sorted((m.room, m.seq) for m in messages) == [("design", 6), ("general", 2), ("general", 3)]
    assert [m.seq for m in messages if m.room == "general"] == [2, 3]
    assert {room.slug for room in chat.rooms} == {"general", "design"}


async def test_a_send_is_resent_with_the_same_client_id_until_acknowledged() -> None:
    async def script(conn: FakeConnection) -> None:
        await conn.send(hello(summary("general", 0)))
        first = await conn.recv("send")
        if conn.number == 0:
            await conn.close(1011)  # lost before the answer
            return
        await conn.send(
            {
                "type": "error",
                "code": "rate_limited",
                "message": "Slow.",
                "ref": first["client_id"],
                "retry_after": 0.05,
            }
        )
        await conn.send(
            {"type": "error", "code": "unavailable", "message": "Later.", "ref": first["client_id"]}
        )
        await conn.recv("send")
        again = await conn.recv("send")
        await conn.send(
            {"type": "ack", "client_id": again["client_id"], "room": "general", "seq": 1, "id": 9}
        )
        await conn.idle()

    async with FakeServer(script) as server, client(server) as chat:
        ack = await chat.send("general", "hello")

    sends = [f for f in server.received if f["type"] == "send"]
    assert len(sends) == 4
    assert {f["client_id"] for f in sends} == {ack.client_id}
    assert {f["body"] for f in sends} == {"hello"}
    assert (ack.room, ack.seq, ack.id) == ("general", 1, 9)


async def test_a_refusal_that_waiting_does_not_cure_is_raised() -> None:
    async def script(conn: FakeConnection) -> None:
        await conn.send(hello(summary("general", 0)))
        sent = await conn.recv("send")
        await conn.send(
            {"type": "error", "code": "forbidden", "message": "Join first.", "ref": sent["client_id"]}
        )
        await conn.idle()

    async with FakeServer(script) as server, client(server) as chat:
        with pytest.raises(RequestError) as raised:
            await chat.send("general", "hello")

    assert raised.value.code == "forbidden"


async def test_a_send_without_an_ack_times_out() -> None:
    async def script(conn: FakeConnection) -> None:
        await conn.send(hello(summary("general", 0)))
        await conn.idle()

    async with FakeServer(script) as server, client(server) as chat:
        with pytest.raises(SendTimeout):
            await chat.send("general", "hello", timeout=0.2)


async def test_history_pages_back_and_errors_reach_the_request() -> None:
    async def script(conn: FakeConnection) -> None:
        await conn.send(hello(summary("general", 60)))
        request = await conn.recv("history")
        await conn.send(
            history_frame(
                "general",
                range(request["before_seq"] - request["limit"], request["before_seq"]),
                has_more=True,
            )
        )
        await conn.recv("history")
        await conn.send({"type": "error", "code": "not_found", "message": "No such room."})
        await conn.idle()

    async with FakeServer(script) as server, client(server) as chat:
        page = await chat.history("general", limit=10, before_seq=51)
        with pytest.raises(RequestError) as raised:
            await chat.history("secret")

    assert [m.seq for m in page.messages] == list(range(41, 51))
    assert page.has_more
    assert raised.value.code == "not_found"
    assert server.received[0] == {"type": "history", "room": "general", "limit": 10, "before_seq": 51}


async def test_unknown_frames_become_events_and_the_client_goes_on() -> None:
    async def script(conn: FakeConnection) -> None:
        await conn.send(hello(summary("general", 0)))
        await conn.send({"type": "poll_created", "room": "general"})
        await conn.ws.send("not json")
        await conn.send(message_frame("general", 1))
        await conn.idle()

    async with FakeServer(script) as server, client(server) as chat:
        events = chat.events()
        (unknown,) = await take(events, 1, Unknown)
        (message,) = await take(events, 1)

    assert unknown.type == "poll_created"
    assert message.seq == 1
    assert len(server.headers) == 1


async def test_the_hello_of_each_connection_is_an_event() -> None:
    async def script(conn: FakeConnection) -> None:
        await conn.send(hello(summary("general", 0)))
        if conn.number == 0:
            await conn.close(1013)
            return
        await conn.idle()

    async with FakeServer(script) as server, client(server) as chat:
        hellos = await take(chat.events(), 2, Hello)

    assert len(hellos) == 2
    assert len(server.headers) == 2


async def test_the_synchronous_client_sends_and_reads_events() -> None:
    async def script(conn: FakeConnection) -> None:
        await conn.send(hello(summary("general", 0)))
        sent = await conn.recv("send")
        await conn.send({"type": "ack", "client_id": sent["client_id"], "room": "general", "seq": 1, "id": 3})
        await conn.send(message_frame("general", 1, "hi", client_id=sent["client_id"]))
        await conn.idle()

    async with FakeServer(script) as server:
        url = server.url

        def use() -> tuple[int, list[str]]:
            with SyncChatClient(url, token="tok", backoff=FAST) as chat:
                ack = chat.send("general", "hi")
                bodies = [e.body for e in chat.events(timeout=0.5) if isinstance(e, Message)]
                assert [room.slug for room in chat.rooms()] == ["general"]
            return ack.seq, bodies

        seq, bodies = await asyncio.to_thread(use)

    assert (seq, bodies) == (1, ["hi"])

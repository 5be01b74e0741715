"""chat.realtime.bus against a real redis-server that is killed, restarted and paused.

Two buses in this process stand for two server processes (each with its own
hub and process id), so the faults can be driven and watched precisely.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable

import pytest

from chat.realtime import bus as bus_module
from chat.realtime.bus import RedisBus
from chat.realtime.envelope import FRAME, ROOM, USER, Envelope
from chat.realtime.hub import Hub
from tests.fakes import FakeSocket
from tests.live import RedisServer

pytestmark = pytest.mark.integration


class Process:
    """One bus and hub, as a server process has, with a record of its resyncs."""

    def __init__(self, redis: RedisServer, prefix: str, name: str) -> None:
        self.hub = Hub()
        self.subscriptions = 0
        self.resynced: list[set[str]] = []
        self.hub.on_resync = lambda sockets: self.resynced.append({s.socket_id for s in sockets})
        self.bus = RedisBus(redis.url, prefix, self.hub, name, on_subscribed=self._subscribed)

    def _subscribed(self) -> None:
        # As chat.realtime.Runtime does: every local socket may have missed something.
        self.subscriptions += 1
        if self.hub.sockets():
            self.hub.on_resync(self.hub.sockets())

    def socket(self, socket_id: str, user_id: int, *rooms: int) -> FakeSocket:
        socket = FakeSocket(socket_id, user_id)
        self.hub.attach(socket)
        for room_id in rooms:
            self.hub.subscribe(socket, room_id, f"r{room_id}")
        return socket

    def publish(self, envelope: Envelope) -> None:
        """What the runtime does: deliver here at once, then to the others."""
        self.hub.dispatch(envelope)
        self.bus.send(envelope)


async def eventually(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


@pytest.fixture
async def redis() -> AsyncIterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
async def pair(redis: RedisServer) -> AsyncIterator[tuple[Process, Process]]:
    prefix = f"bus-{uuid.uuid4().hex[:8]}"
    first, second = Process(redis, prefix, "first"), Process(redis, prefix, "second")
    first.bus.start()
    second.bus.start()
    await eventually(lambda: first.bus.subscribed and second.bus.subscribed)
    yield first, second
    await first.bus.stop()
    await second.bus.stop()


def frame(room_id: int, text: str) -> Envelope:
    return Envelope(op=FRAME, audience=ROOM, target=room_id, frame=text)


async def test_an_event_reaches_the_other_process_once_and_its_own_only_locally(pair) -> None:
    first, second = pair
    here = first.socket("f1", 1, 10)
    there = second.socket("s1", 2, 10)

    first.publish(frame(10, "m1"))
    second.publish(Envelope(op=FRAME, audience=USER, target=1, frame="for user 1"))
    await eventually(lambda: there.received == ["m1"] and here.received == ["m1", "for user 1"])
    await asyncio.sleep(0.2)  # nothing more is coming

    assert here.received == ["m1", "for user 1"]
    assert there.received == ["m1"]
    assert first.resynced == second.resynced == []


async def test_redis_killed_then_restarted_resyncs_what_may_have_been_missed(pair, redis) -> None:
    first, second = pair
    there = second.socket("s1", 2, 10)
    bystander = second.socket("s2", 3, 99)

    redis.kill()
    await eventually(lambda: not second.bus.subscribed)
    first.publish(frame(10, "lost in the outage"))
    await asyncio.sleep(0.3)
    redis.start()

    # The subscriber is back, and resyncs every local socket (what the publisher
    # announces about its failed events may arrive before or after that, or not
    # at all if it went out before the resubscription: either way s1 catches up).
    await eventually(lambda: second.subscriptions == 2)
    await eventually(lambda: {"s1", "s2"} in second.resynced)
    assert there.received == bystander.received == []
    await eventually(lambda: first.bus.publishing)
    first.publish(frame(10, "after"))
    await eventually(lambda: there.received == ["after"])


async def test_a_process_that_kept_listening_hears_which_events_were_lost(pair, redis) -> None:
    first, second = pair
    there = second.socket("s1", 2, 10)
    elsewhere = second.socket("s2", 3, 99)
    # Only the publisher fails (as when Redis refuses its writes for a moment).
    broken = first.bus.client
    first.bus.client = RedisBus(redis.url.replace(str(redis.port), "1"), "x", Hub(), "x", lambda: None).client

    first.publish(frame(10, "lost"))
    await eventually(lambda: not first.bus.publishing)
    first.bus.client = broken

    await eventually(lambda: second.resynced == [{"s1"}])
    assert there.received == elsewhere.received == []
    assert second.subscriptions == 1


async def test_a_paused_redis_is_noticed_and_the_lost_events_are_announced(pair, redis, monkeypatch) -> None:
    first, second = pair
    there = second.socket("s1", 2, 10)

    redis.pause()
    try:
        # The subscriber pings a silent line and gives up on it.
        await eventually(lambda: not second.bus.subscribed, timeout=bus_module.PING_AFTER + 5)
        first.publish(frame(10, "sent while paused"))
        await eventually(lambda: not first.bus.publishing, timeout=bus_module.PUBLISH_TIMEOUT + 3)
    finally:
        redis.resume()

    await eventually(lambda: second.bus.subscribed and first.bus.publishing)
    await eventually(lambda: any("s1" in resynced for resynced in second.resynced))
    first.publish(frame(10, "after"))
    await eventually(lambda: there.received[-1:] == ["after"])
    # The paused publish never came through twice (at most once, then a resync).
    assert there.received.count("sent while paused") <= 1

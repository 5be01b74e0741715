"""The real-time plumbing of a server process: sockets, fan-out and the Redis bus.

- ``hub``: the registry of this process's sockets by room and by user, and the
  fan-out of one encoded frame to them.
- ``bus``: the Redis channel through which processes hear each other, and the
  bookkeeping of what may have been lost.
- ``consumer``: the WebSocket consumer, one per socket.

``publish`` is the one entry for events (chat.events calls it after commit),
from any thread: on a serving process it hops onto the event loop, delivers
locally and hands the event to the bus. A process with no serving loop (a
management command, a synchronous test) delivers to its own hub and, with
Redis, publishes synchronously so that the servers hear it.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from django.conf import settings
from django.db import DatabaseError

from chat.realtime.envelope import Envelope
from chat.realtime.hub import Hub, Socket

logger = logging.getLogger(__name__)

# Tells this process's own events apart when they come back from Redis.
PROCESS_ID = uuid.uuid4().hex[:12]

HUB = Hub()


class Runtime:
    """The plumbing bound to the event loop that serves this process's sockets."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        from chat.realtime import presence
        from chat.realtime.bus import RedisBus
        from chat.realtime.writer import SendWriter

        self.loop = loop
        self.sends = SendWriter()
        self.hub = HUB
        self.hub.on_resync = self.resync
        self.bus: RedisBus | None = None
        self._resync_wanted: set[Socket] = set()
        self._resync_task: asyncio.Task | None = None
        if settings.REDIS_URL:
            self.bus = RedisBus(
                settings.REDIS_URL,
                settings.CHAT_REDIS_PREFIX,
                self.hub,
                PROCESS_ID,
                on_subscribed=lambda: self.resync(self.hub.sockets()),
            )
            self.bus.start()
        self.presence = presence.make(self.hub, PROCESS_ID)
        self.hub.presence = self.presence
        if self.presence is not None:
            self.presence.start()

    def serving(self) -> bool:
        return not self.loop.is_closed() and self.loop.is_running()

    def publish_here(self, envelope: Envelope) -> None:
        """On the loop: deliver to this process's sockets, then to the others."""
        self.hub.dispatch(envelope)
        if self.bus is not None:
            self.bus.send(envelope)

    def resync(self, sockets: list[Socket]) -> None:
        """Tell ``sockets`` to catch up: one database read for all of them, then a
        ``resync`` frame each. Requests that arrive meanwhile join the next round."""
        self._resync_wanted.update(sockets)
        if self._resync_wanted and (self._resync_task is None or self._resync_task.done()):
            self._resync_task = self.loop.create_task(self._resync_rounds(), name="chat-resync")

    async def _resync_rounds(self) -> None:
        from chat.realtime.consumer import resync_sockets

        while self._resync_wanted:
            sockets, self._resync_wanted = self._resync_wanted, set()
            try:
                await resync_sockets(self.hub, list(sockets))
            except DatabaseError as error:
                # The database is down too; try again shortly, nobody is forgotten.
                logger.warning("Resync failed (%s); retrying", error)
                self._resync_wanted.update(sockets)
                await asyncio.sleep(1.0)
            except Exception:
                logger.exception("Resync failed; retrying")
                self._resync_wanted.update(sockets)
                await asyncio.sleep(1.0)

    async def stop(self) -> None:
        if self._resync_task is not None:
            self._resync_task.cancel()
        if self.presence is not None:
            if self.hub.presence is self.presence:
                self.hub.presence = None
            await self.presence.stop()
        if self.bus is not None:
            await self.bus.stop()


_runtime: Runtime | None = None


def runtime() -> Runtime:
    """The runtime of the running event loop (call it on the loop); made on first use."""
    global _runtime
    loop = asyncio.get_running_loop()
    if _runtime is None or _runtime.loop is not loop:
        _runtime = Runtime(loop)
    return _runtime


def current() -> Runtime | None:
    runtime_ = _runtime
    return runtime_ if runtime_ is not None and runtime_.serving() else None


def publish(envelope: Envelope) -> None:
    """Deliver ``envelope`` to its audience in every process; from any thread, never blocks
    a serving process (a process without one publishes synchronously, briefly)."""
    runtime_ = current()
    if runtime_ is not None:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is runtime_.loop:
            runtime_.publish_here(envelope)
        else:
            runtime_.loop.call_soon_threadsafe(runtime_.publish_here, envelope)
        return
    HUB.dispatch(envelope)
    if settings.REDIS_URL:
        _publish_without_loop(envelope)


def _publish_without_loop(envelope: Envelope) -> None:
    from chat.realtime import metrics, redis_conf

    try:
        client = redis_conf.sync_client(settings.REDIS_URL, timeout=2.0)
        client.publish(f"{settings.CHAT_REDIS_PREFIX}:events", envelope.to_wire(PROCESS_ID))
    except Exception as error:
        metrics.PUBLISH_FAILURES.inc()
        logger.warning("Publishing to Redis failed (%s); open clients catch up on their next event", error)
    else:
        metrics.EVENTS_PUBLISHED.inc()


def close_all_sockets() -> int:
    """The server is stopping: every socket finishes the frame it is handling, then
    closes with 1001. Returns how many sockets there were."""
    sockets = HUB.sockets()
    for socket in sockets:
        socket.shut_down()
    return len(sockets)


async def wait_for_sockets_closed(timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while len(HUB) and loop.time() < deadline:
        await asyncio.sleep(0.05)


async def shutdown() -> None:
    """Stop the bus of this process's runtime (tests, and the server on exit)."""
    global _runtime
    runtime_, _runtime = _runtime, None
    if runtime_ is not None and not runtime_.loop.is_closed():
        await runtime_.stop()


def reset() -> None:
    """Forget every socket and the runtime (tests)."""
    global _runtime
    _runtime = None
    HUB.presence = None
    HUB.by_room.clear()
    HUB.by_user.clear()

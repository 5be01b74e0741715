"""The Redis bus: how the processes of one deployment hear each other's events.

Every process publishes each event once to one Redis channel and subscribes to
that channel once; the hub fans an event out to the process's own sockets. A
process delivers its own events to its own sockets at once, without Redis, and
ignores them when they come back from the channel.

Redis pub/sub is at-most-once, so the bus keeps track of what may have been
lost and says so: the database and the per-room seq are the truth, and a
socket that may have missed events gets a ``resync`` frame and catches up.

- Publishing fails (Redis down, paused, full): the targets of the failed
  events are remembered, and once Redis answers again a resync notice for them
  goes out first, so the other processes' sockets catch up.
- The subscription breaks, or answers no PING in time: every local socket may
  have missed events, so all of them are resynced once it is back.

All of it runs on the event loop with short timeouts; nothing waits on Redis
while holding the database thread, and no socket is closed because Redis is.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import deque
from collections.abc import Callable

import orjson

from chat.realtime import metrics, redis_conf
from chat.realtime.envelope import ALL, RESYNC, ROOM, USER, Envelope, from_wire
from chat.realtime.hub import Hub
from chat.realtime.resp import Subscription

logger = logging.getLogger(__name__)

PUBLISH_TIMEOUT = 1.0  # seconds one batch of PUBLISH may take
CONNECT_TIMEOUT = 1.0
PING_AFTER = 1.0  # silence on the subscription after which it is pinged
PONG_TIMEOUT = 2.0  # no answer to that ping for this long: the subscription is dead
BATCH = 256  # events per pipeline
MAX_QUEUED = 20_000  # events waiting for Redis; past it they become resync targets
MAX_MISSED = 10_000  # remembered targets; past it everybody is resynced
BACKOFF_FIRST, BACKOFF_CAP = 0.05, 2.0


def _backoff(attempt: int) -> float:
    return random.uniform(0, min(BACKOFF_CAP, BACKOFF_FIRST * 2**attempt))  # noqa: S311 - jitter, not secrets


class Missed:
    """The audiences whose events may not have reached the other processes."""

    def __init__(self) -> None:
        self.rooms: set[int] = set()
        self.users: set[int] = set()
        self.everyone = False

    def __bool__(self) -> bool:
        return self.everyone or bool(self.rooms) or bool(self.users)

    def add(self, envelope: Envelope) -> None:
        if self.everyone:
            return
        if envelope.op == RESYNC:
            if envelope.audience == ALL:
                self.everyone = True
            self.rooms.update(envelope.rooms)
            self.users.update(envelope.users)
        elif envelope.audience == ROOM:
            self.rooms.add(envelope.target)
        elif envelope.audience == USER:
            self.users.add(envelope.target)
        else:
            self.everyone = True
        if len(self.rooms) + len(self.users) > MAX_MISSED:
            self.everyone = True
        if self.everyone:
            self.rooms.clear()
            self.users.clear()

    def notice(self) -> Envelope:
        if self.everyone:
            return Envelope(op=RESYNC, audience=ALL)
        return Envelope(op=RESYNC, audience=ROOM, rooms=tuple(self.rooms), users=tuple(self.users))


class RedisBus:
    def __init__(
        self, url: str, prefix: str, hub: Hub, process_id: str, on_subscribed: Callable[[], None]
    ) -> None:
        self.url = url
        self.channel = f"{prefix}:events"
        self.hub = hub
        self.process_id = process_id
        self.on_subscribed = on_subscribed
        self.client = redis_conf.async_client(url, timeout=PUBLISH_TIMEOUT, max_connections=4)
        self.queue: deque[Envelope] = deque()
        self.missed = Missed()
        self.publishing = True  # False while Redis refuses our publishes
        self.subscribed = False
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task] = []

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._publish_forever(), name="chat-bus-publish"),
            asyncio.create_task(self._subscribe_forever(), name="chat-bus-subscribe"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(Exception):
            await self.client.aclose()

    # Publishing ------------------------------------------------------------

    def send(self, envelope: Envelope) -> None:
        """Queue ``envelope`` for the other processes (on the event loop; never blocks)."""
        if not self.publishing or len(self.queue) >= MAX_QUEUED:
            self._lose([envelope])
        else:
            self.queue.append(envelope)
        self._wake.set()

    def _lose(self, envelopes: list[Envelope]) -> None:
        for envelope in envelopes:
            self.missed.add(envelope)
        metrics.PUBLISH_FAILURES.inc(len(envelopes))

    async def _publish_forever(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self.queue or self.missed:
                try:
                    if self.missed:
                        # What was lost is announced before anything newer goes out.
                        notice, self.missed = self.missed.notice(), Missed()
                        if not await self._publish([notice]):
                            self.missed.add(notice)
                            await self._until_redis_answers()
                            continue
                    batch = [self.queue.popleft() for _ in range(min(BATCH, len(self.queue)))]
                    if batch and not await self._publish(batch):
                        self._lose(batch)
                        await self._until_redis_answers()
                except asyncio.CancelledError:
                    raise
                except Exception:  # never let the publisher die
                    logger.exception("The event publisher failed; retrying")
                    await asyncio.sleep(BACKOFF_CAP)

    async def _publish(self, envelopes: list[Envelope]) -> bool:
        try:
            async with asyncio.timeout(PUBLISH_TIMEOUT):
                pipe = self.client.pipeline(transaction=False)
                for envelope in envelopes:
                    pipe.publish(self.channel, envelope.to_wire(self.process_id))
                await pipe.execute()
        except Exception as error:
            if self.publishing:
                logger.warning("Publishing to Redis failed (%s); clients will be told to catch up", error)
            return False
        metrics.EVENTS_PUBLISHED.inc(len(envelopes))
        return True

    async def _until_redis_answers(self) -> None:
        """Stop queueing (new events only mark their targets) and probe until Redis answers."""
        self.publishing = False
        self._lose(list(self.queue))
        self.queue.clear()
        attempt = 0
        while True:
            await asyncio.sleep(_backoff(attempt))
            attempt += 1
            try:
                async with asyncio.timeout(PUBLISH_TIMEOUT):
                    await self.client.ping()
            except Exception:  # noqa: S112 - still down; keep probing
                continue
            logger.info("Redis answers again; publishing resumes")
            self.publishing = True
            return

    # Subscribing -----------------------------------------------------------

    async def _subscribe_forever(self) -> None:
        attempt = 0
        while True:
            try:
                address = await redis_conf.primary_address(self.url, timeout=CONNECT_TIMEOUT)
                subscription = await Subscription.open(address, self.channel, timeout=CONNECT_TIMEOUT)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if attempt == 0:
                    logger.warning("Cannot subscribe to Redis (%s); retrying", error)
                await asyncio.sleep(_backoff(attempt))
                attempt += 1
                continue
            attempt = 0
            self.subscribed = True
            metrics.BUS_CONNECTED.set(1)
            logger.info("Subscribed to %s", self.channel)
            # Whatever was published while we were not listening is lost to our sockets.
            self.on_subscribed()
            try:
                await self._listen(subscription)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                logger.warning("The Redis subscription broke (%s); resubscribing", error)
            finally:
                subscription.close()
                self.subscribed = False
                metrics.BUS_CONNECTED.set(0)

    async def _listen(self, subscription: Subscription) -> None:
        loop = asyncio.get_running_loop()
        heard = [loop.time()]
        reader = asyncio.create_task(self._read(subscription, heard, loop))
        pinged_at = 0.0
        try:
            while True:
                done, _pending = await asyncio.wait({reader}, timeout=PING_AFTER / 2)
                if done:
                    reader.result()  # raises what broke it
                    return
                now = loop.time()
                if pinged_at and heard[0] >= pinged_at:
                    pinged_at = 0.0
                if pinged_at and now - pinged_at > PONG_TIMEOUT:
                    raise TimeoutError("Redis did not answer a PING")
                if not pinged_at and now - heard[0] > PING_AFTER:
                    subscription.ping()
                    pinged_at = now
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader

    async def _read(
        self, subscription: Subscription, heard: list[float], loop: asyncio.AbstractEventLoop
    ) -> None:
        # This process's own events come back too; they were delivered here already,
        # and are known by the start of their header without decoding it.
        own = orjson.dumps([self.process_id])[:-1] + b","
        while True:
            pushes = await subscription.read_batch()
            heard[0] = loop.time()
            for kind, data in pushes:
                if kind != "message" or data.startswith(own):
                    continue
                try:
                    origin, envelope = from_wire(data)
                except ValueError:
                    logger.warning("Ignored a malformed event on %s", self.channel)
                    continue
                if origin != self.process_id:
                    self.hub.dispatch(envelope)

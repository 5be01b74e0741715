"""Per-user rate limits: token buckets, checked on the event loop before any database work.

With ``REDIS_URL`` set the buckets live in Redis, so every server process
shares them. Redis is asked with a short timeout; when it does not answer,
this process's own buckets decide for a few seconds, so a Redis outage makes
the limit per-process for a while instead of refusing or stalling sends.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

from django.conf import settings

from chat.exceptions import RateLimited

logger = logging.getLogger(__name__)

REDIS_TIMEOUT = 0.25  # seconds a check may wait for Redis
REDIS_RETRY_AFTER = 5.0  # after a failure, seconds of local-only decisions before asking Redis again

# Refill, spend ``cost`` tokens (1, or 0 to only look), and answer how long to wait
# when the bucket is empty.
# Redis's own clock is used so that servers with skewed clocks agree.
_REDIS_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3] or '1')
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens = tonumber(state[1]) or burst
local stamp = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
if tokens < 1 then
  return tostring((1 - tokens) / rate)
end
if cost == 0 then
  return '0'
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - cost), 'stamp', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return '0'
"""


class LocalBuckets:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str, rate: float, burst: int, cost: int = 1) -> float:
        now = time.monotonic()
        with self._lock:
            tokens, stamp = self._buckets.get(key, (float(burst), now))
            tokens = min(burst, tokens + max(0.0, now - stamp) * rate)
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                return (1 - tokens) / rate
            if cost == 0:
                return 0.0
            self._buckets[key] = (tokens - cost, now)
            if len(self._buckets) > 100_000:
                self._forget_full(now, rate, burst)
            return 0.0

    def _forget_full(self, now: float, rate: float, burst: int) -> None:
        """Drop buckets that have refilled: they hold nothing a new bucket would not."""
        full_after = burst / rate
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < full_after}

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()


class RedisBuckets:
    """The shared buckets, for one event loop (redis.asyncio clients belong to one).

    The takes asked while Redis is answering others go together in one pipeline: one
    write and one round trip for a burst of sends, where one EVALSHA each cost a tenth
    of a busy server's event loop (py-spy, 7,500 deliveries/s over two processes)."""

    BATCH = 256

    def __init__(self, url: str, prefix: str) -> None:
        from chat.realtime import redis_conf

        self._prefix = f"{prefix}:ratelimit:"
        self._client = redis_conf.async_client(url, timeout=REDIS_TIMEOUT, max_connections=16)
        self._script = self._client.register_script(_REDIS_SCRIPT)
        self._waiting: list[tuple[str, float, int, asyncio.Future[float]]] = []
        self._flushing: asyncio.Task[None] | None = None

    async def take(self, key: str, rate: float, burst: int) -> float:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[float] = loop.create_future()
        self._waiting.append((self._prefix + key, rate, burst, future))
        if self._flushing is None or self._flushing.done():
            self._flushing = loop.create_task(self._flush(), name="chat-ratelimit")
        return await future

    async def _flush(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[: self.BATCH], self._waiting[self.BATCH :]
            try:
                async with asyncio.timeout(REDIS_TIMEOUT):
                    results = await self._run(batch)
            except Exception as error:
                # Redis did not answer: these and all that wait decide locally (Limiter.take).
                batch, self._waiting = batch + self._waiting, []
                for *_asked, future in batch:
                    if not future.done():
                        future.set_exception(error)
                return
            for (*_asked, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(float(result))

    async def _run(self, batch: list[tuple[str, float, int, asyncio.Future[float]]]) -> list[Any]:
        from redis.exceptions import NoScriptError

        for attempt in range(2):
            pipe = self._client.pipeline(transaction=False)
            for key, rate, burst, _future in batch:
                pipe.evalsha(self._script.sha, 1, key, rate, burst)
            try:
                return await pipe.execute()
            except NoScriptError:
                if attempt:
                    raise
                await self._client.script_load(_REDIS_SCRIPT)  # a restarted Redis forgot it
        raise AssertionError("unreachable")


class Limiter:
    def __init__(self) -> None:
        self.local = LocalBuckets()
        self._redis: dict[asyncio.AbstractEventLoop, RedisBuckets] = {}
        self._sync_script: Any = None
        self._redis_down_until = 0.0

    def _redis_usable(self) -> bool:
        return bool(settings.REDIS_URL) and time.monotonic() >= self._redis_down_until

    def _redis_failed(self, error: Exception) -> None:
        self._redis_down_until = time.monotonic() + REDIS_RETRY_AFTER
        logger.warning("Rate limits are per process for now: Redis did not answer (%s)", error)

    def _shared(self) -> RedisBuckets | None:
        if not self._redis_usable():
            return None
        loop = asyncio.get_running_loop()
        buckets = self._redis.get(loop)
        if buckets is None:
            self._redis = {loop: RedisBuckets(settings.REDIS_URL, settings.CHAT_REDIS_PREFIX)}
            buckets = self._redis[loop]
        return buckets

    async def take(self, key: str, rate: float, burst: int) -> float:
        """Spend one token of ``key``; 0 if allowed, else the seconds to wait."""
        shared = self._shared()
        if shared is not None:
            try:
                return await shared.take(key, rate, burst)
            except Exception as error:
                self._redis_failed(error)
        return self.local.take(key, rate, burst)

    def take_sync(self, key: str, rate: float, burst: int, cost: int = 1) -> float:
        """``take`` for synchronous code (pages): the same buckets, the same fallback.
        A ``cost`` of 0 only looks: how long until the bucket holds a token."""
        if self._redis_usable():
            try:
                if self._sync_script is None:
                    from chat.realtime import redis_conf

                    client = redis_conf.sync_client(settings.REDIS_URL, timeout=REDIS_TIMEOUT)
                    self._sync_script = client.register_script(_REDIS_SCRIPT)
                prefix = f"{settings.CHAT_REDIS_PREFIX}:ratelimit:"
                return float(self._sync_script(keys=[prefix + key], args=[rate, burst, cost]))
            except Exception as error:
                self._sync_script = None
                self._redis_failed(error)
        return self.local.take(key, rate, burst, cost)

    def reset(self) -> None:
        self.local.reset()
        self._redis.clear()
        self._sync_script = None
        self._redis_down_until = 0.0


LIMITER = Limiter()


def _limits(action: str) -> tuple[float, int]:
    if action == "send":  # configured on its own, from the environment
        return float(settings.CHAT_SEND_RATE), int(settings.CHAT_SEND_BURST)
    rate, burst = settings.CHAT_RATE_LIMITS[action]
    return float(rate), int(burst)


async def check(action: str, who: str | int) -> None:
    """Spend one token of ``who``'s bucket for ``action`` (settings.CHAT_RATE_LIMITS),
    or raise RateLimited with the seconds to wait. A rate of 0 turns it off."""
    rate, burst = _limits(action)
    if rate <= 0:
        return
    retry_after = await LIMITER.take(f"{action}:{who}", rate, burst)
    if retry_after > 0:
        raise RateLimited(retry_after)


def check_sync(action: str, who: str | int, *, spend: bool = True) -> None:
    """``check`` for synchronous code (pages and forms). With ``spend=False`` it only
    looks: RateLimited if the bucket is empty, nothing spent otherwise."""
    rate, burst = _limits(action)
    if rate <= 0:
        return
    retry_after = LIMITER.take_sync(f"{action}:{who}", rate, burst, 1 if spend else 0)
    if retry_after > 0:
        raise RateLimited(retry_after)


async def check_send(user_id: int) -> None:
    """Spend one of the user's send tokens, or raise RateLimited."""
    await check("send", user_id)


def client_address(request: Any) -> str:
    """The address a page's limits are kept by. Behind a proxy, the server
    (chatsite.server --proxy-headers) has already put the client's address here."""
    return str(request.META.get("REMOTE_ADDR") or "unknown")

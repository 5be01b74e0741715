"""The per-user sending rate limit: a token bucket.

With ``REDIS_URL`` set the bucket lives in Redis, so every server process
shares it; otherwise it lives in this process, which is all there is.
"""

from __future__ import annotations

import threading
import time
from functools import lru_cache

from django.conf import settings

# Refill, spend one token, and answer how long to wait when the bucket is empty.
# Redis's own clock is used so that servers with skewed clocks agree.
_REDIS_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens = tonumber(state[1]) or burst
local stamp = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
if tokens < 1 then
  return tostring((1 - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - 1), 'stamp', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return '0'
"""


class LocalBuckets:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str, rate: float, burst: int) -> float:
        now = time.monotonic()
        with self._lock:
            tokens, stamp = self._buckets.get(key, (float(burst), now))
            tokens = min(burst, tokens + max(0.0, now - stamp) * rate)
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                return (1 - tokens) / rate
            self._buckets[key] = (tokens - 1, now)
            return 0.0

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()


class RedisBuckets:
    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self._prefix = f"{prefix}:ratelimit:"
        self._client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._script = self._client.register_script(_REDIS_SCRIPT)

    def take(self, key: str, rate: float, burst: int) -> float:
        return float(self._script(keys=[self._prefix + key], args=[rate, burst]))

    def reset(self) -> None:
        for key in self._client.scan_iter(self._prefix + "*"):
            self._client.delete(key)


@lru_cache(maxsize=1)
def _buckets(redis_url: str, prefix: str) -> LocalBuckets | RedisBuckets:
    return RedisBuckets(redis_url, prefix) if redis_url else LocalBuckets()


def buckets() -> LocalBuckets | RedisBuckets:
    return _buckets(settings.REDIS_URL, settings.CHAT_REDIS_PREFIX)


def take_send_token(user_id: int) -> float:
    """Spend one send token of this user; 0 if allowed, else seconds to wait."""
    rate = float(settings.CHAT_SEND_RATE)
    burst = int(settings.CHAT_SEND_BURST)
    if rate <= 0:
        return 0.0
    return buckets().take(f"send:{user_id}", rate, burst)

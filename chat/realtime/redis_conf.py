"""``REDIS_URL``, read once: a single Redis server, or a Sentinel set that names the primary.

- ``redis://[[user]:password@]host:6379/0`` (``rediss://`` for TLS): one server.
- ``redis+sentinel://[[user]:password@]host1:26379,host2:26379/SERVICE[/DB]``: ask
  the sentinels for the primary of SERVICE, and ask again after every failure,
  so the chat follows a failover without a restart. The password is the
  primary's; the sentinels themselves are reached without one.

Clients made here never retry on their own: every caller bounds its own
waiting and decides what a failure means.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import redis
import redis.asyncio
from redis.asyncio.sentinel import Sentinel as AsyncSentinel
from redis.backoff import NoBackoff
from redis.retry import Retry
from redis.sentinel import Sentinel as SyncSentinel

SENTINEL_SCHEME = "redis+sentinel"


@dataclass(frozen=True, slots=True)
class RedisTarget:
    url: str  # the plain URL; empty for a Sentinel set
    sentinels: tuple[tuple[str, int], ...] = ()
    service: str = ""
    db: int = 0
    username: str | None = None
    password: str | None = None

    @property
    def uses_sentinel(self) -> bool:
        return bool(self.sentinels)


@lru_cache(maxsize=8)
def parse(url: str) -> RedisTarget:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != SENTINEL_SCHEME:
        return RedisTarget(url=url)
    netloc = parts.netloc.rpartition("@")[2]
    sentinels = []
    for item in netloc.split(","):
        host, _colon, port = item.strip().rpartition(":")
        sentinels.append((host or item.strip(), int(port) if host else 26379))
    path = [piece for piece in parts.path.split("/") if piece]
    if not path:
        raise ValueError("A Sentinel REDIS_URL names its service: redis+sentinel://host:26379/SERVICE")
    return RedisTarget(
        url="",
        sentinels=tuple(sentinels),
        service=urllib.parse.unquote(path[0]),
        db=int(path[1]) if len(path) > 1 else 0,
        username=urllib.parse.unquote(parts.username) if parts.username else None,
        password=urllib.parse.unquote(parts.password) if parts.password else None,
    )


def _no_retry() -> Retry:
    return Retry(NoBackoff(), 0)


def _options(timeout: float) -> dict[str, Any]:
    return {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "retry": _no_retry(),
        "retry_on_timeout": False,
        "health_check_interval": 0,
    }


def _sentinels(kind: type, target: RedisTarget, timeout: float) -> Any:
    return kind(
        target.sentinels, sentinel_kwargs={"socket_timeout": timeout, "socket_connect_timeout": timeout}
    )


def _primary(kind: type, target: RedisTarget, timeout: float, **extra: Any) -> Any:
    """A client of the set's primary: it asks the sentinels again whenever it connects."""
    return _sentinels(kind, target, timeout).master_for(
        target.service,
        db=target.db,
        username=target.username,
        password=target.password,
        **_options(timeout),
        **extra,
    )


def async_client(url: str, *, timeout: float, max_connections: int = 32) -> redis.asyncio.Redis:
    """A client for the event loop. Its pool waits up to ``timeout`` for a free connection
    instead of failing at once, so a burst of callers queues briefly rather than erroring."""
    target = parse(url)
    if target.uses_sentinel:
        return _primary(AsyncSentinel, target, timeout, max_connections=max_connections)
    pool = redis.asyncio.BlockingConnectionPool.from_url(
        target.url,
        max_connections=max_connections,
        timeout=timeout,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=_no_retry(),
    )
    return redis.asyncio.Redis(connection_pool=pool)


def sync_client(url: str, *, timeout: float) -> redis.Redis:
    """A client for code that has no event loop (management commands)."""
    target = parse(url)
    if target.uses_sentinel:
        return _primary(SyncSentinel, target, timeout)
    return redis.Redis.from_url(target.url, **_options(timeout))


@dataclass(frozen=True, slots=True)
class Address:
    host: str
    port: int
    username: str | None
    password: str | None
    tls: bool


async def primary_address(url: str, *, timeout: float) -> Address:
    """Where the primary is now: for connections made by hand (the bus's subscriber)."""
    target = parse(url)
    if target.uses_sentinel:
        sentinel = _sentinels(AsyncSentinel, target, timeout)
        try:
            host, port = await sentinel.discover_master(target.service)
        finally:
            await sentinel.aclose()
        return Address(host, int(port), target.username, target.password, tls=False)
    parts = urllib.parse.urlsplit(target.url)
    return Address(
        parts.hostname or "127.0.0.1",
        parts.port or 6379,
        urllib.parse.unquote(parts.username) if parts.username else None,
        urllib.parse.unquote(parts.password) if parts.password else None,
        tls=parts.scheme == "rediss",
    )

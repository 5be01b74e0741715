"""Session-wide fixtures: clean per-test state, and real processes for the
integration and browser tests (tests/live.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings as hypothesis_settings

from tests.live import ChatServer, LiveDatabase, RedisServer

# Property tests draw the same examples on every run, so a red CI is reproducible;
# HYPOTHESIS_PROFILE=explore draws new ones (run it now and then, and keep what it finds).
hypothesis_settings.register_profile("repeatable", derandomize=True)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture(autouse=True)
def _fresh_chat_state() -> Iterator[None]:
    """Each test starts with full rate-limit buckets, no sockets registered and the
    default language (a test that speaks Chinese leaves it behind otherwise)."""
    from django.utils import translation

    from chat import ratelimit, realtime

    ratelimit.LIMITER.reset()
    realtime.reset()
    translation.deactivate()
    yield
    realtime.reset()
    translation.deactivate()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """REDIS_URL when set; otherwise a private redis-server for this session."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    server = RedisServer().start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def live_database() -> Iterator[LiveDatabase]:
    database = LiveDatabase(os.environ.get("DATABASE_URL", "")).create()
    try:
        yield database
    finally:
        database.drop()


@pytest.fixture(scope="module")
def live_chat() -> Iterator[ChatServer]:
    """One server process on a fresh database, without Redis."""
    database = LiveDatabase(os.environ.get("DATABASE_URL", "")).create()
    server = ChatServer(database).start()
    try:
        yield server
    finally:
        server.stop()
        database.drop()


@pytest.fixture(scope="module")
def chat_pair(redis_url: str) -> Iterator[tuple[ChatServer, ChatServer]]:
    """Two server processes sharing one database and one Redis."""
    database = LiveDatabase(os.environ.get("DATABASE_URL", "")).create()
    # Generous limits: these tests post many messages quickly on purpose.
    env = {"CHAT_SEND_RATE": "500", "CHAT_SEND_BURST": "500"}
    first = ChatServer(database, redis_url=redis_url, env=env).start()
    second = ChatServer(database, redis_url=redis_url, env=env).start()
    try:
        yield first, second
    finally:
        first.stop()
        second.stop()
        database.drop()

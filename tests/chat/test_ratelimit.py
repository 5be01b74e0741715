"""chat.ratelimit: token buckets on the event loop, shared through Redis, local when it is down."""

from __future__ import annotations

import uuid

import pytest

from chat import ratelimit
from chat.exceptions import RateLimited


async def spend(times: int, user_id: int = 1) -> list[str]:
    outcomes = []
    for _ in range(times):
        try:
            await ratelimit.check_send(user_id)
        except RateLimited as limited:
            assert limited.extra["retry_after"] > 0
            outcomes.append("limited")
        else:
            outcomes.append("ok")
    return outcomes


async def test_a_burst_then_the_limit(settings) -> None:
    settings.CHAT_SEND_BURST = 3
    settings.CHAT_SEND_RATE = 0.01

    assert await spend(4) == ["ok", "ok", "ok", "limited"]
    assert await spend(1, user_id=2) == ["ok"]  # per user


async def test_a_zero_rate_turns_the_limit_off(settings) -> None:
    settings.CHAT_SEND_BURST = 1
    settings.CHAT_SEND_RATE = 0

    assert await spend(5) == ["ok"] * 5


async def test_when_redis_does_not_answer_this_process_decides(settings, caplog) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.CHAT_SEND_BURST = 2
    settings.CHAT_SEND_RATE = 0.01

    assert await spend(3) == ["ok", "ok", "limited"]
    # One warning, then local decisions without asking Redis again for a while.
    assert [r.message for r in caplog.records if "per process" in r.message][:1]
    assert len([r for r in caplog.records if "per process" in r.message]) == 1


@pytest.mark.integration
async def test_processes_share_the_buckets_through_redis(settings, redis_url: str) -> None:
    settings.REDIS_URL = redis_url
    settings.CHAT_REDIS_PREFIX = f"ratelimit-{uuid.uuid4().hex[:8]}"
    settings.CHAT_SEND_BURST = 2
    settings.CHAT_SEND_RATE = 0.01
    other_process = ratelimit.Limiter()

    await ratelimit.check_send(7)
    assert await other_process.take("send:7", 0.01, 2) == 0.0
    # Both tokens are spent, whichever process asks.
    with pytest.raises(RateLimited):
        await ratelimit.check_send(7)
    assert await other_process.take("send:7", 0.01, 2) > 0


def _looks_then_spends(settings) -> list[str]:
    settings.CHAT_RATE_LIMITS = {**settings.CHAT_RATE_LIMITS, "login": (0.001, 2)}
    outcomes = []
    for spend in [False, False, True, False, True, False, True]:
        try:
            ratelimit.check_sync("login", "user:ann", spend=spend)
        except RateLimited:
            outcomes.append("limited")
        else:
            outcomes.append("ok")
    return outcomes


def test_looking_spends_nothing(settings) -> None:
    # Two looks, a spend, a look, the last token spent; then looking and spending refuse.
    assert _looks_then_spends(settings) == ["ok", "ok", "ok", "ok", "ok", "limited", "limited"]


@pytest.mark.integration
def test_looking_spends_nothing_in_redis_either(settings, redis_url: str) -> None:
    settings.REDIS_URL = redis_url
    settings.CHAT_REDIS_PREFIX = f"ratelimit-{uuid.uuid4().hex[:8]}"

    assert _looks_then_spends(settings) == ["ok", "ok", "ok", "ok", "ok", "limited", "limited"]
    assert ratelimit.LIMITER.local.take("login:user:ann", 0.001, 2) == 0.0  # Redis held them


@pytest.mark.integration
async def test_takes_asked_together_each_get_their_own_answer(settings, redis_url: str) -> None:
    import asyncio

    import redis

    settings.REDIS_URL = redis_url
    settings.CHAT_REDIS_PREFIX = f"ratelimit-{uuid.uuid4().hex[:8]}"
    limiter = ratelimit.Limiter()
    # A bucket of one token each for the even users, of two for the odd ones.
    asked = [limiter.take(f"send:{n}", 0.01, 1 + n % 2) for n in range(60)]
    assert await asyncio.gather(*asked) == [0.0] * 60

    again = await asyncio.gather(*(limiter.take(f"send:{n}", 0.01, 1 + n % 2) for n in range(60)))
    assert [wait > 0 for wait in again] == [n % 2 == 0 for n in range(60)]

    # A Redis that forgot the script (restarted, flushed) is given it again.
    redis.Redis.from_url(redis_url).script_flush()
    assert await limiter.take("send:fresh", 0.01, 1) == 0.0
    assert limiter._redis_down_until == 0.0  # no fallback to local buckets was needed

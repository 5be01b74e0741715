"""chat.realtime.resp: the subscription's reader parses RESP2 from a buffer, however the
bytes are cut."""

from __future__ import annotations

import asyncio
import random

import pytest

from chat.realtime.resp import ReplyError, Subscription


def push(data: bytes, channel: bytes = b"chat:events") -> bytes:
    return b"*3\r\n$7\r\nmessage\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(channel), channel, len(data), data)


PONG = b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"


class FakeWriter:
    def write(self, data: bytes) -> None:
        pass

    def close(self) -> None:
        pass


def subscription_over(chunks: list[bytes]) -> Subscription:
    reader = asyncio.StreamReader()
    for chunk in chunks:
        reader.feed_data(chunk)
    reader.feed_eof()
    return Subscription(reader, FakeWriter())  # type: ignore[arg-type]


async def everything(subscription: Subscription) -> list[tuple[str, bytes]]:
    found: list[tuple[str, bytes]] = []
    with pytest.raises(ConnectionError):
        while True:
            found += await subscription.read_batch()
    return found


@pytest.mark.parametrize("seed", range(8))
async def test_pushes_cut_anywhere_come_out_whole_and_in_order(seed: int) -> None:
    rng = random.Random(seed)
    bodies = [rng.randbytes(rng.randint(0, 300)) for _ in range(40)]
    bodies[3] = b"with \r\n inside, and a $5\r\n that is not a header"
    stream = (
        b"".join(push(body) for body in bodies[:20]) + PONG + b"".join(push(body) for body in bodies[20:])
    )
    cuts = sorted(rng.sample(range(1, len(stream)), 60))
    chunks = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]

    found = await everything(subscription_over(chunks))

    expected = [("message", body) for body in bodies[:20]] + [("pong", b"")]
    expected += [("message", body) for body in bodies[20:]]
    assert found == expected


async def test_one_at_a_time_leaves_the_rest_buffered() -> None:
    subscription = subscription_over([push(b"one") + push(b"two") + PONG])

    assert await subscription.read() == ("message", b"one")
    assert await subscription.read_batch() == [("message", b"two"), ("pong", b"")]


async def test_a_subscribe_confirmation_is_skipped_and_an_error_raises() -> None:
    confirmation = b"*3\r\n$9\r\nsubscribe\r\n$11\r\nchat:events\r\n:1\r\n"
    subscription = subscription_over([confirmation + push(b"after") + b"-ERR no such thing\r\n"])

    assert await subscription.read_batch() == [("message", b"after")]
    with pytest.raises(ReplyError, match="no such thing"):
        await subscription.read_batch()

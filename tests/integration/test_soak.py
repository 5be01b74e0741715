"""A soak: many clients, two server processes, flaky networks and a Redis restart.

50 protocol clients (tests/chatclient.py) over two server processes and 5 rooms,
each client a member of 1 to 3 of them. Each client sends at random intervals
to one of its rooms and now and then loses its connection (``ChatClient.drop``)
and reconnects, to either process, resending what was not acknowledged with the
same client_id. Halfway through, Redis is killed and started again. After a
settle period, every acknowledged message must be shown exactly once to every
member, in seq order, with no seq missing up to the highest acknowledged one.

The test prints what happened: sends, acks, deliveries, duplicate deliveries
the clients dropped, gaps filled, resyncs, reconnects and close codes.

Environment:

- ``CHAT_SOAK_SECONDS``: how long the clients keep talking (default 45; with
  set-up and settling the test takes about a minute). Set it higher for a
  longer soak, e.g. ``CHAT_SOAK_SECONDS=600``.
- ``CHAT_SOAK_SEED``: the random seed (printed by every run), to replay one.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
import uuid
from collections import Counter

import pytest

from tests.chatclient import ChatClient, until
from tests.live import ChatServer, LiveDatabase, RedisServer, delivery_problems_after, provision, signed_in

pytestmark = pytest.mark.integration

SOAK_SECONDS = float(os.environ.get("CHAT_SOAK_SECONDS", "45"))
CLIENTS = 50
ROOMS = 5
SEND_EVERY = (0.3, 2.5)  # seconds between two actions of one client, at random
DROP_CHANCE = 0.08  # of an action being a dropped connection instead of a send


def memberships(rng: random.Random, rooms: list[str]) -> dict[str, list[int]]:
    """Each client in 1 to 3 rooms; every room with at least two members."""
    members: dict[str, list[int]] = {room: [] for room in rooms}
    for n in range(CLIENTS):
        for room in rng.sample(rooms, rng.randint(1, 3)):
            members[room].append(n)
    for room in rooms:
        while len(members[room]) < 2:
            n = rng.randrange(CLIENTS)
            if n not in members[room]:
                members[room].append(n)
    return members


async def test_soak(live_database: LiveDatabase) -> None:
    seed = int(os.environ.get("CHAT_SOAK_SEED") or random.randrange(2**32))
    rng = random.Random(seed)
    print(f"\nsoak: {SOAK_SECONDS:.0f} s of traffic, seed {seed} (CHAT_SOAK_SEED={seed} replays it)")
    tag = uuid.uuid4().hex[:6]
    rooms = [f"soak{n}-{tag}" for n in range(ROOMS)]
    members = memberships(rng, rooms)
    users = provision(live_database, [f"s{n}-{tag}" for n in range(CLIENTS)], members)

    redis = RedisServer().start()
    env = {"CHAT_SEND_RATE": "1000", "CHAT_SEND_BURST": "1000"}
    servers = [ChatServer(live_database, redis_url=redis.url, env=env).start() for _ in range(2)]
    clients: list[ChatClient] = []
    try:
        for n, user in enumerate(users):
            clients.append(ChatClient(signed_in(servers[n % 2].url, user), servers).start())
        await until(lambda: all(c.ready.is_set() for c in clients), timeout=60)
        rooms_of = {n: [room for room in rooms if n in members[room]] for n in range(CLIENTS)}
        counts = {"sent": 0, "drops": 0}
        stop = asyncio.Event()

        async def behave(n: int, client: ChatClient) -> None:
            while not stop.is_set():
                await asyncio.sleep(rng.uniform(*SEND_EVERY))
                if stop.is_set():
                    return
                if rng.random() < DROP_CHANCE:
                    counts["drops"] += 1
                    await client.drop()
                else:
                    counts["sent"] += 1
                    await client.send(rng.choice(rooms_of[n]), f"soak {counts['sent']} from {client.name}")

        started = time.monotonic()
        behaviours = [asyncio.create_task(behave(n, client)) for n, client in enumerate(clients)]
        try:
            await asyncio.sleep(SOAK_SECONDS / 2)
            redis.kill()
            await asyncio.sleep(1.5)
            redis.start()
            await asyncio.sleep(SOAK_SECONDS / 2)
        finally:
            stop.set()
            await asyncio.gather(*behaviours, return_exceptions=True)
        talked = time.monotonic() - started

        started = time.monotonic()
        problems = await delivery_problems_after(
            {room: [clients[n] for n in members[room]] for room in rooms}, patience=60
        )
        settled = time.monotonic() - started

        closes: Counter[int] = Counter()
        errors: Counter[str] = Counter()
        for client in clients:
            closes.update({int(code): count for code, count in client.stats.closes.items()})
            errors.update(client.stats.errors)
        delivered = sum(len(shown) for c in clients for shown in c.shown.values())
        print(
            f"soak: {talked:.1f} s of traffic, settled in {settled:.1f} s;"
            f" sent {counts['sent']}, acked {sum(len(c.acked) for c in clients)},"
            f" delivered {delivered} (messages shown, all clients),"
            f" duplicates {sum(c.stats.duplicate_deliveries for c in clients)} (dropped by the clients),"
            f" gaps filled {sum(c.stats.gaps_filled for c in clients)},"
            f" resyncs {sum(c.stats.resyncs for c in clients)},"
            f" reconnects {sum(c.stats.connects - 1 for c in clients)} ({counts['drops']} drops),"
            f" close codes {dict(sorted(closes.items()))},"
            f" error frames {dict(errors)}"
        )
        assert problems == [], problems[:20]
        assert sum(len(c.acked) for c in clients) == counts["sent"]
        for server in servers:
            assert "Traceback" not in server.output(), server.output()[-5000:]
    finally:
        for client in clients:
            await client.stop()
        for server in servers:
            server.stop()
        redis.stop()

"""Redis is not a single point of failure: a Sentinel set fails over under a running chat.

A real Redis primary, a replica of it and one sentinel (tests/live.RedisSentinelSet);
two server processes with ``REDIS_URL=redis+sentinel://.../mymaster/0``. The primary
is killed; the sentinel promotes the replica; the chat carries on without a server
restart and without closing a socket: sends are acknowledged throughout, fan-out
between the two processes resumes through the new primary, and clients catch up.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
import uuid
from collections.abc import Iterator

import pytest
import websockets

from tests.chatclient import ChatClient, talk, until
from tests.live import (
    ChatServer,
    Deployment,
    RedisSentinelSet,
    delivery_problems_after,
    recv_until,
    send,
    signed_in,
)

pytestmark = pytest.mark.integration

METRICS_TOKEN = "sentinel-test-token"
CLIENTS = 4  # half on each process


@pytest.fixture
def deployment() -> Iterator[Deployment]:
    sentinels = RedisSentinelSet(down_after_ms=1000, failover_timeout_ms=3000).start()
    # CLIENTS protocol clients, then one probe user per process.
    deployment = Deployment(redis=sentinels, env={"CHAT_METRICS_TOKEN": METRICS_TOKEN}).members(CLIENTS + 2)
    yield deployment
    deployment.stop()


def bus_connected(server: ChatServer) -> bool:
    """Whether the process hears the others through Redis (its chat_bus_connected gauge)."""
    request = urllib.request.Request(
        server.url + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read().decode()
    return any(
        line.split()[-1] == "1.0" for line in text.splitlines() if line.startswith("chat_bus_connected ")
    )


class Probe:
    """A raw socket that records the seqs of the messages it hears live."""

    def __init__(self, ws: websockets.ClientConnection) -> None:
        self.ws = ws
        self.heard: dict[str, int] = {}  # client_id -> seq
        self.acks: dict[str, int] = {}
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for text in self.ws:
            frame = json.loads(text)
            if frame["type"] == "message":
                self.heard[frame["message"]["client_id"]] = frame["message"]["seq"]
            elif frame["type"] == "ack":
                self.acks[frame["client_id"]] = frame["seq"]

    async def close(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        await self.ws.close()


async def open_probe(server: ChatServer, user: dict) -> Probe:
    session = signed_in(server.url, user)
    ws = await websockets.connect(
        server.ws_url, additional_headers={"Origin": server.url, "Cookie": session.cookie_header}
    )
    await recv_until(ws, "hello")
    return Probe(ws)


async def fan_out_works(sender: Probe, listener: Probe, room: str, patience: float = 30.0) -> int:
    """Send from one process until the other hears a message live (not by catching up);
    returns how many tries it took."""
    deadline = time.monotonic() + patience
    tries = 0
    while time.monotonic() < deadline:
        tries += 1
        client_id = f"probe-{uuid.uuid4().hex[:8]}"
        await send(
            sender.ws, {"type": "send", "room": room, "body": "can you hear me?", "client_id": client_id}
        )
        try:
            await until(lambda client_id=client_id: client_id in listener.heard, timeout=3)
        except TimeoutError:
            continue
        return tries
    raise AssertionError(f"no message crossed between the processes within {patience} s")


async def test_the_chat_follows_a_sentinel_failover(
    deployment: Deployment, clients: list[ChatClient]
) -> None:
    room = deployment.room
    redis = deployment.redis
    for n, user in enumerate(deployment.users[:CLIENTS]):
        server = deployment.servers[n % 2]
        clients.append(ChatClient(signed_in(server.url, user), [server]).start())
    await until(lambda: all(c.ready.is_set() for c in clients))
    probes = [
        await open_probe(server, deployment.users[CLIENTS + n]) for n, server in enumerate(deployment.servers)
    ]
    stop, sent = asyncio.Event(), []
    talker = asyncio.create_task(talk(clients, room, stop, sent))
    try:
        assert await fan_out_works(probes[0], probes[1], room) == 1
        await until(lambda: all(len(c.acked) >= 3 for c in clients))

        old_primary = redis.primary.port
        redis.kill_primary()
        killed = time.monotonic()
        acked_at_kill = [len(c.acked) for c in clients]
        # Sends are acknowledged while the sentinel has not yet promoted anyone...
        await until(lambda: all(len(c.acked) >= n + 3 for c, n in zip(clients, acked_at_kill, strict=True)))
        # ... the replica becomes the primary ...
        await until(lambda: redis.primary_port() == redis.replica.port, timeout=60)
        assert redis.primary_port() != old_primary
        promoted = time.monotonic() - killed
        # ... both processes listen to it, without a restart ...
        for server in deployment.servers:
            await until(lambda server=server: bus_connected(server), timeout=30)
        # ... and messages cross between them live again, both ways.
        tries = await fan_out_works(probes[0], probes[1], room)
        tries += await fan_out_works(probes[1], probes[0], room)
        count = len(sent)
        await until(lambda: len(sent) >= count + 3 * len(clients))
    finally:
        stop.set()
        await talker
        for probe in probes:
            await probe.close()

    probe_acks = {client_id: (room, seq) for probe in probes for client_id, seq in probe.acks.items()}
    assert await delivery_problems_after({room: clients}, probe_acks) == []
    assert {client_id for c in clients for client_id in c.acked} == set(sent)
    # No socket was closed because Redis failed over.
    assert all(c.stats.connects == 1 for c in clients), [c.stats for c in clients]
    assert all(server.process is not None and server.process.poll() is None for server in deployment.servers)
    for server in deployment.servers:
        assert "Traceback" not in server.output(), server.output()[-5000:]
    print(
        f"\nSentinel failover: replica promoted {promoted:.2f} s after the primary was killed;"
        f" {len(sent)} sends, all acked; {tries} probe messages to see fan-out both ways again;"
        f" resyncs {sum(c.stats.resyncs for c in clients)},"
        f" gaps filled {sum(c.stats.gaps_filled for c in clients)}"
    )

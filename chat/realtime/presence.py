"""Presence: who has at least one open socket, anywhere in the deployment.

A user is online while one of their sockets is open in any process. Each
process knows its own sockets (the hub); what the others know comes from a
store shared through Redis, or, for a single process without Redis, from the
hub alone.

In Redis, each process keeps one entry per local user in a sorted set, scored
by when it expires, and renews them with a heartbeat. A process that dies stops
renewing, and its users drop out once their entries expire (CHAT_PRESENCE_TTL
seconds), so nobody stays online because the process holding their socket was
killed. A version counter, bumped on every change, tells the other processes
when to read the set again; between changes they read it once per heartbeat.

Every process then turns changes into ``presence`` frames for its own sockets:
one frame per room whose online members changed, encoded once and handed to
each local socket hearing that room. A socket that has just said hello, or
joined a room, is sent the room's current list. All of it runs on the event
loop in one task, in rounds: a storm of connections makes one database read
per round, not one per socket.

A socket that closes and reopens within CHAT_PRESENCE_GRACE seconds (a page
reload) never shows its user offline.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count

from chat import protocol
from chat.models import Membership
from chat.realtime.hub import Hub, Socket

logger = logging.getLogger(__name__)

ROUND_DELAY = 0.05  # seconds a round waits so that one read serves what arrives together
POLL_EVERY = 1.0  # seconds between looks at the shared store
REDIS_TIMEOUT = 1.0
CHUNK = 500  # ids per IN (...) in one query


class LocalStore:
    """One process without Redis: who is online is who has a socket here."""

    async def sync(self, local: set[int]) -> set[int]:
        return set(local)

    async def close(self) -> None:
        return None


class RedisStore:
    """The deployment's online users, shared through one sorted set in Redis."""

    def __init__(self, url: str, prefix: str, process_id: str, ttl: float) -> None:
        from chat.realtime import redis_conf

        self.client = redis_conf.async_client(url, timeout=REDIS_TIMEOUT, max_connections=2)
        self.key = f"{prefix}:presence"
        self.version_key = f"{prefix}:presence:version"
        self.process_id = process_id
        self.ttl = ttl
        self.heartbeat = max(0.5, ttl / 3)
        self.published: set[int] = set()  # local users as Redis last heard them
        self.renewed_at = 0.0
        self.version: bytes | None = None
        self.read_at = 0.0
        self.online: set[int] = set()
        self.failing = False

    def _entry(self, user_id: int) -> str:
        return f"{user_id}:{self.process_id}"

    async def sync(self, local: set[int]) -> set[int]:
        """Tell Redis who is online here; return who is online anywhere."""
        try:
            async with asyncio.timeout(REDIS_TIMEOUT * 2):
                online = await self._sync(local)
        except Exception as error:
            if not self.failing:
                logger.warning("Presence could not reach Redis (%s); showing what this process knows", error)
            self.failing = True
            self.published = set()  # write everything again once Redis answers
            return self.online | local
        if self.failing:
            logger.info("Presence reaches Redis again")
            self.failing = False
        return online

    async def _sync(self, local: set[int]) -> set[int]:
        now = time.time()
        renew = now - self.renewed_at >= self.heartbeat
        gone = self.published - local
        moved = local != self.published
        pipe = self.client.pipeline(transaction=False)
        wrote = renew or moved
        if wrote:
            chosen = local if renew else local - self.published
            if chosen:
                pipe.zadd(self.key, {self._entry(user_id): now + self.ttl for user_id in chosen})
            if gone:
                pipe.zrem(self.key, *[self._entry(user_id) for user_id in gone])
            # Whoever renews also sweeps out the entries of processes that died.
            pipe.zremrangebyscore(self.key, "-inf", now)
            if moved:
                pipe.incr(self.version_key)
        pipe.get(self.version_key)
        results = await pipe.execute()
        if wrote:
            self.published = set(local)
            if renew:
                self.renewed_at = now
            swept = results[-3] if moved else results[-2]
            if swept:
                await self.client.incr(self.version_key)
                results[-1] = await self.client.get(self.version_key)
        version = results[-1]
        if version != self.version or now - self.read_at >= self.heartbeat:
            entries = await self.client.zrangebyscore(self.key, now, "+inf")
            self.online = {_user_of(entry) for entry in entries}
            self.version = version
            self.read_at = now
        return self.online | local

    async def close(self) -> None:
        """Take this process's users out at once (a clean shutdown)."""
        with contextlib.suppress(Exception):
            if self.published:
                async with asyncio.timeout(REDIS_TIMEOUT):
                    await self.client.zrem(self.key, *[self._entry(user_id) for user_id in self.published])
                    await self.client.incr(self.version_key)
        with contextlib.suppress(Exception):
            await self.client.aclose()


def _user_of(entry: Any) -> int:
    """The user id of a sorted-set entry, b"<user id>:<process id>"."""
    return int(bytes(entry).split(b":", 1)[0])


def _online_members(room_ids: list[int], online: set[int], max_members: int) -> dict[int, list[str]]:
    """room id -> the usernames of its members who are online, sorted, for the rooms of at
    most ``max_members`` members (a bigger room is left out: see Presence)."""
    small: list[int] = []
    for start in range(0, len(room_ids), CHUNK):
        some = room_ids[start : start + CHUNK]
        sizes = dict(
            Membership.objects.filter(room_id__in=some)
            .values("room_id")
            .annotate(members=Count("pk"))
            .values_list("room_id", "members")
        )
        small += [room_id for room_id in some if sizes.get(room_id, 0) <= max_members]
    found: dict[int, list[str]] = {room_id: [] for room_id in small}
    for start in range(0, len(small), CHUNK):
        rows = Membership.objects.filter(room_id__in=small[start : start + CHUNK]).values_list(
            "room_id", "user_id", "user__username"
        )
        for room_id, user_id, username in rows:
            if user_id in online:
                found[room_id].append(username)
    for usernames in found.values():
        usernames.sort()
    return found


def _rooms_of(user_ids: list[int]) -> set[int]:
    rooms: set[int] = set()
    for start in range(0, len(user_ids), CHUNK):
        some = user_ids[start : start + CHUNK]
        rooms.update(Membership.objects.filter(user_id__in=some).values_list("room_id", flat=True))
    return rooms


class Presence:
    """This process's presence task: keeps the store told, and the sockets told."""

    def __init__(self, hub: Hub, store: LocalStore | RedisStore, grace: float, max_members: int) -> None:
        self.hub = hub
        self.store = store
        self.grace = grace
        # Each frame is a room's whole list, sent to every member: in a room of n members
        # that is n frames of up to n names at each change. Above this size a room gets
        # none (direct conversations and team rooms do).
        self.max_members = max_members
        self.online: set[int] = set()
        self.lingering: dict[int, float] = {}  # user id -> when their last socket here closed
        self.wanted: dict[Socket, set[int]] = {}  # sockets owed the current list of some rooms
        self.dirty: set[int] = set()  # rooms whose members changed
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="chat-presence")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self.store.close()

    # Told by the hub and the sockets -------------------------------------------

    def attached(self, socket: Socket) -> None:
        self.lingering.pop(socket.user_id, None)
        if socket.user_id not in self.online:
            self._wake.set()

    def detached(self, socket: Socket) -> None:
        self.wanted.pop(socket, None)
        if not self.hub.by_user.get(socket.user_id):
            self.lingering[socket.user_id] = time.monotonic()
            self._wake.set()

    def want(self, socket: Socket, room_ids: Iterable[int]) -> None:
        """Send ``socket`` the current list of each of ``room_ids`` (it said hello, or joined)."""
        self.wanted.setdefault(socket, set()).update(room_ids)
        self._wake.set()

    def room_changed(self, room_id: int) -> None:
        """Someone joined or left the room: its sockets here get its list again."""
        if room_id in self.hub.by_room:
            self.dirty.add(room_id)
            self._wake.set()

    # The task ------------------------------------------------------------------

    def _local(self) -> set[int]:
        now = time.monotonic()
        for user_id, since in list(self.lingering.items()):
            if self.hub.by_user.get(user_id) or now - since >= self.grace:
                del self.lingering[user_id]
        return set(self.hub.by_user) | set(self.lingering)

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._next_wait()):
                    await self._wake.wait()
            await asyncio.sleep(ROUND_DELAY)
            self._wake.clear()
            try:
                await self.round()
            except asyncio.CancelledError:
                raise
            except DatabaseError as error:
                logger.warning("Presence could not read the database (%s); retrying", error)
                await asyncio.sleep(POLL_EVERY)
            except Exception:
                logger.exception("A presence round failed; retrying")
                await asyncio.sleep(POLL_EVERY)

    def _next_wait(self) -> float:
        if not self.lingering:
            return POLL_EVERY
        first = min(self.lingering.values())
        return max(0.0, min(POLL_EVERY, first + self.grace - time.monotonic()))

    async def round(self) -> None:
        """One look at the store, then the frames that follow from it."""
        online = await self.store.sync(self._local())
        changed = sorted(online ^ self.online)
        wanted, self.wanted = self.wanted, {}
        dirty, self.dirty = self.dirty, set()
        if not changed and not wanted and not dirty:
            self.online = online
            return
        try:
            await self._tell(changed, dirty, wanted, online)
        except BaseException:
            for socket, room_ids in wanted.items():  # nobody owed a list is forgotten
                self.want(socket, room_ids)
            self.dirty |= dirty
            raise
        self.online = online

    async def _tell(
        self, changed: list[int], dirty: set[int], wanted: dict[Socket, set[int]], online: set[int]
    ) -> None:
        rooms = dirty & set(self.hub.by_room)
        if changed:
            rooms |= await database_sync_to_async(_rooms_of)(changed) & set(self.hub.by_room)
        asked: set[int] = set().union(*wanted.values())
        if not rooms and not asked:
            return
        members = await database_sync_to_async(_online_members)(
            sorted(rooms | asked), online, self.max_members
        )
        rooms &= set(members)
        frames: dict[int, str] = {}

        def frame_for(room_id: int, slug: str) -> str:
            if room_id not in frames:
                frames[room_id] = protocol.encode(protocol.presence_frame(slug, members[room_id]))
            return frames[room_id]

        told: set[tuple[Socket, int]] = set()
        for room_id in rooms:
            for socket in list(self.hub.by_room.get(room_id, ())):
                slug = socket.rooms.get(room_id)
                if slug is not None and not socket.closing:
                    socket.deliver(frame_for(room_id, slug))
                    told.add((socket, room_id))
        for socket, room_ids in wanted.items():
            if socket.closing:
                continue
            for room_id in room_ids:
                slug = socket.rooms.get(room_id)
                if slug is not None and room_id in members and (socket, room_id) not in told:
                    socket.deliver(frame_for(room_id, slug))


def make(hub: Hub, process_id: str) -> Presence | None:
    """This process's presence, from the settings (None when turned off)."""
    if not settings.CHAT_PRESENCE:
        return None
    store: Any
    if settings.REDIS_URL:
        store = RedisStore(
            settings.REDIS_URL, settings.CHAT_REDIS_PREFIX, process_id, settings.CHAT_PRESENCE_TTL
        )
    else:
        store = LocalStore()
    return Presence(hub, store, settings.CHAT_PRESENCE_GRACE, settings.CHAT_PRESENCE_MAX_MEMBERS)

"""The chat's WebSocket: one per browser tab, carrying every room of its user.

A thin adapter: a frame comes in, protocol.py parses it, a service or selector
does the work, and frames go out. Events reach the socket from the hub
(chat.realtime.hub) as text already encoded; nothing about forwarding them
touches the database thread or a channel layer.

Everything sent to the client, replies and events alike, goes through one
bounded buffer per socket, in order. A send that the server can complete at
once is completed at once; a client that stops reading fills the buffer and is
closed with 4408, and catches up when it reconnects.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from importlib import import_module
from typing import Any

from channels.auth import get_user
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.base import SessionBase
from django.db import DatabaseError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import tokens
from accounts.languages import language_for
from chat import protocol, ratelimit, realtime, selectors, services
from chat.exceptions import BadRequest, ChatError, NotFound, RateLimited, Unavailable
from chat.realtime import metrics
from chat.realtime.hub import Hub, Socket

logger = logging.getLogger(__name__)

CLOSE_GOING_AWAY = 1001  # the server is shutting down: reconnect (to another process)
CLOSE_TOO_BIG = 1009
CLOSE_TRY_AGAIN = 1013  # the socket could not be set up (database unavailable): reconnect later
CLOSE_UNAUTHENTICATED = 4401
CLOSE_TOO_SLOW = 4408  # the client did not read what was sent to it: reconnect and catch up
CLOSE_TOO_MANY = 4409  # the user opened more sockets than allowed; this, their oldest, gave way
CLOSE_FLOODING = 4429
# Consecutive rate_limited answers after which a client is taken to be flooding.
FLOOD_STRIKES = 50
# Text waiting for a client that is not reading, before it is taken to be stuck.
MAX_BUFFERED_CHARS = 1024 * 1024

_socket_numbers = iter(range(1, 2**63))

db = database_sync_to_async


def _session_store(session_key: str) -> SessionBase:
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key or None)


async def _resume(coroutine: Coroutine[Any, Any, Any], waiting: Any) -> None:
    """Finish driving ``coroutine``, which was started by hand and is suspended on ``waiting``
    (what it yielded: a future, or None for a bare yield), as a Task would."""
    while True:
        try:
            if waiting is None:
                await asyncio.sleep(0)
            else:
                # A Task clears this flag on the futures it is handed; so do we.
                waiting._asyncio_future_blocking = False
                await waiting
        except BaseException as error:
            if waiting is not None and waiting.done():
                pass  # the coroutine meets the same outcome when resumed
            else:
                waiting = coroutine.throw(error)
                continue
        try:
            waiting = coroutine.send(None)
        except StopIteration:
            return


async def _not_connected(message: dict[str, Any]) -> None:
    raise RuntimeError("the socket is not connected yet")


class ChatConsumer(AsyncWebsocketConsumer):
    """One socket. It implements the hub's Socket protocol (deliver, close_soon, ...)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Every attribute is set here, always in this order, so that the instances'
        # dicts share their keys (the socket count can reach tens of thousands).
        super().__init__(*args, **kwargs)
        self.scope: dict[str, Any] = {}
        self.base_send: Callable[..., Any] = _not_connected
        self.channel_layer = None
        self.channel_name = ""
        self.user: Any = None
        self.user_id = 0
        self.session_key = ""
        self.auth_hash = ""  # the user's session auth hash when the socket opened
        self.language = settings.LANGUAGE_CODE  # of the error frames' messages: the user's
        self.hub: Hub | None = None
        self.number = 0
        self.socket_id = ""
        self.rooms: dict[int, str] = {}  # room id -> slug: the rooms this socket hears
        self.room_ids: dict[str, int] = {}  # slug -> room id
        self.touched: dict[int, int] = {}
        self.ready = False  # hello sent
        self.resync_pending = False
        self.strikes = 0
        self.stopping = False  # the server is shutting down
        self.busy = False  # a client frame is being handled
        # The outgoing side: everything for the client, in order.
        self._closing = False
        self._close_code = 0
        self._sending = False  # a send is waiting for the client; later text waits in _buffer
        self._buffer: deque[str] | None = None  # made when first needed: most sockets never wait
        self._buffered_chars = 0
        # While the socket is being set up, events wait here: hello comes first.
        self._before_hello: list[str] | None = None

    async def __call__(self, scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        # No channel layer: events come from the hub. One frame at a time, in order,
        # and without Channels' per-event hop onto the database thread (its
        # aclose_old_connections): database_sync_to_async already cleans connections.
        self.scope = scope
        self.base_send = send
        try:
            while True:
                await self.dispatch(await receive())
        except StopConsumer:
            pass
        finally:
            self._forget()

    async def dispatch(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "websocket.receive":
            await self._receive(message)
        elif kind == "websocket.connect":
            await self._connect()
        elif kind == "websocket.disconnect":
            raise StopConsumer

    # Connecting ------------------------------------------------------------

    async def _connect(self) -> None:
        self.number = next(_socket_numbers)
        self.socket_id = f"{realtime.PROCESS_ID}.{self.number}"
        self._before_hello = []
        await self.base_send({"type": "websocket.accept"})
        try:
            self.user = await self._signed_in_user()
        except DatabaseError as error:
            logger.warning("A socket could not read its session (%s); closed with 1013", error)
            await self._close_now(CLOSE_TRY_AGAIN)
            return
        if not self.user.is_authenticated:
            await self._close_now(CLOSE_UNAUTHENTICATED)
            return
        self.user_id = self.user.pk
        if "token" not in self.scope:
            self.session_key = self.scope.get("session_key", "")
        self.auth_hash = self.user.get_session_auth_hash()
        # The user's choice, else the browser's (chat.routing put it in the scope), else the site's.
        self.language = language_for(self.user, self.scope.get("language", ""))
        runtime = realtime.runtime()
        self.hub = runtime.hub
        self._make_room()
        # Heard by the hub from here on; what was committed before is read below.
        self.hub.attach(self)
        try:
            since = self.hub.changes
            for room_id, slug in await db(selectors.room_ids_for_user)(self.user_id):
                self.hub.subscribe(self, room_id, slug)
                self.joined_room(room_id, slug)
            # Subscribed first, last_seq read after: nothing committed after hello is missed.
            found = (await db(selectors.room_summaries_for_users)([self.user_id]))[self.user_id]
        except DatabaseError as error:
            logger.warning("A socket could not be set up (%s); closed with 1013", error)
            await self._close_now(CLOSE_TRY_AGAIN)
            return
        except Exception:
            logger.exception("A socket could not be set up; closed with 1013")
            await self._close_now(CLOSE_TRY_AGAIN)
            return
        self.hub.reconcile(self, [(room_id, summary["slug"]) for room_id, summary in found], since)
        held, self._before_hello = self._before_hello or [], None
        self._send_frame(protocol.hello_frame(self.user, [summary for _id, summary in found], timezone.now()))
        for text in held:
            self.deliver(text)
        self.ready = True
        if runtime.presence is not None:
            runtime.presence.want(self, list(self.rooms))
        if self.resync_pending:
            runtime.resync([self])

    async def _signed_in_user(self) -> Any:
        """The user of the session cookie, or of the API token (Authorization: Bearer);
        an AnonymousUser when neither signs anyone in."""
        if "token" in self.scope:
            found = await db(tokens.user_for_token)(self.scope["token"])
            if found is None:
                return AnonymousUser()
            user, token_id = found
            self.session_key = tokens.socket_key(token_id)  # revoking the token closes this socket
            return user
        return await get_user({"session": _session_store(self.scope.get("session_key", ""))})

    def _make_room(self) -> None:
        """Keep the user's sockets in this process under the cap: the oldest gives way."""
        cap = settings.CHAT_MAX_SOCKETS_PER_USER
        if cap > 0 and self.hub is not None:
            self.hub.make_room(self.user_id, cap, CLOSE_TOO_MANY)

    @property
    def closing(self) -> bool:
        return self._closing

    def _forget(self) -> None:
        hub = getattr(self, "hub", None)
        if hub is not None:
            hub.detach(self)
            self.hub = None

    # Receiving -------------------------------------------------------------

    async def _receive(self, message: dict[str, Any]) -> None:
        if self._closing:
            return
        # Errors say why in the user's language; their codes never change with it.
        with translation.override(self.language):
            await self._handle(message)

    async def _handle(self, message: dict[str, Any]) -> None:
        text = message.get("text")
        if text is None:
            self._send_error(BadRequest(_("Frames must be JSON text, not binary.")))
            return
        if len(text) > settings.CHAT_MAX_FRAME_BYTES or (
            len(text) * 4 > settings.CHAT_MAX_FRAME_BYTES
            and len(text.encode()) > settings.CHAT_MAX_FRAME_BYTES
        ):
            self.close_soon(CLOSE_TOO_BIG)
            return
        ref = None
        self.busy = True
        try:
            frame = protocol.parse_frame(text)
            ref = getattr(frame, "client_id", None)
            await self.handlers[type(frame)](self, frame)
        except protocol.FrameError as error:
            self._send_error(error, error.ref)
        except ChatError as error:
            self._send_error(error, ref)
            if error.code == "rate_limited":
                self.strikes += 1
                if self.strikes >= FLOOD_STRIKES:
                    self.close_soon(CLOSE_FLOODING)
        except DatabaseError as error:
            # An outage, not a bug: one line, and the client is told to retry.
            logger.warning("The database failed while handling a frame: %s", error)
            self._send_error(Unavailable(), ref)
        except Exception:
            logger.exception("A frame failed")
            self._send_error(Unavailable(), ref)
        finally:
            self.busy = False
        if self.stopping:
            self.close_soon(CLOSE_GOING_AWAY)

    # Client frames -----------------------------------------------------------

    async def handle_send(self, frame: protocol.Send) -> None:
        try:
            await ratelimit.check_send(self.user_id)
        except RateLimited:
            # A resend of a message stored before is acknowledged, limit or not.
            stored = await db(selectors.sent_message)(self.user, frame.client_id)
            if stored is None or stored.room.slug != frame.room:
                raise
            result = services.SendResult(stored, created=False)
        else:
            request = services.SendRequest(
                self.user,
                frame.room,
                frame.body,
                frame.client_id,
                frame.attachments,
                parent_seq=frame.parent_seq,
                also_to_room=frame.also_to_room,
            )
            result = await realtime.runtime().sends.send(request)
        self.strikes = 0
        message = result.message
        self._send_frame(protocol.ack_frame(frame.client_id, frame.room, message.seq, message.pk))

    async def handle_history(self, frame: protocol.History) -> None:
        reply = await db(selectors.history_for)(
            self.user,
            frame.room,
            before_seq=frame.before_seq,
            after_seq=frame.after_seq,
            limit=frame.limit,
            view=frame.view,
            parent_seq=frame.parent_seq,
        )
        self._send_frame(reply)

    async def handle_join(self, frame: protocol.Join) -> None:
        await ratelimit.check("join", self.user_id)
        membership = await db(services.room_join)(user=self.user, room_slug=frame.room, origin=self.socket_id)
        summary = await db(selectors.room_summary_for)(self.user, membership.room, membership)
        if self.hub is not None and membership.room_id not in self.rooms:
            self.hub.subscribe(self, membership.room_id, summary["slug"])
            self.joined_room(membership.room_id, summary["slug"])
        self._send_frame(protocol.joined_frame(summary))

    async def handle_leave(self, frame: protocol.Leave) -> None:
        await ratelimit.check("leave", self.user_id)
        await db(services.room_leave)(user=self.user, room_slug=frame.room, origin=self.socket_id)
        room_id = self.room_ids.get(frame.room)
        if self.hub is not None and room_id is not None:
            self.hub.unsubscribe(self, room_id)
            self.left_room(room_id, frame.room)
        self._send_frame(protocol.left_frame(frame.room))

    async def handle_typing(self, frame: protocol.Typing) -> None:
        if frame.room not in self.room_ids:
            raise NotFound(_("No such room."))
        try:
            await ratelimit.check("typing", f"{self.user_id}:{frame.room}")
        except RateLimited:
            return  # typing is a hint: too many are dropped, without a word or a strike
        await db(services.typing_notify)(user=self.user, room_slug=frame.room)

    async def handle_read(self, frame: protocol.Read) -> None:
        await ratelimit.check("read", self.user_id)
        await db(services.read_mark)(
            user=self.user, room_slug=frame.room, seq=frame.seq, origin=self.socket_id
        )

    async def handle_edit(self, frame: protocol.Edit) -> None:
        await ratelimit.check("edit", self.user_id)
        await db(services.message_edit)(user=self.user, room_slug=frame.room, seq=frame.seq, body=frame.body)

    async def handle_delete(self, frame: protocol.Delete) -> None:
        await ratelimit.check("delete", self.user_id)
        await db(services.message_delete)(user=self.user, room_slug=frame.room, seq=frame.seq)

    async def handle_react(self, frame: protocol.React) -> None:
        await ratelimit.check("react", self.user_id)
        await db(services.reaction_add)(
            user=self.user, room_slug=frame.room, seq=frame.seq, emoji=frame.emoji
        )

    async def handle_unreact(self, frame: protocol.Unreact) -> None:
        await ratelimit.check("react", self.user_id)
        await db(services.reaction_remove)(
            user=self.user, room_slug=frame.room, seq=frame.seq, emoji=frame.emoji
        )

    async def handle_changes(self, frame: protocol.Changes) -> None:
        reply = await db(selectors.changes_for)(
            self.user, frame.room, after_rev=frame.after_rev, limit=frame.limit
        )
        self._send_frame(reply)

    async def handle_thread_read(self, frame: protocol.ThreadRead) -> None:
        await ratelimit.check("read", self.user_id)  # the read markers' one bucket
        await db(services.thread_read_mark)(
            user=self.user, room_slug=frame.room, parent_seq=frame.parent_seq, seq=frame.seq
        )

    async def handle_ping(self, frame: protocol.Ping) -> None:
        self._send_frame(protocol.pong_frame())

    handlers: dict[type, Callable[[ChatConsumer, Any], Awaitable[None]]] = {
        protocol.Send: handle_send,
        protocol.History: handle_history,
        protocol.Join: handle_join,
        protocol.Leave: handle_leave,
        protocol.Typing: handle_typing,
        protocol.Read: handle_read,
        protocol.Edit: handle_edit,
        protocol.Delete: handle_delete,
        protocol.React: handle_react,
        protocol.Unreact: handle_unreact,
        protocol.Changes: handle_changes,
        protocol.ThreadRead: handle_thread_read,
        protocol.Ping: handle_ping,
    }

    # The hub's side (Socket) ---------------------------------------------------

    def joined_room(self, room_id: int, slug: str) -> None:
        self.room_ids[slug] = room_id

    def left_room(self, room_id: int, slug: str) -> None:
        if self.room_ids.get(slug) == room_id:
            del self.room_ids[slug]

    def deliver(self, text: str) -> None:
        """Send ``text`` to the client, in order after everything before it; never blocks."""
        if self._closing:
            return
        if self._before_hello is not None:
            self._before_hello.append(text)
            return
        if self._sending:
            if self._buffered_chars + len(text) > MAX_BUFFERED_CHARS:
                metrics.SLOW_CLOSES.inc()
                self.close_soon(CLOSE_TOO_SLOW)
                return
            if self._buffer is None:
                self._buffer = deque()
            self._buffer.append(text)
            self._buffered_chars += len(text)
            return
        self._start_send({"type": "websocket.send", "text": text})

    def _start_send(self, message: dict[str, Any]) -> None:
        # The server's send almost always completes without waiting (its buffer has
        # room), so it is driven by hand: no task per frame. When it must wait for
        # the client, a task finishes it and then drains what queued up meanwhile.
        coroutine = self.base_send(message)
        try:
            waiting = coroutine.send(None)
        except StopIteration:
            return
        except Exception:
            self._lost()
            return
        self._sending = True
        asyncio.get_running_loop().create_task(self._drain(_resume(coroutine, waiting)))

    async def _drain(self, first: Awaitable[None]) -> None:
        try:
            await first
            while self._buffer:
                text = self._buffer.popleft()
                self._buffered_chars -= len(text)
                await self.base_send({"type": "websocket.send", "text": text})
        except Exception:
            self._lost()
        finally:
            self._sending = False
        if self._closing and self._close_code:
            await self._close_now(self._close_code)

    def _lost(self) -> None:
        """The client is gone; its disconnect event follows."""
        self._closing = True
        self._buffer = None
        self._buffered_chars = 0

    def close_soon(self, code: int) -> None:
        """Close after what is already queued (at once, if the client is stuck)."""
        if self._closing:
            return
        self._closing = True
        self._close_code = code
        if code == CLOSE_TOO_SLOW:
            self._buffer = None
            self._buffered_chars = 0
        if not self._sending:
            self._start_send({"type": "websocket.close", "code": code})

    async def _close_now(self, code: int) -> None:
        self._closing = True
        self._before_hello = None
        self._close_code = 0
        try:
            await self.base_send({"type": "websocket.close", "code": code})
        except Exception:
            self._lost()

    def resync(self, rooms: list[tuple[int, dict[str, Any]]], since: int) -> None:
        """Hear exactly ``rooms`` (read when the hub's change counter was ``since``), and
        tell the client to catch up."""
        if self.hub is None or self._closing:
            return
        self.hub.reconcile(self, [(room_id, summary["slug"]) for room_id, summary in rooms], since)
        self._send_frame(protocol.resync_frame([summary for _id, summary in rooms]))
        metrics.RESYNCS_SENT.inc()

    def shut_down(self) -> None:
        """The server is stopping: close with 1001 once the frame being handled is done."""
        self.stopping = True
        if not self.busy:
            self.close_soon(CLOSE_GOING_AWAY)

    # Helpers -----------------------------------------------------------------

    def _send_frame(self, frame: dict[str, Any]) -> None:
        self.deliver(protocol.encode(frame))

    def _send_error(self, error: ChatError, ref: str | None = None) -> None:
        self._send_frame(protocol.error_frame(error, ref))


async def resync_sockets(hub: Hub, sockets: list[Socket]) -> None:
    """Send each of ``sockets`` a ``resync`` frame, from one read of the database."""
    ready = []
    for socket in sockets:
        if getattr(socket, "ready", True):
            ready.append(socket)
        else:
            socket.resync_pending = True  # still connecting: resynced right after its hello
    if not ready:
        return
    since = hub.changes
    user_ids = sorted({socket.user_id for socket in ready})
    found: dict[int, list[tuple[int, dict[str, Any]]]] = {}
    hashes: dict[int, str] = {}
    sessions: set[str] | None = set()
    for start in range(0, len(user_ids), 500):
        some = user_ids[start : start + 500]
        found.update(await db(selectors.room_summaries_for_users)(some))
        wanted = set(some)
        keys = [socket.session_key for socket in ready if socket.user_id in wanted]
        some_hashes, live = await db(selectors.signed_in)(some, keys)
        hashes.update(some_hashes)
        sessions = None if live is None or sessions is None else sessions | live
    for socket in ready:
        # The event that would have closed it may be among those missed: check again.
        if hashes.get(socket.user_id) != socket.auth_hash or (
            sessions is not None and socket.session_key not in sessions
        ):
            socket.close_soon(CLOSE_UNAUTHENTICATED)
            continue
        socket.resync(found.get(socket.user_id, []), since)

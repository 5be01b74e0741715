"""The asyncio client: one socket that stays connected, caught up and duplicate-free.

    async with ChatClient("https://chat.example.org", token=TOKEN) as chat:
        ack = await chat.send("general", "Hello")
        async for event in chat.events():
            ...

What it promises, following docs/protocol.md:

- every message stored after the client first saw its room is delivered by
  ``events()`` exactly once and in seq order, across reconnects, ``resync``
  frames and messages that arrive out of order (gaps are filled from history);
- ``send`` returns only once the server acknowledged the message, resending it
  with the same ``client_id`` after a reconnect or an ``unavailable`` or
  ``rate_limited`` answer, so a message is never stored twice;
- a lost connection is reopened with capped, jittered exponential backoff;
  close code 4401 (the session ended) is retried once with a fresh login when
  there is a password, and otherwise raised, as is 4409 (too many sockets).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections import deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import websockets
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from chat.client.auth import Credentials, Endpoints, PasswordCredentials, TokenCredentials
from chat.client.errors import (
    AuthenticationError,
    ChatClientError,
    ClientClosed,
    ConnectionFailed,
    ConnectionReplaced,
    RequestError,
    SendTimeout,
)
from chat.client.events import (
    Ack,
    Added,
    Attachment,
    Event,
    Hello,
    HistoryPage,
    Message,
    Removed,
    Resync,
    RoomSummary,
    RoomUpdated,
    User,
    parse_ack,
    parse_event,
    parse_history,
)
from chat.client.files import FileSpec, post_file, read_file
from chat.client.ordering import Backoff, Sequencer

CLOSE_UNAUTHENTICATED = 4401
CLOSE_TOO_MANY = 4409
CLOSE_FLOODING = 4429
CLOSE_ABNORMAL = 1006  # no close frame: the connection dropped

HISTORY_PAGE = 100  # the most the server gives in one page
RETRIED_ERRORS = frozenset({"rate_limited", "unavailable"})
FLOODING_ATTEMPT = 4  # after 4429, wait as if that many attempts had failed already


class _Disconnected(Exception):
    """The socket a request went out on closed before the answer came."""


@dataclass
class _Outgoing:
    room: str
    body: str
    future: asyncio.Future[Ack]
    refusals: int = 0  # unavailable / rate_limited answers so far
    parent_seq: int | None = None  # a reply: the message it answers
    also_to_room: bool = False
    attachments: tuple[int, ...] = ()  # ids of the files uploaded for it


def _credentials_from(username: str | None, password: str | None, token: str | None) -> Credentials:
    if token is not None and (username is not None or password is not None):
        raise ValueError("give either a token or a username and password, not both")
    if token is not None:
        return TokenCredentials(token)
    if username is None or password is None:
        raise ValueError("a token, or a username and a password, is needed")
    return PasswordCredentials(username, password)


class ChatClient:
    """A connection to the chat server for scripts, bots and terminals.

    ``url`` is the site's address (``http://127.0.0.1:8000``) or its socket's.
    Authenticate with ``token=`` (an API token) or ``username=`` and
    ``password=`` (logged in through the login form), or pass ``credentials=``.

    ``events()`` is meant for one reader. Events wait in memory until read.
    """

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        credentials: Credentials | None = None,
        backoff: Backoff | None = None,
        connect_timeout: float = 30.0,
    ) -> None:
        self.endpoints = Endpoints.from_url(url)
        self._credentials = credentials or _credentials_from(username, password, token)
        self._backoff = backoff or Backoff()
        self._connect_timeout = connect_timeout
        self._sequencer = Sequencer()
        self._rooms: dict[str, RoomSummary] = {}
        self._user: User | None = None
        self._events: asyncio.Queue[Event | None] = asyncio.Queue()
        self._outbox: dict[str, _Outgoing] = {}  # client_id -> message not acknowledged yet
        self._requests: deque[asyncio.Future[HistoryPage]] = deque()  # answered in the order asked
        self._ws: websockets.ClientConnection | None = None
        self._send_lock = asyncio.Lock()
        self._ready = asyncio.Event()  # set from hello to the end of that connection
        self._stopped = asyncio.Event()  # closed, or stopped by an error
        self._greeted = asyncio.Event()  # a hello came, once at least
        self._fatal: ChatClientError | None = None
        self._task: asyncio.Task[None] | None = None
        self._catch_ups: dict[str, asyncio.Task[None]] = {}
        self._retries: set[asyncio.Task[None]] = set()
        self._logged_in_afresh = True  # the credentials have not been used for a hello yet
        self.connects = 0  # hellos received: 1 + the number of reconnects

    def __repr__(self) -> str:
        return f"<ChatClient {self.endpoints.base} {self._credentials!r}>"

    # Lifecycle ---------------------------------------------------------------

    async def __aenter__(self) -> ChatClient:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def connect(self) -> None:
        """Connect, and return once the server said ``hello``.

        Raises AuthenticationError when the credentials are refused, and
        ConnectionFailed when no hello came within ``connect_timeout``."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"chat-client {self.endpoints.base}")
        try:
            async with asyncio.timeout(self._connect_timeout):
                # Once a hello came, what happens next reaches the caller through events().
                await self._wait_for(self._greeted)
        except TimeoutError:
            await self.close()
            raise ConnectionFailed(
                f"no connection to {self.endpoints.socket} within {self._connect_timeout} s"
            ) from None
        except ChatClientError:
            await self.close()
            raise

    async def close(self) -> None:
        """Close the socket and stop; waiting requests raise ClientClosed, ``events()`` ends."""
        if not self._stopped.is_set():
            self._stop(None)
        ws = self._ws
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.close()
        task, self._task = self._task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _stop(self, error: ChatClientError | None) -> None:
        """Stop for good: ``error`` is raised to whoever waits, or ClientClosed."""
        if self._stopped.is_set():
            return
        self._fatal = error
        self._stopped.set()
        failure = error or ClientClosed("the client was closed")
        for outgoing in self._outbox.values():
            if not outgoing.future.done():
                outgoing.future.set_exception(failure)
        self._fail_requests(failure)
        self._events.put_nowait(None)

    # State -------------------------------------------------------------------

    @property
    def user(self) -> User | None:
        """Who the server says we are (from ``hello``)."""
        return self._user

    @property
    def rooms(self) -> list[RoomSummary]:
        """The user's rooms, as the latest ``hello``, ``resync`` or room event described them."""
        return list(self._rooms.values())

    @property
    def connected(self) -> bool:
        return self._ready.is_set()

    async def _wait_ready(self) -> None:
        """Wait for a connection that said hello; raise if the client stopped."""
        await self._wait_for(self._ready)
        if self._stopped.is_set():
            raise self._fatal or ClientClosed("the client was closed")

    async def _wait_for(self, event: asyncio.Event) -> None:
        """Wait until ``event`` is set; raise if the client stops first."""
        while not event.is_set():
            if self._stopped.is_set():
                raise self._fatal or ClientClosed("the client was closed")
            waiters = [asyncio.ensure_future(event.wait()), asyncio.ensure_future(self._stopped.wait())]
            try:
                await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()

    # Public requests -----------------------------------------------------------

    async def events(self) -> AsyncIterator[Event]:
        """Every event, in the order it happened; messages once each and in seq order per room.

        Ends when the client is closed; raises the error that stopped it (an
        AuthenticationError, say) once the events before it were read."""
        while (event := await self.next_event()) is not None:
            yield event

    async def next_event(self) -> Event | None:
        """The next event, waiting for it; None once the client is closed (see ``events``)."""
        event = await self._events.get()
        if event is None:
            self._events.put_nowait(None)  # the end, for every later call too
            if self._fatal is not None:
                raise self._fatal
        return event

    async def send(
        self,
        room: str,
        body: str,
        *,
        parent_seq: int | None = None,
        also_to_room: bool = False,
        files: Sequence[FileSpec] = (),
        timeout: float = 60.0,
    ) -> Ack:
        """Post ``body`` to ``room``; returns the acknowledgement (seq and id) once stored.
        With ``parent_seq``, a reply in the thread of that message (``also_to_room``: shown
        in the room's main timeline too). ``files`` (paths, or ``(name, bytes)``) are
        uploaded first and go with it; ``body`` may then be empty.

        Raises RequestError for a refusal that waiting does not cure (``forbidden``,
        ``too_long``, ``too_large``, ...) and SendTimeout when no ack came within ``timeout``."""
        if self._stopped.is_set():
            raise self._fatal or ClientClosed("the client was closed")
        client_id = uuid.uuid4().hex
        # Uploaded with the message's client_id, so the server counts them as one message's.
        uploaded = [await self.upload(room, spec, client_id=client_id) for spec in files]
        future: asyncio.Future[Ack] = asyncio.get_running_loop().create_future()
        outgoing = _Outgoing(
            room,
            body,
            future,
            parent_seq=parent_seq,
            also_to_room=also_to_room,
            attachments=tuple(attachment.id for attachment in uploaded),
        )
        self._outbox[client_id] = outgoing
        try:
            async with asyncio.timeout(timeout):
                if self._ready.is_set():
                    await self._transmit_send(client_id, outgoing)
                return await outgoing.future
        except TimeoutError:
            raise SendTimeout(f"no acknowledgement from the server within {timeout} s") from None
        finally:
            self._outbox.pop(client_id, None)

    async def upload(
        self, room: str, file: FileSpec, *, client_id: str = "", timeout: float = 60.0
    ) -> Attachment:
        """Upload ``file`` (a path, or ``(name, bytes)``) to ``room``, to send with a
        message (``send(files=...)`` does both); until sent it is this user's alone.
        ``client_id``: the message it is for, so that one message's limits are checked.
        Raises RequestError when the server refuses it (``too_large``,
        ``quota_exceeded``, ``not_found``, ``archived``...)."""
        name, data = await asyncio.to_thread(read_file, file)
        url, headers = await asyncio.to_thread(self._credentials.upload_request, self.endpoints, room)
        answer = await asyncio.to_thread(
            post_file, url, headers, name, data, client_id=client_id, timeout=timeout
        )
        return Attachment.from_frame(answer)

    async def history(
        self,
        room: str,
        *,
        limit: int = 50,
        before_seq: int | None = None,
        after_seq: int | None = None,
        timeout: float = 30.0,
    ) -> HistoryPage:
        """One page of ``room``'s messages: the newest, those before ``before_seq`` (to page
        back: pass the first seq of the previous page), or those after ``after_seq``.

        Asked again after a reconnect if the connection drops meanwhile."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    await self._wait_ready()
                    with contextlib.suppress(_Disconnected):
                        return await self._ask_history(
                            room, limit=limit, before_seq=before_seq, after_seq=after_seq
                        )
        except TimeoutError:
            raise ConnectionFailed(f"no history of {room} within {timeout} s") from None

    # Connection ----------------------------------------------------------------

    async def _run(self) -> None:
        attempt = 0
        while not self._stopped.is_set():
            try:
                greeted, code = await self._connect_once()
            except ChatClientError as error:
                self._stop(error)
                return
            if greeted:
                attempt = 0
            if code == CLOSE_UNAUTHENTICATED:
                if self._logged_in_afresh or not await self._log_in_again():
                    self._stop(AuthenticationError("the server ended the session (4401): log in again"))
                    return
                continue
            if code == CLOSE_TOO_MANY:
                self._stop(ConnectionReplaced("the user has too many connections open (4409)"))
                return
            if code == CLOSE_FLOODING:
                attempt = max(attempt, FLOODING_ATTEMPT)
            await asyncio.sleep(self._backoff.delay(attempt))
            attempt += 1

    async def _log_in_again(self) -> bool:
        try:
            refreshed = await asyncio.to_thread(self._credentials.refresh, self.endpoints)
        except ConnectionFailed:
            return True  # the server is unreachable: retry later
        self._logged_in_afresh = refreshed
        return refreshed

    async def _connect_once(self) -> tuple[bool, int | None]:
        """One connection, from handshake to close: (whether hello came, close code).

        A connection that could not be opened has no close code."""
        try:
            headers = await asyncio.to_thread(self._credentials.headers, self.endpoints)
            ws = await websockets.connect(
                self.endpoints.socket,
                additional_headers=headers,
                open_timeout=10,
                close_timeout=5,
                max_size=2**22,
            )
        except ConnectionFailed:
            return False, None
        except InvalidStatus as error:
            status = error.response.status_code
            if status in (401, 403):
                raise AuthenticationError(f"the server refused the connection (HTTP {status})") from None
            return False, None
        except (OSError, TimeoutError, InvalidHandshake):
            return False, None
        greeted = False
        self._ws = ws
        try:
            async for text in ws:
                frame = _decode(text)
                if frame is not None:
                    greeted = await self._handle(frame) or greeted
        except ConnectionClosed:
            pass
        finally:
            self._disconnected()
            with contextlib.suppress(Exception):
                await ws.close()
        return greeted, ws.close_code if ws.close_code is not None else CLOSE_ABNORMAL

    def _disconnected(self) -> None:
        self._ws = None
        self._ready.clear()
        self._fail_requests(_Disconnected())
        for task in [*self._catch_ups.values(), *self._retries]:
            task.cancel()
        self._catch_ups.clear()
        self._retries.clear()

    def _fail_requests(self, error: Exception) -> None:
        while self._requests:
            future = self._requests.popleft()
            if not future.done():
                future.set_exception(error)

    async def _transmit(
        self, frame: dict[str, Any], request: asyncio.Future[HistoryPage] | None = None
    ) -> None:
        """Send a frame on the current socket; a request's future is queued in the same
        step, so answers match requests in order. Nothing happens without a socket."""
        ws = self._ws
        if ws is None:
            if request is not None:
                request.set_exception(_Disconnected())
            return
        async with self._send_lock:
            if request is not None:
                self._requests.append(request)
            with contextlib.suppress(ConnectionClosed):
                await ws.send(json.dumps(frame))

    async def _transmit_send(self, client_id: str, outgoing: _Outgoing) -> None:
        frame: dict[str, Any] = {
            "type": "send",
            "room": outgoing.room,
            "body": outgoing.body,
            "client_id": client_id,
        }
        if outgoing.parent_seq is not None:
            frame["parent_seq"] = outgoing.parent_seq
            if outgoing.also_to_room:
                frame["also_to_room"] = True
        if outgoing.attachments:
            frame["attachments"] = list(outgoing.attachments)
        await self._transmit(frame)

    async def _ask_history(self, room: str, **bounds: int | None) -> HistoryPage:
        if not self._ready.is_set():
            raise _Disconnected()
        frame: dict[str, Any] = {"type": "history", "room": room}
        frame.update({name: value for name, value in bounds.items() if value is not None})
        future: asyncio.Future[HistoryPage] = asyncio.get_running_loop().create_future()
        await self._transmit(frame, future)
        return await future

    # Receiving -------------------------------------------------------------------

    async def _handle(self, frame: dict[str, Any]) -> bool:
        """Act on one frame from the server; True when it was ``hello``."""
        kind = frame.get("type")
        if kind == "ack":
            self._acknowledged(frame)
        elif kind == "history":
            self._answer(frame)
        elif kind == "pong" or (kind == "error" and self._refused(frame)):
            pass  # nothing to tell: an answer to a ping, or an error a waiting request took
        else:
            event = parse_event(frame)
            if isinstance(event, Hello):
                await self._hello(event)
                return True
            if isinstance(event, Message):
                self._deliver(event)
            else:
                self._apply(event)
                self._events.put_nowait(event)
        return False

    async def _hello(self, hello: Hello) -> None:
        self.connects += 1
        self._logged_in_afresh = False
        self._user = hello.user
        self._rooms_are(hello.rooms)
        self._ready.set()
        self._greeted.set()
        self._events.put_nowait(hello)
        for client_id, outgoing in list(self._outbox.items()):
            if not outgoing.future.done():
                await self._transmit_send(client_id, outgoing)
        self._catch_up_all()

    def _rooms_are(self, rooms: tuple[RoomSummary, ...]) -> None:
        for slug in set(self._rooms) - {room.slug for room in rooms}:
            self._sequencer.forget(slug)
        self._rooms = {room.slug: room for room in rooms}
        for room in rooms:
            self._sequencer.note_latest(room.slug, room.last_seq)

    def _apply(self, event: Event) -> None:
        """Keep the room list and the catching up in step with a non-message event."""
        if isinstance(event, Resync):
            self._rooms_are(event.rooms)
            self._catch_up_all()
        elif isinstance(event, Added | RoomUpdated):
            self._rooms[event.room.slug] = event.room
            self._sequencer.note_latest(event.room.slug, event.room.last_seq)
        elif isinstance(event, Removed):
            self._rooms.pop(event.room, None)
            self._sequencer.forget(event.room)

    def _deliver(self, message: Message) -> None:
        for ready in self._sequencer.accept(message):
            self._events.put_nowait(ready)
        if self._sequencer.behind(message.room):
            self._catch_up(message.room)

    def _acknowledged(self, frame: dict[str, Any]) -> None:
        ack = parse_ack(frame)
        outgoing = self._outbox.get(ack.client_id)
        if outgoing is not None and not outgoing.future.done():
            outgoing.future.set_result(ack)

    def _answer(self, frame: dict[str, Any]) -> None:
        if not self._requests:
            return
        future = self._requests.popleft()
        if future.done():
            return
        try:
            future.set_result(parse_history(frame))
        except (KeyError, TypeError, ValueError) as error:
            future.set_exception(RequestError("bad_answer", f"unreadable history frame: {error}"))

    def _refused(self, frame: dict[str, Any]) -> bool:
        """Hand an error to the request it answers; False when it answers none of ours."""
        code, text, ref = frame.get("code", "?"), frame.get("message", ""), frame.get("ref")
        if isinstance(ref, str):
            outgoing = self._outbox.get(ref)
            if outgoing is None or outgoing.future.done():
                return False
            if code in RETRIED_ERRORS:
                outgoing.refusals += 1
                wait = frame.get("retry_after")
                if not isinstance(wait, int | float):
                    wait = self._backoff.delay(outgoing.refusals)
                self._retry_later(ref, outgoing, float(wait))
            else:
                outgoing.future.set_exception(RequestError(code, text))
            return True
        # Frames without a client_id are answered in order, and history is the only
        # one this client sends that way: the error answers the oldest waiting request.
        if self._requests:
            future = self._requests.popleft()
            if not future.done():
                future.set_exception(RequestError(code, text))
            return True
        return False

    def _retry_later(self, client_id: str, outgoing: _Outgoing, wait: float) -> None:
        async def retry() -> None:
            await asyncio.sleep(wait)
            if self._outbox.get(client_id) is outgoing and not outgoing.future.done():
                await self._transmit_send(client_id, outgoing)

        task = asyncio.create_task(retry())
        self._retries.add(task)
        task.add_done_callback(self._retries.discard)

    # Catching up -------------------------------------------------------------------

    def _catch_up_all(self) -> None:
        for slug in list(self._rooms):
            if self._sequencer.behind(slug):
                self._catch_up(slug)

    def _catch_up(self, room: str) -> None:
        """Read history after the last delivered seq until ``room`` has no gap (one reader a room)."""
        running = self._catch_ups.get(room)
        if running is not None and not running.done():
            return  # it checks again after each page
        task = asyncio.create_task(self._fill(room), name=f"catch up {room}")
        self._catch_ups[room] = task
        task.add_done_callback(_consume)

    async def _fill(self, room: str) -> None:
        while self._sequencer.behind(room):
            after = self._sequencer.after_seq(room)
            try:
                page = await self._ask_history(room, after_seq=after, limit=HISTORY_PAGE)
            except (_Disconnected, RequestError):
                return  # the next hello catches up again; a lost room comes as an event
            for message in page.messages:
                for ready in self._sequencer.accept(message):
                    self._events.put_nowait(ready)
            if self._sequencer.after_seq(room) == after:
                return  # nothing new: the server has no more than this


def _decode(text: str | bytes) -> dict[str, Any] | None:
    try:
        frame = json.loads(text)
    except ValueError:
        return None
    return frame if isinstance(frame, dict) else None


def _consume(task: asyncio.Task[None]) -> None:
    """Retrieve a finished background task's exception, so asyncio does not report it."""
    if not task.cancelled():
        task.exception()

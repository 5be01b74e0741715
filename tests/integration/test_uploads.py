"""Uploads against a real server process (chatsite.server, Uvicorn): a body the client
stops sending halfway leaves nothing behind, neither in the storage nor among the
server's temporary files, a body declared too large is refused unread, and behind
nginx (deploy/nginx.conf) the bytes are nginx's to send."""

from __future__ import annotations

import getpass
import http.client
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live import ROOT, ChatServer, LiveDatabase, free_port, provision

pytestmark = pytest.mark.integration

CSRF = "a" * 32  # any secret: Django compares the cookie with the header
BOUNDARY = "chat-test-boundary"


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[ChatServer, dict, Path, Path]]:
    database = LiveDatabase(os.environ.get("DATABASE_URL", "")).create()
    incoming = Path(tempfile.mkdtemp(prefix="chat-incoming-", dir=database.dir))
    room = f"up-{uuid.uuid4().hex[:6]}"
    [user] = provision(database, [f"uploader-{uuid.uuid4().hex[:6]}"], {room: [0]})
    user["room"] = room
    chat = ChatServer(database, env={"TMPDIR": str(incoming)}).start()
    try:
        yield chat, user, Path(database.env["MEDIA_ROOT"]), incoming
    finally:
        chat.stop()
        database.drop()


def files_in(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


def held_in(chat: ChatServer, folder: Path) -> list[str]:
    """The files in ``folder`` the server process has open: a spooled body is an unnamed
    file there (O_TMPFILE), seen only among the process's descriptors."""
    assert chat.process is not None
    held = []
    for fd in Path(f"/proc/{chat.process.pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue  # closed meanwhile
        if target.startswith(str(folder)):
            held.append(target)
    return held


def request_head(user: dict, length: int) -> bytes:
    return (
        f"POST /r/{user['room']}/files/ HTTP/1.1\r\n"
        "Host: 127.0.0.1\r\n"
        f"Cookie: sessionid={user['session_key']}; csrftoken={CSRF}\r\n"
        f"X-CSRFToken: {CSRF}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"Content-Length: {length}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()


def multipart(name: str, data: bytes) -> bytes:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return head + data + f"\r\n--{BOUNDARY}--\r\n".encode()


def answer(connection: socket.socket) -> tuple[int, dict]:
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    head, _blank, body = received.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body or b"{}")


def wait_until(condition, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_an_upload_cut_off_halfway_leaves_nothing_behind(server) -> None:
    chat, user, media, incoming = server
    body = multipart("big.bin", os.urandom(6 * 1024 * 1024))
    with socket.create_connection(("127.0.0.1", chat.port), timeout=10) as connection:
        connection.sendall(request_head(user, len(body)) + body[: len(body) // 2])
        # Past 2.5 MB the server spools the body to a temporary file: it is there now.
        wait_until(lambda: held_in(chat, incoming), "the body to be spooled to disk")
    # The connection is gone: so is the temporary file, and nothing was stored.
    wait_until(lambda: not held_in(chat, incoming), "the temporary file to be removed")
    assert files_in(incoming) == [] and files_in(media) == []

    # The same upload, whole, is stored, and leaves no temporary file either.
    whole = multipart("small.bin", b"all of it")
    with socket.create_connection(("127.0.0.1", chat.port), timeout=10) as connection:
        connection.sendall(request_head(user, len(whole)) + whole)
        status, reply = answer(connection)
    assert (status, reply["name"], reply["size"]) == (201, "small.bin", 9)
    assert [path.read_bytes() for path in files_in(media)] == [b"all of it"]
    wait_until(lambda: not held_in(chat, incoming), "the temporary files to be closed")
    assert files_in(incoming) == []


def test_a_body_declared_too_large_is_refused_before_it_is_sent(server) -> None:
    chat, user, media, incoming = server
    before = files_in(media)
    with socket.create_connection(("127.0.0.1", chat.port), timeout=10) as connection:
        connection.sendall(request_head(user, 1024 * 1024 * 1024))  # a gigabyte, never sent
        status, reply = answer(connection)
    assert (status, reply["error"]) == (413, "too_large")
    assert files_in(media) == before and files_in(incoming) == [] and held_in(chat, incoming) == []


NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed")
def test_behind_nginx_the_file_is_sent_by_nginx_with_the_chats_headers(tmp_path: Path) -> None:
    """deploy/nginx.conf in front of a server with CHAT_FILES_ACCEL_PREFIX: nginx sends the
    bytes from MEDIA_ROOT after the chat's check, with its headers; its internal location
    is not reachable from outside."""
    database = LiveDatabase(os.environ.get("DATABASE_URL", "")).create()
    media = Path(database.env["MEDIA_ROOT"])
    room = f"nx-{uuid.uuid4().hex[:6]}"
    [user, outsider] = provision(
        database, [f"nx-{uuid.uuid4().hex[:6]}", f"nx-{uuid.uuid4().hex[:6]}"], {room: [0]}
    )
    user["room"] = room
    chat = ChatServer(database, env={"CHAT_FILES_ACCEL_PREFIX": "/protected-files/"}).start()
    port = free_port()
    config = (ROOT / "deploy" / "nginx.conf").read_text()
    config = config.replace("server web:8000", f"server 127.0.0.1:{chat.port}").replace(
        "listen 80;", f"listen 127.0.0.1:{port};"
    )
    config = config.replace("alias /data/media/;", f"alias {media}/;")
    (tmp_path / "site.conf").write_text(config)
    lines = [
        # The workers read MEDIA_ROOT as the test's own user (as root they would be nobody).
        f"user {getpass.getuser()};",
        f"pid {tmp_path}/nginx.pid;",
        f"error_log {tmp_path}/error.log;",
        "events {}",
        "http {",
        "access_log off;",
        f"client_body_temp_path {tmp_path}/body;",
        f"proxy_temp_path {tmp_path}/proxy;",
        f"include {tmp_path}/site.conf;",
        "}",
    ]
    (tmp_path / "nginx.conf").write_text("\n".join(lines) + "\n")
    nginx = subprocess.Popen([NGINX, "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"])
    try:
        wait_until(lambda: _port_open(port), "nginx to listen")
        whole = multipart("report.txt", b"quarterly numbers\n")
        with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
            connection.sendall(request_head(user, len(whole)) + whole)
            status, reply = answer(connection)
        assert status == 201, reply
        cookie = f"sessionid={user['session_key']}"
        status, headers, body = _get(port, reply["url"], cookie)
        assert (status, body) == (200, b"quarterly numbers\n")
        assert headers["content-type"] == "text/plain"
        assert headers["content-disposition"].startswith("attachment; ")
        assert headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in headers["content-security-policy"]
        assert "private" in headers["cache-control"]
        assert "x-accel-redirect" not in headers
        stored = next(path for path in media.rglob("*") if path.is_file()).relative_to(media)
        assert _get(port, f"/protected-files/{stored}", cookie)[0] == 404, "the internal location is internal"
        assert _get(port, reply["url"], f"sessionid={outsider['session_key']}")[0] == 404
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        chat.stop()
        database.drop()


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _get(port: int, path: str, cookie: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers={"Cookie": cookie, "Host": "127.0.0.1", **headers})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def test_the_server_streams_a_file_and_answers_a_byte_range(server) -> None:
    """Without nginx the chat sends the bytes itself: the whole file, or the one range
    asked for (a download resumed, a player seeking)."""
    chat, user, _media, _incoming = server
    data = os.urandom(3 * 1024 * 1024 + 17)  # several of the pieces it reads at a time
    whole = multipart("film.bin", data)
    with socket.create_connection(("127.0.0.1", chat.port), timeout=10) as connection:
        connection.sendall(request_head(user, len(whole)) + whole)
        status, reply = answer(connection)
    assert status == 201, reply
    cookie = f"sessionid={user['session_key']}"
    status, headers, body = _get(chat.port, reply["url"], cookie)
    assert (status, len(body), body == data) == (200, len(data), True)
    assert (headers["accept-ranges"], headers["content-length"]) == ("bytes", str(len(data)))
    status, headers, body = _get(chat.port, reply["url"], cookie, Range="bytes=1048576-")
    assert (status, body == data[1048576:]) == (206, True)
    assert headers["content-range"] == f"bytes 1048576-{len(data) - 1}/{len(data)}"
    status, headers, _body = _get(chat.port, reply["url"], cookie, Range=f"bytes={len(data)}-")
    assert (status, headers["content-range"]) == (416, f"bytes */{len(data)}")

"""chatsite.pages.PagesHandler reading request bodies: a body past CHAT_MAX_REQUEST_BODY
is refused before it is read (declared) or as soon as it passes the limit (not
declared), and a body the client abandons halfway leaves no temporary file."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest

from chatsite.pages import PagesHandler, on_own_thread

pytestmark = pytest.mark.django_db(transaction=True)


def scope(headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/r/general/files/",
        "raw_path": b"/r/general/files/",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost"), *headers],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }


class Exchange:
    """The server's side of one request: the body in chunks, and what was sent back."""

    def __init__(self, chunks: list[bytes], *, then_disconnect: bool = False) -> None:
        self.chunks = chunks
        self.then_disconnect = then_disconnect
        self.read = 0
        self.sent: list[dict[str, Any]] = []

    async def receive(self) -> dict[str, Any]:
        if self.read < len(self.chunks):
            self.read += 1
            more = self.read < len(self.chunks) or self.then_disconnect
            return {"type": "http.request", "body": self.chunks[self.read - 1], "more_body": more}
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int | None:
        return next((m["status"] for m in self.sent if m["type"] == "http.response.start"), None)

    def json(self) -> dict[str, Any]:
        return json.loads(
            b"".join(m.get("body", b"") for m in self.sent if m["type"] == "http.response.body")
        )


@pytest.fixture
def small_limit(settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    settings.CHAT_MAX_REQUEST_BODY = 1000
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 100  # spooled to disk past 100 bytes
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


async def test_a_declared_length_over_the_limit_is_refused_unread(small_limit: Path) -> None:
    exchange = Exchange([b"x" * 500, b"x" * 500, b"x" * 500])
    await PagesHandler()(scope([(b"content-length", b"1500")]), exchange.receive, exchange.send)
    assert exchange.status == 413
    assert exchange.json()["error"] == "too_large"
    assert exchange.read == 0, "the body was read"


async def test_a_body_without_a_length_is_cut_off_at_the_limit(small_limit: Path) -> None:
    exchange = Exchange([b"x" * 400] * 10)
    await PagesHandler()(scope([]), exchange.receive, exchange.send)
    assert exchange.status == 413
    assert exchange.read == 3, "it read on past the limit"
    assert list(small_limit.iterdir()) == []


async def test_a_body_abandoned_halfway_leaves_nothing(small_limit: Path) -> None:
    exchange = Exchange([b"x" * 300, b"x" * 300], then_disconnect=True)
    await PagesHandler()(scope([(b"content-length", b"900")]), exchange.receive, exchange.send)
    assert exchange.sent == []
    assert list(small_limit.iterdir()) == []


async def test_a_body_within_the_limit_reaches_the_page(small_limit: Path) -> None:
    exchange = Exchange([b"a=1"])
    headers = [(b"content-length", b"3"), (b"content-type", b"application/x-www-form-urlencoded")]
    await PagesHandler()(scope(headers), exchange.receive, exchange.send)
    assert exchange.status in {302, 403, 404}  # the page's own answer, not the body limit's


@pytest.mark.parametrize(
    ("method", "path", "root_path", "own"),
    [
        ("POST", "/r/general/files/", "", True),
        ("POST", "/api/rooms/general/files", "", True),
        ("POST", "/chat/r/general/files/", "/chat", True),
        ("GET", "/r/general/files/", "", False),
        ("POST", "/r/general/files/12/", "", False),  # taking one back is light
        ("POST", "/r/general/", "", False),
        ("GET", "/files/12/", "", False),
    ],
)
def test_uploads_and_only_they_are_served_off_the_shared_thread(
    method: str, path: str, root_path: str, own: bool
) -> None:
    assert on_own_thread({"method": method, "path": path, "root_path": root_path}) is own


async def test_an_upload_runs_on_another_thread_than_the_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    threads: dict[str, int] = {}
    serve = PagesHandler._serve

    def noting(self: PagesHandler, scope: dict[str, Any], body_file: Any) -> Any:
        threads[scope["path"]] = threading.get_ident()
        return serve(self, scope, body_file)

    monkeypatch.setattr(PagesHandler, "_serve", noting)
    handler = PagesHandler()
    for path in ("/r/general/", "/r/general/files/", "/r/other/"):
        exchange = Exchange([b""])
        await handler({**scope([]), "path": path, "raw_path": path.encode()}, exchange.receive, exchange.send)

    assert threads["/r/general/"] == threads["/r/other/"]  # the one shared thread
    assert threads["/r/general/files/"] != threads["/r/general/"]

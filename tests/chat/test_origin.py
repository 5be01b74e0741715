"""chat.routing.origin_allowed: which pages may open the chat's socket.

The scopes are built the way Uvicorn builds a WebSocket scope: the socket's
scheme ("ws", or "wss" behind a TLS proxy with --proxy-headers), the raw
headers of the handshake, and the address the server listens on.
"""

from __future__ import annotations

from typing import Any

import pytest

from chat.routing import origin_allowed, websocket_application

ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", "chat.example.org"]
EXTRA_ORIGINS = ["https://app.example.org", "http://localhost:3000/"]


def scope(
    origin: str | None,
    *,
    host: str | None = "127.0.0.1:8000",
    scheme: str = "ws",
    server: tuple[str, int] = ("127.0.0.1", 8000),
) -> dict[str, Any]:
    headers = [(b"upgrade", b"websocket"), (b"connection", b"Upgrade")]
    if host is not None:
        headers.append((b"host", host.encode("latin1")))
    if origin is not None:
        headers.append((b"origin", origin.encode("latin1")))
    return {
        "type": "websocket",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "scheme": scheme,
        "server": server,
        "client": ("127.0.0.1", 50123),
        "root_path": "",
        "path": "/ws/chat/",
        "raw_path": b"/ws/chat/",
        "query_string": b"",
        "headers": headers,
        "subprotocols": [],
        "state": {},
    }


@pytest.fixture(autouse=True)
def _site(settings: Any) -> None:
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ALLOWED_HOSTS
    settings.CHAT_ALLOWED_ORIGINS = EXTRA_ORIGINS


@pytest.mark.parametrize(
    ("the_scope", "allowed"),
    [
        # The site itself, as the browser reached it.
        pytest.param(scope("http://127.0.0.1:8000"), True, id="same-origin"),
        pytest.param(scope("HTTP://LOCALHOST:8000", host="localhost:8000"), True, id="same-origin-any-case"),
        pytest.param(scope("http://127.0.0.1", host="127.0.0.1:80"), True, id="default-port-left-out"),
        pytest.param(scope("http://127.0.0.1:80", host="127.0.0.1"), True, id="default-port-spelt-out"),
        # Another scheme.
        pytest.param(scope("https://127.0.0.1:8000"), False, id="wrong-scheme"),
        pytest.param(scope("https://127.0.0.1"), False, id="wrong-scheme-and-port"),
        pytest.param(scope("ws://127.0.0.1:8000"), False, id="socket-scheme-is-no-page-origin"),
        pytest.param(scope("ftp://127.0.0.1:8000"), False, id="not-a-web-scheme"),
        # Another port.
        pytest.param(scope("http://127.0.0.1:1"), False, id="wrong-port"),
        pytest.param(scope("http://127.0.0.1"), False, id="default-port-is-another-port"),
        # Another host, even one the site answers to.
        pytest.param(scope("http://localhost:8080"), False, id="other-allowed-host-and-port"),
        pytest.param(scope("http://localhost:8000"), False, id="other-allowed-host"),
        pytest.param(scope("http://evil.example"), False, id="other-host"),
        pytest.param(scope("http://127.0.0.1.evil.example:8000"), False, id="lookalike-host"),
        # A Host header the site does not answer to (DNS rebinding): no origin is the site's own.
        pytest.param(
            scope("http://evil.example:8000", host="evil.example:8000"), False, id="host-not-allowed"
        ),
        pytest.param(scope("http://127.0.0.1:8000", host=None), False, id="no-host-header"),
        # Behind a TLS proxy (Uvicorn's --proxy-headers has set the scheme to wss).
        pytest.param(
            scope("https://chat.example.org", host="chat.example.org", scheme="wss"), True, id="tls"
        ),
        pytest.param(
            scope("https://chat.example.org:443", host="chat.example.org", scheme="wss"), True, id="tls-port"
        ),
        pytest.param(
            scope("http://chat.example.org", host="chat.example.org", scheme="wss"),
            False,
            id="tls-plain-page",
        ),
        # Origins configured in CHAT_ALLOWED_ORIGINS, compared normalised.
        pytest.param(scope("https://app.example.org"), True, id="extra-origin"),
        pytest.param(scope("https://app.example.org:443"), True, id="extra-origin-default-port"),
        pytest.param(scope("http://localhost:3000"), True, id="extra-origin-with-port"),
        pytest.param(scope("http://app.example.org"), False, id="extra-origin-wrong-scheme"),
        pytest.param(scope("https://app.example.org:8443"), False, id="extra-origin-wrong-port"),
        pytest.param(scope("http://localhost:3001"), False, id="extra-origin-other-port"),
        pytest.param(scope("https://other.example.org"), False, id="extra-origin-other-host"),
        # IPv6.
        pytest.param(scope("http://[::1]:8000", host="[::1]:8000", server=("::1", 8000)), True, id="ipv6"),
        pytest.param(
            scope("http://[::1]:8001", host="[::1]:8000", server=("::1", 8000)), False, id="ipv6-port"
        ),
        pytest.param(
            scope("http://[::2]:8000", host="[::1]:8000", server=("::1", 8000)), False, id="ipv6-host"
        ),
        pytest.param(scope("http://[::1]:8000"), False, id="ipv6-page-ipv4-host"),
        # Not an origin at all.
        pytest.param(scope("null"), False, id="null"),
        pytest.param(scope(""), False, id="empty"),
        pytest.param(scope("http://127.0.0.1:99999"), False, id="bad-port"),
        pytest.param(scope("http://[::1"), False, id="bad-ipv6"),
        pytest.param(scope("http://user@127.0.0.1:8000"), False, id="userinfo"),
        pytest.param(scope("http://127.0.0.1:8000/page"), False, id="with-a-path"),
        pytest.param(scope("127.0.0.1:8000"), False, id="no-scheme"),
        # No Origin header: not a browser; refused unless ALLOWED_HOSTS has "*".
        pytest.param(scope(None), False, id="no-origin"),
    ],
)
def test_which_origins_may_open_a_socket(the_scope: dict[str, Any], allowed: bool) -> None:
    assert origin_allowed(the_scope) is allowed


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("http://127.0.0.1:8000", True),
        ("http://evil.example", False),
        ("http://127.0.0.1:1", False),
        (None, True),  # as Channels' OriginValidator does with "*"
    ],
)
def test_any_host_still_means_same_origin(settings: Any, origin: str | None, allowed: bool) -> None:
    settings.ALLOWED_HOSTS = ["*"]
    settings.CHAT_ALLOWED_ORIGINS = []

    assert origin_allowed(scope(origin)) is allowed


@pytest.mark.parametrize(("debug", "allowed"), [(True, True), (False, False)])
def test_debug_answers_to_the_local_hosts_when_none_are_set(
    settings: Any, debug: bool, allowed: bool
) -> None:
    settings.DEBUG = debug
    settings.ALLOWED_HOSTS = []
    settings.CHAT_ALLOWED_ORIGINS = []

    assert origin_allowed(scope("http://localhost:8000", host="localhost:8000")) is allowed


def test_an_unparsable_configured_origin_is_ignored(settings: Any) -> None:
    settings.CHAT_ALLOWED_ORIGINS = ["app.example.org", "https://[bad", "https://app.example.org"]

    assert origin_allowed(scope("https://app.example.org")) is True
    assert origin_allowed(scope("http://app.example.org")) is False


async def test_a_refused_origin_gets_no_socket() -> None:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await websocket_application(scope("http://127.0.0.1:1"), receive, send)

    assert sent == [{"type": "websocket.close"}]

"""The WebSocket side of the site: one endpoint, /ws/chat/.

A single flat ASGI callable rather than Channels' middleware stack: every
socket of a process stays open for hours, and each layer of the stack would
keep a frame and a copy of the scope alive for each of them. It checks the
Origin, takes the session key from the cookie, and hands the consumer a small
scope.

The Origin check (against cross-site WebSocket hijacking) accepts a page of
the site itself and the pages listed in ``settings.CHAT_ALLOWED_ORIGINS``,
nothing else. Origins are compared as scheme, host and port, with the default
ports (80 for http, 443 for https) filled in:

- the site's own origin is the one the browser used to reach this socket: the
  scope's scheme (ws -> http, wss -> https; behind a TLS proxy the server's
  proxy-headers handling has already made it wss) and the Host header of the
  handshake, which must itself be one of ``ALLOWED_HOSTS`` (with DEBUG and no
  ALLOWED_HOSTS: localhost, 127.0.0.1 and [::1]);
- ``CHAT_ALLOWED_ORIGINS`` entries are ``scheme://host[:port]``; one that does
  not parse as that is ignored.

``Origin: null`` (sandboxed frames, file: pages, some redirects) and any Origin
that is not a plain ``http(s)://host[:port]`` are refused.

A handshake without an Origin header comes from a client that is not a
browser (browsers send one with every WebSocket handshake), so it cannot be a
hijacking page. It is treated as it always was here, and as Channels'
``OriginValidator`` treats it: refused unless ``ALLOWED_HOSTS`` contains "*".
Non-browser clients send the site's own origin instead, as the tests and
the benchmark do.

A handshake with ``Authorization: Bearer <token>`` (a personal API token, for
scripts, bots and the terminal client) is signed in by the token alone: its
cookies are ignored, and so is its Origin, because a page in a browser cannot
set that header on a WebSocket, so such a handshake cannot be a hijacking.
"""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http.cookie import parse_cookie
from django.http.request import split_domain_port, validate_host

from accounts.languages import from_accept_language
from chat.realtime.consumer import ChatConsumer

SOCKET_PATH = "/ws/chat/"

# The page scheme that goes with each socket scheme.
_PAGE_SCHEMES = {"ws": "http", "wss": "https", "http": "http", "https": "https"}
_DEFAULT_PORTS = {"http": 80, "https": 443}

Origin = tuple[str, str, int]  # (scheme, host, port), normalised


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin1")
    return None


def _allowed_hosts() -> list[str]:
    return settings.ALLOWED_HOSTS or (["localhost", "127.0.0.1", "[::1]"] if settings.DEBUG else [])


def _normalised(origin: str) -> Origin | None:
    """(scheme, host, port) of a ``scheme://host[:port]`` origin, or None if it is not one."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:  # a bad port or IPv6 address
        return None
    scheme = parts.scheme.lower()
    if (
        scheme not in _DEFAULT_PORTS
        or not parts.hostname
        or parts.username is not None
        or parts.password is not None
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        return None
    return scheme, parts.hostname, port if port is not None else _DEFAULT_PORTS[scheme]


@functools.lru_cache(maxsize=8)
def _configured_origins(origins: tuple[str, ...]) -> frozenset[Origin]:
    return frozenset(filter(None, (_normalised(origin) for origin in origins)))


def _own_origin(scope: dict[str, Any]) -> Origin | None:
    """The origin of the site as this handshake reached it, if its Host is allowed."""
    host = _header(scope, b"host")
    scheme = _PAGE_SCHEMES.get(scope.get("scheme", "ws"))
    if not host or scheme is None:
        return None
    domain, _port = split_domain_port(host)
    if not domain or not validate_host(domain, _allowed_hosts()):
        return None
    return _normalised(f"{scheme}://{host}")


def origin_allowed(scope: dict[str, Any]) -> bool:
    """Whether the page that opens this socket may: see the module's docstring."""
    origin = _header(scope, b"origin")
    if origin is None:
        return "*" in _allowed_hosts()
    page = _normalised(origin)
    if page is None:  # "null", or not an origin at all
        return False
    return page == _own_origin(scope) or page in _configured_origins(tuple(settings.CHAT_ALLOWED_ORIGINS))


async def _deny(receive: Any, send: Any) -> None:
    """Refuse the handshake (the server answers 403); no socket is opened."""
    message = await receive()
    if message["type"] == "websocket.connect":
        await send({"type": "websocket.close"})


def bearer_token(scope: dict[str, Any]) -> str | None:
    """The token of an ``Authorization: Bearer`` header, if the handshake has one."""
    value = _header(scope, b"authorization")
    if value is None:
        return None
    scheme, _space, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


async def websocket_application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    token = bearer_token(scope)
    if scope["path"] != SOCKET_PATH or (token is None and not origin_allowed(scope)):
        await _deny(receive, send)
        return
    # The consumer keeps a small scope of its own (there may be tens of thousands): the
    # browser's language goes in as the one the site speaks, if any (a shared string).
    language = from_accept_language(_header(scope, b"accept-language") or "") or ""
    if token is not None:
        consumer_scope = {"type": "websocket", "path": scope["path"], "token": token, "language": language}
        await ChatConsumer()(consumer_scope, receive, send)
        return
    cookie = _header(scope, b"cookie")
    session_key = parse_cookie(cookie).get(settings.SESSION_COOKIE_NAME, "") if cookie else ""
    await ChatConsumer()(
        {"type": "websocket", "path": scope["path"], "session_key": session_key, "language": language},
        receive,
        send,
    )

"""The WebSocket side of the site: one endpoint, /ws/chat/.

A single flat ASGI callable rather than Channels' middleware stack: every
socket of a process stays open for hours, and each layer of the stack would
keep a frame and a copy of the scope alive for each of them. It checks the
Origin (against ALLOWED_HOSTS, as Channels' AllowedHostsOriginValidator does),
takes the session key from the cookie, and hands the consumer a small scope.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from channels.security.websocket import OriginValidator
from django.conf import settings
from django.http.cookie import parse_cookie

from chat.realtime.consumer import ChatConsumer

SOCKET_PATH = "/ws/chat/"


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin1")
    return None


def origin_allowed(scope: dict[str, Any]) -> bool:
    origin = _header(scope, b"origin")
    try:
        parsed = urlparse(origin) if origin is not None else None
    except ValueError:
        return False
    hosts = settings.ALLOWED_HOSTS or (["localhost", "127.0.0.1", "[::1]"] if settings.DEBUG else [])
    return OriginValidator(None, hosts).valid_origin(parsed)


async def _deny(receive: Any, send: Any) -> None:
    """Refuse the handshake (the server answers 403); no socket is opened."""
    message = await receive()
    if message["type"] == "websocket.connect":
        await send({"type": "websocket.close"})


async def websocket_application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["path"] != SOCKET_PATH or not origin_allowed(scope):
        await _deny(receive, send)
        return
    cookie = _header(scope, b"cookie")
    session_key = parse_cookie(cookie).get(settings.SESSION_COOKIE_NAME, "") if cookie else ""
    await ChatConsumer()(
        {"type": "websocket", "path": scope["path"], "session_key": session_key}, receive, send
    )

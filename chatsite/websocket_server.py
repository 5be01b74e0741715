"""Make Daphne keep the protocol's promise about oversized frames.

Daphne (through Autobahn) refuses a WebSocket message over its size limit by
dropping the TCP connection, so the client sees 1006 and cannot tell a
too-big frame from a network fault. The protocol promises close code 1009.
Autobahn sends a proper close frame (1009 for "message too big") when its
``failByDrop`` option is off, and Daphne gives no way to set it, so this
module sets it, and caps the message size at the chat's 64 KiB, when the
ASGI application is loaded inside Daphne. The chat's own server is
chatsite.server (Uvicorn); Daphne still serves it, and the benchmark compares
the two.
"""

from __future__ import annotations

import sys
from typing import Any


def configure_daphne(max_message_bytes: int) -> None:
    if "daphne.ws_protocol" not in sys.modules:
        return  # not served by Daphne (chatsite.server sets Uvicorn's limit itself)
    from daphne.ws_protocol import WebSocketFactory

    if getattr(WebSocketFactory, "_chat_configured", False):
        return
    original = WebSocketFactory.setProtocolOptions

    def set_protocol_options(self: Any, *args: Any, **options: Any) -> None:
        options["failByDrop"] = False
        limit = options.get("maxMessagePayloadSize")
        if not limit or limit > max_message_bytes:
            options["maxMessagePayloadSize"] = max_message_bytes
        original(self, *args, **options)

    WebSocketFactory.setProtocolOptions = set_protocol_options
    WebSocketFactory._chat_configured = True

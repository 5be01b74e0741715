"""A bare broadcast server, to check the client rather than to compare with.

It speaks the baseline's protocol (``/ws/chat/<room>/``, ``{"message": ...}``)
with nothing behind it: each text frame goes straight back out to every
socket of its room, the sender's included. Run it as the baseline to see how
far the client itself goes:

    python -m bench --targets baseline --scenarios fixed,saturation \\
        --baseline-cmd "python -m bench.bare {port}"
"""

from __future__ import annotations

import sys
from typing import Any

import uvloop
from picows import WSListener, WSMsgType, WSTransport, WSUpgradeRequest, ws_create_server

rooms: dict[bytes, set[RoomSocket]] = {}


class RoomSocket(WSListener):
    def __init__(self, room: bytes) -> None:
        super().__init__()
        self.room = room
        self.transport: WSTransport | None = None

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport
        rooms.setdefault(self.room, set()).add(self)

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        rooms.get(self.room, set()).discard(self)

    def on_ws_frame(self, transport: WSTransport, frame: Any) -> None:
        if frame.msg_type == WSMsgType.TEXT:
            payload = frame.get_payload_as_bytes()
            for member in rooms[self.room]:
                member.transport.send(WSMsgType.TEXT, payload)
        elif frame.msg_type == WSMsgType.CLOSE:
            transport.send_close(frame.get_close_code())
            transport.disconnect()


def route(request: WSUpgradeRequest) -> RoomSocket:
    return RoomSocket(request.path)


async def serve(port: int) -> None:
    server = await ws_create_server(route, "127.0.0.1", port)
    await server.serve_forever()


def main(argv: list[str]) -> None:
    uvloop.run(serve(int(argv[0])))


if __name__ == "__main__":
    main(sys.argv[1:])

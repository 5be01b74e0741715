"""The chat's WebSocket: one per browser tab, carrying every room of its user.

A thin adapter: a frame comes in, protocol.py parses it, a service or selector
does the work, and frames go out. Group events carry frames already encoded.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone
from django.utils.translation import gettext as _

from chat import events, protocol, selectors, services
from chat.exceptions import BadRequest, ChatError, NotFound, Unavailable

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_TOO_BIG = 1009
CLOSE_FLOODING = 4429
# Consecutive rate_limited answers after which a client is taken to be flooding.
FLOOD_STRIKES = 50


class ChatConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.user = self.scope.get("user")
        self.rooms: dict[str, int] = {}  # slug -> id of every room this socket hears
        self.room_ids: set[int] = set()
        self.strikes = 0
        await self.accept()
        if self.user is None or not self.user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        # Subscribe first, read last_seq after: nothing committed after hello is missed.
        await self.channel_layer.group_add(events.user_group(self.user.pk), self.channel_name)
        for membership in await database_sync_to_async(selectors.memberships_for_user)(self.user):
            await self._subscribe(membership.room.slug, membership.room_id)
        summaries = await database_sync_to_async(selectors.room_summaries_for_user)(self.user)
        for summary in summaries:
            if summary["slug"] not in self.rooms:  # joined between the two reads
                room = await database_sync_to_async(selectors.room_by_slug)(summary["slug"])
                if room is not None:
                    await self._subscribe(room.slug, room.pk)
        await self._send_frame(
            {
                "type": "hello",
                "user": protocol.user_payload(self.user),
                "rooms": summaries,
                "server_time": protocol.timestamp(timezone.now()),
            }
        )

    async def disconnect(self, code: int) -> None:
        if self.user is None or not self.user.is_authenticated:
            return
        await self.channel_layer.group_discard(events.user_group(self.user.pk), self.channel_name)
        for room_id in list(self.rooms.values()):
            await self.channel_layer.group_discard(events.room_group(room_id), self.channel_name)
        self.rooms.clear()
        self.room_ids.clear()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None:
            await self._send_error(BadRequest(_("Frames must be JSON text, not binary.")))
            return
        if len(text_data) > settings.CHAT_MAX_FRAME_BYTES or (
            len(text_data) * 4 > settings.CHAT_MAX_FRAME_BYTES
            and len(text_data.encode()) > settings.CHAT_MAX_FRAME_BYTES
        ):
            await self.close(code=CLOSE_TOO_BIG)
            return
        ref = None
        try:
            frame = protocol.parse_frame(text_data)
            ref = getattr(frame, "client_id", None)
            await self.handlers[type(frame)](self, frame)
        except protocol.FrameError as error:
            await self._send_error(error, error.ref)
        except ChatError as error:
            await self._send_error(error, ref)
            if error.code == "rate_limited":
                self.strikes += 1
                if self.strikes >= FLOOD_STRIKES:
                    await self.close(code=CLOSE_FLOODING)
        except DatabaseError:
            logger.exception("Storage failed while handling a frame")
            await self._send_error(Unavailable(), ref)

    # Client frames -----------------------------------------------------------

    async def handle_send(self, frame: protocol.Send) -> None:
        result = await database_sync_to_async(services.message_create)(
            user=self.user, room_slug=frame.room, body=frame.body, client_id=frame.client_id
        )
        self.strikes = 0
        message = result.message
        await self._send_frame(
            {
                "type": "ack",
                "client_id": frame.client_id,
                "room": frame.room,
                "seq": message.seq,
                "id": message.pk,
            }
        )

    async def handle_history(self, frame: protocol.History) -> None:
        reply = await database_sync_to_async(selectors.history_for)(
            self.user, frame.room, before_seq=frame.before_seq, after_seq=frame.after_seq, limit=frame.limit
        )
        await self._send_frame(reply)

    async def handle_join(self, frame: protocol.Join) -> None:
        membership = await database_sync_to_async(services.room_join)(
            user=self.user, room_slug=frame.room, origin=self.channel_name
        )
        summary = await database_sync_to_async(self._summary)(membership)
        await self._subscribe(summary["slug"], membership.room_id)
        await self._send_frame({"type": "joined", "room": summary})

    def _summary(self, membership: Any) -> dict[str, Any]:
        return selectors.room_summary_for(self.user, membership.room, membership)

    async def handle_leave(self, frame: protocol.Leave) -> None:
        await database_sync_to_async(services.room_leave)(
            user=self.user, room_slug=frame.room, origin=self.channel_name
        )
        await self._unsubscribe(frame.room)
        await self._send_frame({"type": "left", "room": frame.room})

    async def handle_typing(self, frame: protocol.Typing) -> None:
        room_id = self.rooms.get(frame.room)
        if room_id is None:
            raise NotFound(_("No such room."))
        await events.typing(room_id, frame.room, self.user.pk, self.user.username)

    async def handle_read(self, frame: protocol.Read) -> None:
        await database_sync_to_async(services.read_mark)(
            user=self.user, room_slug=frame.room, seq=frame.seq, origin=self.channel_name
        )

    async def handle_edit(self, frame: protocol.Edit) -> None:
        await database_sync_to_async(services.message_edit)(
            user=self.user, room_slug=frame.room, seq=frame.seq, body=frame.body
        )

    async def handle_delete(self, frame: protocol.Delete) -> None:
        await database_sync_to_async(services.message_delete)(
            user=self.user, room_slug=frame.room, seq=frame.seq
        )

    async def handle_ping(self, frame: protocol.Ping) -> None:
        await self._send_frame({"type": "pong"})

    handlers: dict[type, Callable[[ChatConsumer, Any], Awaitable[None]]] = {
        protocol.Send: handle_send,
        protocol.History: handle_history,
        protocol.Join: handle_join,
        protocol.Leave: handle_leave,
        protocol.Typing: handle_typing,
        protocol.Read: handle_read,
        protocol.Edit: handle_edit,
        protocol.Delete: handle_delete,
        protocol.Ping: handle_ping,
    }

    # Group events (chat/events.py) -------------------------------------------

    async def chat_frame(self, event: dict[str, Any]) -> None:
        room_id = event.get("room_id")
        if room_id is not None and room_id not in self.room_ids:
            return  # left or removed; a late event must not leak through
        if event.get("skip") == self.channel_name or event.get("skip_user") == self.user.pk:
            return
        await self.send(text_data=event["frame"])

    async def chat_subscribe(self, event: dict[str, Any]) -> None:
        await self._subscribe(event["room"], event["room_id"])
        if event.get("skip") != self.channel_name:
            await self.send(text_data=event["frame"])

    async def chat_unsubscribe(self, event: dict[str, Any]) -> None:
        if event["room"] not in self.rooms:
            return
        await self._unsubscribe(event["room"])
        if event.get("skip") != self.channel_name:
            await self.send(text_data=event["frame"])

    # Helpers -----------------------------------------------------------------

    async def _subscribe(self, slug: str, room_id: int) -> None:
        self.rooms[slug] = room_id
        self.room_ids.add(room_id)
        await self.channel_layer.group_add(events.room_group(room_id), self.channel_name)

    async def _unsubscribe(self, slug: str) -> None:
        room_id = self.rooms.pop(slug, None)
        if room_id is not None:
            self.room_ids.discard(room_id)
            await self.channel_layer.group_discard(events.room_group(room_id), self.channel_name)

    async def _send_frame(self, frame: dict[str, Any]) -> None:
        await self.send(text_data=protocol.encode(frame))

    async def _send_error(self, error: ChatError, ref: str | None = None) -> None:
        await self._send_frame(protocol.error_frame(error, ref))

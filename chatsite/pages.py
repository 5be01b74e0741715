"""Django pages over ASGI with one trip to the synchronous thread per request.

Django's ASGI handler runs the synchronous middleware and view of a request in
several trips between the event loop and a thread made for that request: the
request_started signal, each run of synchronous middleware, the view, and
request_finished. On a process that also serves thousands of sockets, every
trip waits for the event loop and the GIL, and the page waits for all of them
(profiled with py-spy under the bench's pages scenario: about 70 pages/s, the
synchronous thread busy half the time and waiting the rest).

Here the body is read on the loop; then the whole request (signals, middleware,
view, rendering) runs in one call on the process's shared synchronous thread,
which keeps its database connection open, as a WSGI worker would; the response
goes out on the loop. Streaming responses (files) are sent as Django sends them.

Uploads are the exception: decoding and re-encoding a picture takes up to a
second of CPU (a 12-megapixel photo: about 0.4 s here), and on the shared thread
every page and every socket's database work of the process would wait for it.
They run on a thread of their own (with its own database connection), and
Pillow lets go of the interpreter while it decodes, so the rest goes on.

A body longer than settings.CHAT_MAX_REQUEST_BODY (the largest upload the chat
takes, with its framing) is refused with 413 before it is read, if its length is
declared, or as soon as it passes the limit, if it is not: nothing of it is
kept. A body the client stops sending halfway leaves nothing behind either.
"""

from __future__ import annotations

import re
import tempfile
from typing import Any

import orjson
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse, HttpResponseBase
from django.urls import set_script_prefix
from django.utils.translation import gettext as _

# Uploads to a room, from the page (chat.urls "upload") and the API (chat.api): served
# off the shared synchronous thread (above).
OWN_THREAD = re.compile(r"/(?:r|api/rooms)/[^/]+/files/?")


def on_own_thread(scope: dict[str, Any]) -> bool:
    """Whether the request is an upload, served on a thread of its own."""
    path, root = scope.get("path", ""), scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    return scope.get("method") == "POST" and OWN_THREAD.fullmatch(path) is not None


class BodyTooLarge(Exception):
    """The request's body is longer than the server reads."""


def declared_length(scope: dict[str, Any]) -> int | None:
    """The Content-Length of an HTTP request's scope; None if it has none (or not a number)."""
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class PagesHandler(ASGIHandler):
    def __init__(self) -> None:
        super().__init__()
        # The synchronous middleware chain: the request is served in one synchronous call.
        self.load_middleware(is_async=False)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        length = declared_length(scope)
        if length is not None and length > settings.CHAT_MAX_REQUEST_BODY:
            await self._refuse_too_large(send)
            return
        try:
            body_file = await self.read_body(receive)
        except BodyTooLarge:
            await self._refuse_too_large(send)
            return
        except Exception:  # the client went away while sending its body
            return
        shared = not on_own_thread(scope)
        response = await sync_to_async(self._serve, thread_sensitive=shared)(scope, body_file)
        try:
            await self.send_response(response, send)
        finally:
            if response.streaming:
                await sync_to_async(self._finish, thread_sensitive=shared)(response, body_file)

    async def read_body(self, receive: Any) -> Any:
        """The body, spooled to a temporary file past FILE_UPLOAD_MAX_MEMORY_SIZE; the file
        is removed if the client goes away or the body passes CHAT_MAX_REQUEST_BODY."""
        limit = settings.CHAT_MAX_REQUEST_BODY
        # Closed with the request, or below if reading it fails.
        body_file = tempfile.SpooledTemporaryFile(  # noqa: SIM115
            max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE, mode="w+b"
        )
        received = 0
        try:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise RequestAborted()
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > limit:
                    raise BodyTooLarge()
                if chunk:
                    body_file.write(chunk)
                if not message.get("more_body", False):
                    break
        except BaseException:
            body_file.close()
            raise
        body_file.seek(0)
        return body_file

    @staticmethod
    async def _refuse_too_large(send: Any) -> None:
        body = orjson.dumps({"error": "too_large", "message": _("The request is too large.")})
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _serve(self, scope: dict[str, Any], body_file: Any) -> HttpResponseBase:
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            response._handler_class = self.__class__
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size
        if not response.streaming:
            # The content is complete: release what the request held (its
            # database connection if too old, its files) before sending it.
            self._finish(response, body_file)
        return response

    @staticmethod
    def _finish(response: HttpResponseBase, body_file: Any) -> None:
        response.close()  # sends request_finished
        body_file.close()

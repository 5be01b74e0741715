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
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django.core import signals
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse, HttpResponseBase
from django.urls import set_script_prefix


class PagesHandler(ASGIHandler):
    def __init__(self) -> None:
        super().__init__()
        # The synchronous middleware chain: the request is served in one synchronous call.
        self.load_middleware(is_async=False)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            body_file = await self.read_body(receive)
        except Exception:  # the client went away while sending its body
            return
        response = await sync_to_async(self._serve, thread_sensitive=True)(scope, body_file)
        try:
            await self.send_response(response, send)
        finally:
            if response.streaming:
                await sync_to_async(self._finish, thread_sensitive=True)(response, body_file)

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

"""ASGI entry point: HTTP through Django, WebSockets through the chat consumer."""

import gc
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatsite.settings")
# Django must be set up before anything imports models.
django.setup(set_prefix=False)

from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from chat import realtime  # noqa: E402
from chat.routing import websocket_application  # noqa: E402
from chatsite.pages import PagesHandler  # noqa: E402
from chatsite.websocket_server import configure_daphne  # noqa: E402

configure_daphne(settings.CHAT_MAX_FRAME_BYTES)
django_asgi_app = PagesHandler()


class ChatApplication:
    """The project's application: routes by protocol, binds the real-time plumbing to
    the serving event loop, and answers the server's lifespan events."""

    def __init__(self) -> None:
        # The consumer resolves the user itself, so that a database failure while
        # connecting closes the socket with a retryable code instead of failing the handshake.
        self.router = ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket_application})

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
            return
        realtime.runtime()
        await self.router(scope, receive, send)

    async def lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                realtime.runtime()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await realtime.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return


application = ChatApplication()

# Everything loaded so far lives as long as the process: move it out of the
# collector's sight, so that collections only walk what requests create.
gc.collect()
gc.freeze()

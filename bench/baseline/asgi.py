"""ASGI entry point of the baseline: WebSockets at /ws/chat/<room>/ and nothing else."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.baseline.settings")
django.setup()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from bench.baseline.consumers import RoomConsumer  # noqa: E402

application = ProtocolTypeRouter(
    {"websocket": URLRouter([path("ws/chat/<str:room>/", RoomConsumer.as_asgi())])}
)

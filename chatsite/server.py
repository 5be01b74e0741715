"""Serve the chat: ``python -m chatsite.server --host 127.0.0.1 --port 8000``.

Uvicorn (uvloop, httptools, websockets' sans-I/O protocol), set up for the chat:

- frames over 64 KiB close the socket with 1009;
- a client that stops answering pings is dropped after 40 s;
- SIGTERM (or Ctrl-C) stops accepting connections, lets every socket finish
  the frame it is handling, closes it with 1001 (clients reconnect to another
  process and catch up), then finishes in-flight HTTP requests and exits;
- the collector is tuned for a long-lived process that makes many small,
  short-lived objects.

Daphne can serve ``chatsite.asgi:application`` too; the benchmark (bench/)
compares them.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import signal
import socket

import uvicorn

logger = logging.getLogger("chatsite.server")

# Seconds that sockets get to finish their frame and close on SIGTERM, and that
# HTTP requests get after that.
SOCKETS_GRACE = 10.0
HTTP_GRACE = 10.0


class Server(uvicorn.Server):
    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        from chat import realtime

        for server in self.servers:
            server.close()
        closing = realtime.close_all_sockets()
        if closing:
            logger.info("Closing %d sockets (1001)", closing)
            await realtime.wait_for_sockets_closed(SOCKETS_GRACE)
        await super().shutdown(sockets)


def tune_gc() -> None:
    """Collect the young generation less often: a chat process makes many small
    objects that die young, and each collection of generation 0 is a pause."""
    gen0, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(max(gen0, 50_000), max(gen1, 20), max(gen2, 20))


def config(host: str, port: int, *, proxy_headers: bool, forwarded_allow_ips: str | None) -> uvicorn.Config:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatsite.settings")
    import django
    from django.conf import settings

    django.setup(set_prefix=False)
    return uvicorn.Config(
        "chatsite.asgi:application",
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        ws="websockets-sansio",
        ws_max_size=settings.CHAT_MAX_FRAME_BYTES,
        # permessage-deflate keeps a compressor and a decompressor per socket (about
        # 45 KB, measured with tracemalloc) and compresses each frame once per
        # receiver; chat frames are small. Off.
        ws_per_message_deflate=False,
        ws_ping_interval=20.0,
        ws_ping_timeout=20.0,
        lifespan="on",
        proxy_headers=proxy_headers,
        forwarded_allow_ips=forwarded_allow_ips,
        server_header=False,
        date_header=True,
        access_log=False,
        log_config=None,  # Django's LOGGING (settings.py) is the one configuration
        backlog=4096,
        timeout_graceful_shutdown=int(HTTP_GRACE),
        timeout_keep_alive=30,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m chatsite.server", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("CHAT_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("CHAT_PORT", "8000")))
    parser.add_argument(
        "--proxy-headers",
        action="store_true",
        help="trust X-Forwarded-For and X-Forwarded-Proto from --forwarded-allow-ips",
    )
    parser.add_argument(
        "--forwarded-allow-ips", default=None, help="comma-separated addresses of the proxies to trust"
    )
    args = parser.parse_args(argv)
    tune_gc()
    server = Server(
        config(
            args.host,
            args.port,
            proxy_headers=args.proxy_headers,
            forwarded_allow_ips=args.forwarded_allow_ips,
        )
    )

    def exit_cleanly_on_sigterm(signum: int, frame: object) -> None:
        # Uvicorn handles SIGTERM while it serves; once it has shut down gracefully it
        # sends the signal again to the handler it found, which would end the process
        # by the signal (status 143) after a clean stop. Found here: a clean stop exits 0.
        if not server.started:
            raise SystemExit(0)  # before serving: nothing to finish

    signal.signal(signal.SIGTERM, exit_cleanly_on_sigterm)
    server.run()


if __name__ == "__main__":
    main()

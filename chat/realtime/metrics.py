"""The process's Prometheus metrics, served at ``/metrics`` (chat.ops).

Each server process keeps and serves its own; Prometheus scrapes every
process, as it does for any multi-process service.
"""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    gc_collector,
    platform_collector,
    process_collector,
)

REGISTRY = CollectorRegistry(auto_describe=True)
process_collector.ProcessCollector(registry=REGISTRY)
platform_collector.PlatformCollector(registry=REGISTRY)
gc_collector.GCCollector(registry=REGISTRY)

OPEN_SOCKETS = Gauge("chat_open_sockets", "WebSockets open on this process.", registry=REGISTRY)
MESSAGES_STORED = Counter("chat_messages_stored", "Messages stored by this process.", registry=REGISTRY)
EVENTS_PUBLISHED = Counter(
    "chat_events_published", "Events this process published to the other processes.", registry=REGISTRY
)
PUBLISH_FAILURES = Counter(
    "chat_publish_failures",
    "Events that could not be published to the other processes (their clients are told to resync).",
    registry=REGISTRY,
)
RESYNCS_SENT = Counter(
    "chat_resyncs_sent", "resync frames sent to sockets that may have missed events.", registry=REGISTRY
)
SLOW_CLOSES = Counter(
    "chat_slow_socket_closes",
    "Sockets closed because the client did not read what was sent to it.",
    registry=REGISTRY,
)
BUS_CONNECTED = Gauge(
    "chat_bus_connected", "1 while this process hears the other processes through Redis.", registry=REGISTRY
)
FANOUT_SECONDS = Histogram(
    "chat_fanout_seconds",
    "From the commit of a room event to its frame being handed to this process's sockets.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
    registry=REGISTRY,
)

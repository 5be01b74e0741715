"""Every constant of the bench in one place: server commands, topology, and
the size and length of each scenario in full and in quick mode."""

from __future__ import annotations

from dataclasses import dataclass

# How the chat is served. Override with --server-cmd; "{port}" is replaced by a
# free port, and a leading "python" by this virtualenv's interpreter.
DEFAULT_CHAT_SERVER_CMD = "python -m chatsite.server --host 127.0.0.1 --port {port}"
# How the baseline is served (--baseline-cmd), the same way by default.
DEFAULT_BASELINE_SERVER_CMD = "python -m daphne -b 127.0.0.1 -p {port} bench.baseline.asgi:application"

# Signs the sessions that provision.py writes; every chat process of a run must share it.
BENCH_SECRET_KEY = "chat-bench-fixed-secret-key-never-use-in-production"

TARGETS = ("chat", "baseline")
SCENARIOS = ("fixed", "saturation", "big_room", "idle", "burst", "idle_minute", "two_servers", "pages")
CHAT_ONLY = frozenset({"pages"})

# The usual topology: 20 rooms of 25 members, one user per socket.
GRID_ROOMS = 20
GRID_MEMBERS = 25
BIG_ROOM_MEMBERS = 500
PAGES_MESSAGES = 200

# Saturation fails a step on any loss or duplicate, or on a p99 above this.
P99_LIMIT_MS = 250.0
# A step whose client sent less than this share of the schedule is not trusted.
MIN_SEND_SHARE = 0.95
# A failed saturation step during which other processes used more CPU than this
# (100 = one core) is run once more: the failure may not be the server's.
OTHER_CPU_LIMIT = 25.0

# Client sockets bind to 127.0.0.2 ... so that many thousands of sockets
# opened back to back never run out of ephemeral ports on one source address.
SOURCE_ADDRESSES = tuple(f"127.0.0.{n}" for n in range(2, 18))


@dataclass(frozen=True)
class Plan:
    """Sizes and durations of the scenarios; see FULL and QUICK."""

    fixed_rate: float = 1000.0  # deliveries/s
    fixed_seconds: float = 20.0
    sat_start: float = 1000.0
    sat_factor: float = 1.5
    sat_step_seconds: float = 10.0
    sat_max_steps: int = 12
    sat_bisections: int = 3
    big_room_rate: float = 1000.0  # deliveries/s, i.e. 2 messages/s to 500 members
    big_room_seconds: float = 15.0
    idle_sizes: tuple[int, ...] = (1000, 5000, 10000)
    burst_size: int = 1000
    burst_timeout: float = 30.0
    idle_minute_seconds: float = 60.0
    # two_servers holds each server process to this many cores (0: no limit), so
    # that two of them fit beside the client, Redis and the database (bench/cpulimit.py).
    scale_cpus: float = 0.5
    pages_seconds: float = 10.0
    pages_connections: int = 16
    warm_up_seconds: float = 2.0
    settle_quiet_seconds: float = 1.0  # no frame for this long before a step starts
    quiet_window_seconds: float = 1.0  # how long the outside-load check samples
    drain_max_seconds: float = 10.0
    drain_quiet_seconds: float = 2.0
    connect_concurrency: int = 32  # per worker, outside the burst scenario
    connect_timeout: float = 30.0


FULL = Plan()
QUICK = Plan(
    fixed_seconds=3.0,
    sat_start=500.0,
    sat_factor=2.0,
    sat_step_seconds=2.5,
    sat_max_steps=2,
    sat_bisections=0,
    big_room_seconds=3.0,
    idle_sizes=(1000,),
    burst_size=500,
    burst_timeout=10.0,
    warm_up_seconds=1.0,
    settle_quiet_seconds=0.5,
    quiet_window_seconds=0.5,
    idle_minute_seconds=10.0,
    pages_seconds=2.0,
    drain_max_seconds=5.0,
    drain_quiet_seconds=1.0,
)

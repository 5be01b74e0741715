"""The processes under test, and how they are watched.

``Infra`` is what every target shares for a run: Redis (``REDIS_URL``, or a
private redis-server) and, for the chat, one fresh migrated database
(``DATABASE_URL``'s server, or a temporary SQLite file). ``ServerGroup`` runs
one or more server processes from a command template, each on a free port.
``Sampler`` measures CPU and memory of process trees over a window with psutil.

Every process started here is stopped by its owner, also on Ctrl-C: servers
get a session of their own (so Ctrl-C reaches only the coordinator, which
stops clients first and servers after) and die with the coordinator if it is
killed outright.
"""

from __future__ import annotations

import ctypes
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import psutil

from bench.cpulimit import CpuCage
from tests.live import ROOT, LiveDatabase, RedisServer, free_port, stop_process, wait_for_port

_ENV_OWNED = {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "SQLITE_PATH", "CHAT_REDIS_PREFIX"}


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the coordinator dies."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def base_env(extra: dict[str, str]) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in _ENV_OWNED}
    env["PYTHONUNBUFFERED"] = "1"
    # The chat's servers are reached over plain HTTP on 127.0.0.1, with DEBUG off
    # as in production: opt out of its HTTPS redirect and secure-only cookies.
    env["DJANGO_HTTPS"] = "0"
    env.update(extra)
    return env


class Infra:
    """Redis and the chat's database, shared by every scenario of a run."""

    def __init__(self, *, need_database: bool) -> None:
        self.redis: RedisServer | None = None
        self.database: LiveDatabase | None = None
        self.need_database = need_database
        self.redis_url = ""

    def start(self) -> Infra:
        if os.environ.get("REDIS_URL"):
            self.redis_url = os.environ["REDIS_URL"]
        else:
            self.redis = RedisServer().start()
            self.redis_url = self.redis.url
        if self.need_database:
            self.database = LiveDatabase(os.environ.get("DATABASE_URL", "")).create()
        return self

    def stop(self) -> None:
        if self.database is not None:
            self.database.drop()
            self.database = None
        if self.redis is not None:
            self.redis.stop()
            self.redis = None

    @property
    def redis_pid(self) -> int | None:
        return self.redis.process.pid if self.redis is not None and self.redis.process else None

    def describe(self) -> dict[str, str]:
        database = "none"
        if self.database is not None:
            database = "postgresql" if self.database.base_url else "sqlite"
        return {"redis": "REDIS_URL" if self.redis is None else "private redis-server", "database": database}


def command_argv(template: str, port: int) -> list[str]:
    argv = shlex.split(template.replace("{port}", str(port)))
    if argv and argv[0] in {"python", "python3"}:
        argv[0] = sys.executable  # this virtualenv's interpreter
    return argv


class ServerGroup:
    """``count`` processes of one server command, sharing ``env``."""

    def __init__(
        self,
        command: str,
        env: dict[str, str],
        count: int,
        log_dir: Path,
        label: str,
        cpus: float | None = None,
    ) -> None:
        self.command = command
        self.cpus = cpus  # each process held to this many cores (bench/cpulimit.py), or unlimited
        self.cages: list[CpuCage] = []
        self.env = env
        self.count = count
        self.log_paths = [log_dir / f"{label}-{n}.log" for n in range(count)]
        self.ports: list[int] = []
        self.processes: list[subprocess.Popen] = []

    def start(self) -> ServerGroup:
        try:
            for log_path in self.log_paths:
                port = free_port()
                with log_path.open("ab") as log:
                    process = subprocess.Popen(
                        command_argv(self.command, port),
                        cwd=ROOT,
                        env=self.env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                        preexec_fn=_die_with_parent,
                    )
                self.processes.append(process)
                self.ports.append(port)
                if self.cpus:
                    cage = CpuCage(self.cpus)
                    self.cages.append(cage)
                    cage.add(process.pid)
                try:
                    wait_for_port(port, process, timeout=60)
                except RuntimeError as exc:
                    tail = " | ".join(log_path.read_text(errors="replace").strip().splitlines()[-3:])
                    raise RuntimeError(
                        f"{exc}: {' '.join(command_argv(self.command, port))}: {tail}"
                    ) from exc
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for process in self.processes:
            stop_process(process)
        self.processes.clear()
        for cage in self.cages:
            cage.remove()
        self.cages.clear()

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    def __enter__(self) -> ServerGroup:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def log_problems(self, limit: int = 12) -> dict[str, Any]:
        """What the server logs report as failures: tracebacks, each summed up
        as its exception line and the innermost frame in the project's code,
        and ERROR/CRITICAL lines; counted, with a few distinct samples."""
        counts: Counter[str] = Counter()
        for path in self.log_paths:
            if path.exists():
                counts.update(_problems(path.read_text(errors="replace").splitlines()))
        return {
            "lines": sum(counts.values()),
            "samples": [f"{n} x {text}" for text, n in counts.most_common(limit)],
            "logs": [str(p) for p in self.log_paths],
        }


_FRAME = re.compile(r'^\s+File "([^"]+)", line (\d+), in (\S+)')
_LEVEL = re.compile(r"\b(ERROR|CRITICAL)\b")
# Daphne's and Uvicorn's announcements of a traceback, which is counted itself.
_HEADS_TRACEBACK = re.compile(r"Exception inside application|Exception in ASGI application")
_STAMP = re.compile(r"^\d{4}-\d\d-\d\d[ T][\d:,.]+ ")


def _problems(lines: list[str]) -> Counter[str]:
    found: Counter[str] = Counter()
    frame = ""
    in_traceback = False
    for line in lines:
        if line.startswith("Traceback"):
            in_traceback, frame = True, ""
            continue
        if in_traceback:
            match = _FRAME.match(line)
            if match:
                path = match.group(1)
                if str(ROOT) in path and "/.venv/" not in path and "site-packages" not in path:
                    frame = f"{Path(path).relative_to(ROOT)}:{match.group(2)} in {match.group(3)}"
            elif line and not line[0].isspace() and not line.startswith(("During handling", "The above")):
                found[line.strip()[:200] + (f" (at {frame})" if frame else "")] += 1
                in_traceback = False
        elif _LEVEL.search(line) and not _HEADS_TRACEBACK.search(line):
            found[_STAMP.sub("", line).strip()[:200]] += 1
    return found


def _tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def _cpu_and_rss(pids: list[int], children: bool = True) -> tuple[float, int]:
    cpu = 0.0
    rss = 0
    for pid in pids:
        for proc in _tree(pid) if children else _tree(pid)[:1]:
            try:
                times = proc.cpu_times()
                cpu += times.user + times.system
                rss += proc.memory_info().rss
            except psutil.Error:
                pass
    return cpu, rss


def tree_rss(pids: list[int]) -> int:
    return _cpu_and_rss(pids)[1]


class Sampler:
    """CPU (100 % = one core) and peak RSS of named groups of process trees
    over a window, plus the whole machine's CPU."""

    def __init__(
        self, groups: dict[str, list[int]], flat: frozenset[str] = frozenset(), interval: float = 0.5
    ) -> None:
        self.groups = {name: pids for name, pids in groups.items() if pids}
        self.flat = flat  # groups measured without their children
        self.interval = interval
        self._peaks = dict.fromkeys(self.groups, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Sampler:
        self._start_cpu = {name: self._measure(name)[0] for name in self.groups}
        self._start_sys = psutil.cpu_times()
        self._start_wall = time.monotonic()
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            for name in self.groups:
                self._peaks[name] = max(self._peaks[name], self._measure(name)[1])

    def _measure(self, name: str) -> tuple[float, int]:
        return _cpu_and_rss(self.groups[name], children=name not in self.flat)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        wall = max(1e-9, time.monotonic() - self._start_wall)
        self.result: dict[str, Any] = {}
        for name in self.groups:
            cpu, rss = self._measure(name)
            self.result[name] = {
                "cpu_pct": round(100 * (cpu - self._start_cpu[name]) / wall, 1),
                "rss_mb_peak": round(max(self._peaks[name], rss) / 2**20, 1),
                "rss_mb_end": round(rss / 2**20, 1),
            }
        end_sys = psutil.cpu_times()
        busy = sum(getattr(end_sys, f) - getattr(self._start_sys, f) for f in ("user", "system", "nice"))
        irq = sum(getattr(end_sys, f, 0) - getattr(self._start_sys, f, 0) for f in ("irq", "softirq"))
        machine = round(100 * (busy + irq) / wall, 1)
        self.result["machine_cpu_pct"] = machine
        # CPU that neither the servers, Redis nor the bench used: other
        # processes on the machine, which make a step's figures suspect.
        ours = sum(v["cpu_pct"] for k, v in self.result.items() if k != "machine_cpu_pct")
        self.result["other_cpu_pct"] = round(max(0.0, machine - ours), 1)

"""Hold a server process to a share of the CPU with a cgroup of its own.

The two_servers scenario asks whether a second server process adds what the
first one has: whether anything they share (the database, Redis, the room
locks) holds them back. On a machine whose cores the client, Redis and the
database also need, two unlimited processes compete for the same CPU with
everything else, and their sum says more about the machine than about the
chat. Held to the same share each (``cpu.max`` in cgroup v2, CFS quota in
cgroup v1), one process and two are compared on equal terms.

Needs write access to the cgroup tree (root, or a delegated subtree);
``unavailable()`` says why when there is none, and the scenario then runs
without limits and says so.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PERIOD_US = 100_000


def _hierarchy() -> tuple[str, Path] | None:
    """("v2", root) or ("v1", the cpu controller's root) where one can make groups."""
    controllers = ROOT / "cgroup.controllers"
    if controllers.exists() and "cpu" in controllers.read_text().split():
        return "v2", ROOT
    if (ROOT / "cpu" / "cpu.cfs_quota_us").exists():
        return "v1", ROOT / "cpu"
    return None


def unavailable() -> str | None:
    """Why processes cannot be limited here, or None when they can."""
    found = _hierarchy()
    if found is None:
        return "no cgroup cpu controller at /sys/fs/cgroup"
    version, root = found
    if version == "v2" and "cpu" not in (root / "cgroup.subtree_control").read_text().split():
        return "cgroup v2 without the cpu controller enabled for child groups"
    if not os.access(root, os.W_OK):
        return f"no write access to {root}"
    return None


class CpuCage:
    """One cgroup holding one process (and its children) to ``cpus`` cores."""

    def __init__(self, cpus: float) -> None:
        found = _hierarchy()
        if found is None:
            raise RuntimeError("no cgroup cpu controller")
        self.version, root = found
        self.path = root / f"chat-bench-{uuid.uuid4().hex[:8]}"
        self.path.mkdir()
        quota = max(1000, round(cpus * PERIOD_US))
        if self.version == "v2":
            (self.path / "cpu.max").write_text(f"{quota} {PERIOD_US}")
        else:
            (self.path / "cpu.cfs_period_us").write_text(str(PERIOD_US))
            (self.path / "cpu.cfs_quota_us").write_text(str(quota))

    def add(self, pid: int) -> None:
        (self.path / "cgroup.procs").write_text(str(pid))

    def remove(self) -> None:
        """Remove the group (once its processes have ended)."""
        with contextlib.suppress(OSError):
            self.path.rmdir()

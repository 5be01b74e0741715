"""The scenarios, and the targets they run against.

A ``Target`` knows how to serve itself (command and environment) and how its
clients reach it (URL, headers). A ``Runner`` holds what a run shares (Redis,
the chat's provisioned users, the worker pool) and runs one scenario against
one target at a time, each on fresh server processes with a fresh channel
layer prefix, so that no scenario inherits another's groups or rate limits.

Sockets are dealt to workers and servers round-robin (socket i goes to worker
i % W and server i % S), so every worker and every server carries members of
every room.
"""

from __future__ import annotations

import os
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import config, cpulimit
from bench.config import Plan
from bench.pool import WorkerPool
from bench.servers import Infra, Sampler, ServerGroup, base_env, tree_rss
from bench.stats import latency_summary, merge_counts


@dataclass(frozen=True)
class Socket:
    room: int  # index of the room within the scenario
    slug: str
    user: int  # index of the chat user; the baseline has no users


class Layout:
    """Which chat users each scenario uses. Scenarios use disjoint users, so
    that a socket hears only its own scenario's room:
    the 20 x 25 grid, then the big room, then the idle room (also used by the
    burst), then the one user of the pages scenario."""

    def __init__(self, idle_max: int) -> None:
        self.grid_users = config.GRID_ROOMS * config.GRID_MEMBERS
        self.big_first = self.grid_users
        self.idle_first = self.big_first + config.BIG_ROOM_MEMBERS
        self.idle_max = idle_max
        self.pages_user = self.idle_first + idle_max
        self.users = self.pages_user + 1

    def grid(self) -> list[Socket]:
        return [
            Socket(room, f"grid-{room:02d}", room * config.GRID_MEMBERS + member)
            for room in range(config.GRID_ROOMS)
            for member in range(config.GRID_MEMBERS)
        ]

    def big(self) -> list[Socket]:
        return [Socket(0, "big", self.big_first + n) for n in range(config.BIG_ROOM_MEMBERS)]

    def idle(self, count: int) -> list[Socket]:
        return [Socket(0, "idle", self.idle_first + n) for n in range(count)]

    def provision_spec(self) -> dict[str, Any]:
        rooms: dict[str, list[int]] = {}
        for socket in self.grid() + self.big() + self.idle(self.idle_max):
            rooms.setdefault(socket.slug, []).append(socket.user)
        rooms["pages"] = [self.pages_user]
        return {
            "users": self.users,
            "rooms": [
                {"slug": slug, "name": slug.replace("-", " ").title(), "members": m}
                for slug, m in rooms.items()
            ],
            "messages": {"pages": config.PAGES_MESSAGES},
        }


class Target:
    name = ""
    kind = ""

    def __init__(self, command: str, infra: Infra) -> None:
        self.command = command
        self.infra = infra

    def env(self, prefix: str) -> dict[str, str]:
        raise NotImplementedError

    def spec(self, idx: int, socket: Socket, port: int) -> dict[str, Any]:
        raise NotImplementedError


class ChatTarget(Target):
    name = kind = "chat"

    def __init__(self, command: str, infra: Infra, sessions: list[str]) -> None:
        super().__init__(command, infra)
        self.sessions = sessions  # sessionid cookie value of each user

    def env(self, prefix: str) -> dict[str, str]:
        assert self.infra.database is not None
        return base_env(
            {
                **self.infra.database.env,
                "DJANGO_SETTINGS_MODULE": "chatsite.settings",
                "DJANGO_DEBUG": "0",
                "DJANGO_SECRET_KEY": config.BENCH_SECRET_KEY,
                "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
                "REDIS_URL": self.infra.redis_url,
                "CHAT_REDIS_PREFIX": prefix,
            }
        )

    def spec(self, idx: int, socket: Socket, port: int) -> dict[str, Any]:
        return {
            "idx": idx,
            "room": socket.room,
            "slug": socket.slug,
            "url": f"ws://127.0.0.1:{port}/ws/chat/",
            "headers": {
                "Cookie": f"sessionid={self.sessions[socket.user]}",
                "Origin": f"http://127.0.0.1:{port}",
            },
            "source": config.SOURCE_ADDRESSES[idx % len(config.SOURCE_ADDRESSES)],
        }


class BaselineTarget(Target):
    name = kind = "baseline"

    def env(self, prefix: str) -> dict[str, str]:
        return base_env(
            {
                "DJANGO_SETTINGS_MODULE": "bench.baseline.settings",
                "BENCH_REDIS_URL": self.infra.redis_url,
                "BENCH_REDIS_PREFIX": prefix,
            }
        )

    def spec(self, idx: int, socket: Socket, port: int) -> dict[str, Any]:
        return {
            "idx": idx,
            "room": socket.room,
            "slug": socket.slug,
            "url": f"ws://127.0.0.1:{port}/ws/chat/{socket.slug}/",
            "headers": {"Origin": f"http://127.0.0.1:{port}"},
            "source": config.SOURCE_ADDRESSES[idx % len(config.SOURCE_ADDRESSES)],
        }


# The coordinator is measured alone: its children are the servers and workers.
COORDINATOR = frozenset({"coordinator"})


def _pct(part: float, whole: float) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


class Runner:
    def __init__(
        self,
        plan: Plan,
        infra: Infra,
        pool: WorkerPool,
        layout: Layout,
        log_dir: Path,
        pages_session: str = "",
        say: Any = print,
    ) -> None:
        self.plan = plan
        self.infra = infra
        self.pool = pool
        self.layout = layout
        self.log_dir = log_dir
        self.pages_session = pages_session
        self.say = say
        self.step_id = 0
        self.saturation: dict[str, dict[str, Any]] = {}  # target -> result, for two_servers
        self.group: ServerGroup | None = None
        self.target: Target | None = None
        self.log_problems: list[dict[str, Any]] = []  # of every server group since the last reset

    # Servers and sockets -----------------------------------------------------

    @contextmanager
    def serve(
        self, target: Target, count: int, label: str, cpus: float | None = None
    ) -> Iterator[ServerGroup]:
        """Fresh server processes with a channel-layer prefix of their own; on
        the way out, clients are closed before the servers stop."""
        prefix = f"bench-{label}-{uuid.uuid4().hex[:6]}"
        group = ServerGroup(
            target.command, target.env(prefix), count, self.log_dir, f"{label}-{target.name}", cpus=cpus
        )
        try:
            group.start()
        except BaseException:
            self.log_problems.append(group.log_problems())  # why it would not start
            raise
        self.group, self.target = group, target
        try:
            yield group
        finally:
            try:
                self.pool.call("close", wait=120)
            finally:
                group.stop()
                self.log_problems.append(group.log_problems())
                self.group = self.target = None

    def groups(self) -> dict[str, list[int]]:
        assert self.group is not None
        redis = [self.infra.redis_pid] if self.infra.redis_pid else []
        return {
            "server": self.group.pids,
            "redis": redis,
            "clients": self.pool.pids,
            "coordinator": [os.getpid()],
        }

    def connect(
        self,
        sockets: list[Socket],
        *,
        concurrency: int | None = None,
        at_once: bool = False,
        timeout: float = 0,
    ) -> dict[str, Any]:
        """Open ``sockets``: a bounded number at a time, or all at one moment."""
        assert self.group is not None and self.target is not None
        ports = self.group.ports
        specs = [self.target.spec(i, s, ports[i % len(ports)]) for i, s in enumerate(sockets)]
        workers = len(self.pool)
        start_at = time.monotonic_ns() + 1_000_000_000 if at_once else 0
        answers = self.pool.call(
            "connect",
            per_worker=[{"clients": specs[w::workers]} for w in range(workers)],
            kind=self.target.kind,
            concurrency=0 if at_once else (concurrency or self.plan.connect_concurrency),
            start_at_ns=start_at,
            timeout=timeout or self.plan.connect_timeout,
        )
        outcomes = merge_counts(a["outcomes"] for a in answers)
        first = min(a["first_ns"] for a in answers)
        last = max(a["last_ready_ns"] for a in answers)
        connected = outcomes.get("ok", 0)
        return {
            "sockets": len(sockets),
            "connected": connected,
            "outcomes": outcomes,
            "seconds_to_last": round((last - first) / 1e9, 2) if last else None,
            "all_connected": connected == len(sockets),
            "connect_latency": latency_summary((a["connect_ms"] for a in answers), "d", 1.0),
        }

    # Steps: send, drain, measure ---------------------------------------------

    def _open_by_room(self, answers: list[dict[str, Any]]) -> dict[int, int]:
        return merge_counts(a["open_by_room"] for a in answers)

    def _drain(self, open_by_room: dict[int, int], max_seconds: float, quiet: float | None = None) -> float:
        """Wait until every expected delivery has arrived, nothing more has
        arrived for ``quiet`` seconds, or ``max_seconds``; what is missing
        then is lost."""
        quiet = self.plan.drain_quiet_seconds if quiet is None else quiet
        started = time.monotonic()
        last_received, last_change = -1, started
        while True:
            answers = self.pool.call("progress")
            received = sum(a["received"] for a in answers)
            accepted = merge_counts(a["accepted_by_room"] for a in answers)
            expected = sum(n * open_by_room.get(room, 0) for room, n in accepted.items())
            now = time.monotonic()
            if received >= expected:
                break
            if received != last_received:
                last_received, last_change = received, now
            elif received and now - last_change >= quiet:
                # Quiet once deliveries have begun; before the first one, a big
                # fan-out may take seconds, so only max_seconds applies.
                break
            if now - started >= max_seconds:
                break
            time.sleep(0.05)
        return round(time.monotonic() - started, 2)

    def wait_for_quiet(self, max_seconds: float = 120.0) -> float:
        """Wait until processes other than ours use less than half the
        disturbance limit over a sampling window: on a shared machine, someone
        else's test run would otherwise land in our figures."""
        started = time.monotonic()
        pids = (
            self.groups()
            if self.group is not None
            else {"clients": self.pool.pids, "coordinator": [os.getpid()]}
        )
        while time.monotonic() - started < max_seconds:
            window = self.plan.quiet_window_seconds
            with Sampler(pids, flat=COORDINATOR, interval=window) as sampler:
                time.sleep(window)
            if sampler.result["other_cpu_pct"] < config.OTHER_CPU_LIMIT / 2:
                break
        waited = round(time.monotonic() - started, 1)
        if waited > 2:
            self.say(f"    waited {waited} s for other processes to leave the CPU")
        return waited

    def settle(self, max_seconds: float = 60.0) -> float:
        """Wait until no frame has arrived for ``quiet`` seconds, so that a step
        does not inherit the backlog of the one before."""
        quiet = self.plan.settle_quiet_seconds
        started = time.monotonic()
        last, last_change = -1, started
        while time.monotonic() - started < max_seconds:
            frames = sum(a["frames"] for a in self.pool.call("status"))
            now = time.monotonic()
            if frames != last:
                last, last_change = frames, now
            elif now - last_change >= quiet:
                break
            time.sleep(0.1)
        return round(time.monotonic() - started, 2)

    def warm_up(self, members: int) -> None:
        """A short, unmeasured step at a low rate: first-use costs of every
        socket and of the server (the first send, database connections) land here."""
        self.step(min(500.0, self.plan.fixed_rate), members, self.plan.warm_up_seconds)

    def step(self, deliveries_per_s: float, members: int, seconds: float) -> dict[str, Any]:
        """Offer ``deliveries_per_s`` (messages/s x members) for ``seconds``."""
        settled = self.settle()
        self.step_id += 1
        begin = self.pool.call("step_begin", step=self.step_id)
        open_by_room = self._open_by_room(begin)
        per_worker = deliveries_per_s / members / len(self.pool)
        start_at = time.monotonic_ns() + 200_000_000
        with Sampler(self.groups(), flat=COORDINATOR) as sampler:
            sends = self.pool.call(
                "send", step=self.step_id, rate=per_worker, duration=seconds, start_at_ns=start_at
            )
        drain = self._drain(open_by_room, self.plan.drain_max_seconds)
        end = self.pool.call("step_end")
        figures = self._figures(open_by_room, end, sampler.result, drain)
        sent = sum(s["sent"] for s in sends)
        scheduled = per_worker * len(self.pool) * seconds
        figures.update(
            {
                "offered_deliveries_per_s": round(deliveries_per_s),
                "messages_per_s": round(deliveries_per_s / members, 2),
                "seconds": seconds,
                "sent_share": round(sent / scheduled, 3) if scheduled else None,
                "send_timer_max_lag_ms": round(max(s["max_lag_ms"] for s in sends), 1),
                "delivered_per_s": round(figures["received"] / seconds, 1),
                "settle_seconds_before": settled,
            }
        )
        return figures

    def broadcast(self, sender_idxs: list[int], max_seconds: float) -> dict[str, Any]:
        """One message from each of these sockets; wait for every delivery."""
        self.step_id += 1
        begin = self.pool.call("step_begin", step=self.step_id)
        open_by_room = self._open_by_room(begin)
        with Sampler(self.groups(), flat=COORDINATOR) as sampler:
            self.pool.call("send_one", step=self.step_id, idxs=sender_idxs)
            # No quiet rule: a big fan-out can deliver one socket early and
            # the rest in a burst seconds later.
            drain = self._drain(open_by_room, max_seconds, quiet=max_seconds)
        end = self.pool.call("step_end")
        return self._figures(open_by_room, end, sampler.result, drain)

    def _figures(
        self, open_by_room: dict[int, int], end: list[dict[str, Any]], usage: dict[str, Any], drain: float
    ) -> dict[str, Any]:
        accepted = merge_counts(a["accepted_by_room"] for a in end)
        expected = sum(n * open_by_room.get(room, 0) for room, n in accepted.items())
        received = sum(a["received"] for a in end)
        errors = merge_counts(a["errors"] for a in end)
        client_cpu = [_pct(a["cpu_seconds"], a["wall_seconds"]) for a in end]
        return {
            "latency": latency_summary(a["latencies_us"] for a in end),
            "sent": sum(a["sent"] for a in end),
            "accepted": sum(accepted.values()),
            "expected": expected,
            "received": received,
            "lost": max(0, expected - received),
            "duplicated": sum(a["duplicates"] for a in end),
            "out_of_order": sum(a["out_of_order"] for a in end),
            "room_seq_reorders": sum(a["room_seq_reorders"] for a in end),
            "late_from_earlier_step": sum(a["late"] for a in end),
            "acks": sum(a["acks"] for a in end),
            "errors": errors,
            "rate_limited": errors.get("rate_limited", 0),
            "other_errors": sum(n for code, n in errors.items() if code != "rate_limited"),
            "unexpected_closes": merge_counts(a["unexpected_closes"] for a in end),
            "sockets_open": sum(open_by_room.values()),
            "drain_seconds": drain,
            "client_cpu_pct_per_worker": client_cpu,
            "client_cpu_pct_max": max(client_cpu, default=0.0),
            "usage": usage,
        }

    # Scenarios ---------------------------------------------------------------

    def run(self, scenario: str, target: Target) -> dict[str, Any]:
        waited = self.wait_for_quiet()
        figures = getattr(self, f"scenario_{scenario}")(target)
        figures["waited_for_quiet_seconds"] = waited
        return figures

    def scenario_fixed(self, target: Target) -> dict[str, Any]:
        with self.serve(target, 1, "fixed"):
            connect = self.connect(self.layout.grid())
            self.warm_up(config.GRID_MEMBERS)
            step = self.step(self.plan.fixed_rate, config.GRID_MEMBERS, self.plan.fixed_seconds)
        return {"connect": connect, **step}

    def scenario_big_room(self, target: Target) -> dict[str, Any]:
        with self.serve(target, 1, "big_room"):
            connect = self.connect(self.layout.big())
            self.warm_up(config.BIG_ROOM_MEMBERS)
            step = self.step(self.plan.big_room_rate, config.BIG_ROOM_MEMBERS, self.plan.big_room_seconds)
        return {"connect": connect, **step}

    def scenario_saturation(self, target: Target) -> dict[str, Any]:
        result = self._saturation(target, 1, "saturation")
        self.saturation[target.name] = result
        return result

    def scenario_two_servers(self, target: Target) -> dict[str, Any]:
        """The saturation search with two processes, against one. With a CPU limit
        (plan.scale_cpus, where cgroups allow) both are measured here, each process
        held to the same share; without one, the saturation scenario's figure is
        the single process's when it ran."""
        cpus: float | None = self.plan.scale_cpus or None
        why_unlimited = cpulimit.unavailable() if cpus else "no limit asked"
        if why_unlimited:
            cpus = None
        single = None if cpus else self.saturation.get(target.name)
        measured_here = single is None
        if single is None:
            single = self._saturation(target, 1, "two_servers", cpus=cpus)
        double = self._saturation(target, 2, "two_servers", cpus=cpus)
        one, two = single["saturation_deliveries_per_s"], double["saturation_deliveries_per_s"]
        return {
            "cpus_per_process": cpus,
            "unlimited_because": why_unlimited,
            "one_process_deliveries_per_s": one,
            "one_process_measured_by": "two_servers" if measured_here else "saturation",
            "saturation_deliveries_per_s": two,
            "ratio_to_one_process": round(two / one, 2) if one else None,
            "one_process": single,
            "two_processes": double,
        }

    def _saturation(
        self, target: Target, servers: int, label: str, cpus: float | None = None
    ) -> dict[str, Any]:
        """Raise the rate by a factor per step until a step fails, then bisect
        between the last pass and the first failure."""
        plan = self.plan
        steps: list[dict[str, Any]] = []
        best: dict[str, Any] | None = None

        def attempt(rate: float, retry: bool = True) -> bool:
            nonlocal best
            figures = self.step(rate, config.GRID_MEMBERS, plan.sat_step_seconds)
            verdict = self._verdict(figures)
            other = figures["usage"].get("other_cpu_pct", 0.0)
            steps.append({"rate": round(rate), "pass": not verdict, "why": verdict, **figures})
            if verdict and retry and other > config.OTHER_CPU_LIMIT:
                note = f"{round(rate)} failed while other processes used {other} % CPU; once more"
                self.say(f"    {label} {target.name}: {note}")
                steps[-1]["disturbed"] = True
                self.wait_for_quiet()
                return attempt(rate, retry=False)
            self.say(f"    {label} {target.name}: {round(rate)} deliveries/s -> {verdict or 'pass'}")
            if not verdict:
                best = figures
            return not verdict

        with self.serve(target, servers, label, cpus=cpus):
            connect = self.connect(self.layout.grid())
            self.warm_up(config.GRID_MEMBERS)
            passed, failed = 0.0, None
            rate = plan.sat_start
            for _ in range(plan.sat_max_steps):
                if attempt(rate):
                    passed = rate
                    rate *= plan.sat_factor
                else:
                    failed = rate
                    break
            for _ in range(plan.sat_bisections if failed else 0):
                middle = round((passed + failed) / 2 / 25) * 25
                if middle in (passed, failed):
                    break
                if attempt(middle):
                    passed = middle
                else:
                    failed = middle
        return {
            "servers": servers,
            "saturation_deliveries_per_s": round(passed),
            "first_failing_rate": round(failed) if failed else None,
            # 0 above means even the first step failed and no bisection went lower.
            "below_start": passed == 0,
            "criteria": f"p99 <= {config.P99_LIMIT_MS:g} ms, no loss, no duplicate, "
            f"client sent >= {config.MIN_SEND_SHARE:.0%} of the schedule",
            "connect": connect,
            "steps": steps,
            "at_saturation": best,
        }

    @staticmethod
    def _verdict(figures: dict[str, Any]) -> str:
        """Why a saturation step failed, or "" if it passed."""
        reasons = []
        p99 = figures["latency"]["p99_ms"]
        if p99 is None or p99 > config.P99_LIMIT_MS:
            reasons.append(f"p99 {p99} ms")
        if figures["lost"]:
            reasons.append(f"{figures['lost']} lost")
        if figures["duplicated"]:
            reasons.append(f"{figures['duplicated']} duplicated")
        if (figures["sent_share"] or 0) < config.MIN_SEND_SHARE:
            reasons.append(f"client sent only {figures['sent_share']:.0%} of the schedule")
        return ", ".join(reasons)

    def scenario_idle(self, target: Target) -> dict[str, Any]:
        sizes = {}
        for count in self.plan.idle_sizes:
            self.say(f"    idle {target.name}: {count} sockets")
            sizes[str(count)] = self._idle(target, count)
        return {"sizes": sizes}

    def _idle(self, target: Target, count: int) -> dict[str, Any]:
        sockets = self.layout.idle(count)
        with self.serve(target, 1, f"idle{count}") as group:
            self._warm_up(sockets[:1])
            time.sleep(1.0)
            rss_before = tree_rss(group.pids)
            connect = self.connect(sockets)
            time.sleep(2.0)  # let the server settle before reading its memory
            rss_after = tree_rss(group.pids)
            broadcast = self.broadcast([0], max_seconds=max(30.0, count / 200))
        return {
            "sockets": count,
            "connect": connect,
            "seconds_to_connect_all": connect["seconds_to_last"],
            "server_rss_mb_before": round(rss_before / 2**20, 1),
            "server_rss_mb_after": round(rss_after / 2**20, 1),
            "server_rss_kb_per_socket": round(
                (rss_after - rss_before) / 1024 / max(1, connect["connected"]), 1
            ),
            "broadcast": broadcast,
        }

    def _warm_up(self, sockets: list[Socket]) -> None:
        """One socket in and out, so that first-use costs (imports, the first
        database connection) land before the measurement."""
        self.connect(sockets)
        self.pool.call("close")

    def scenario_burst(self, target: Target) -> dict[str, Any]:
        sockets = self.layout.idle(self.plan.burst_size)
        with self.serve(target, 1, "burst"):
            self._warm_up(sockets[:1])
            connect = self.connect(sockets, at_once=True, timeout=self.plan.burst_timeout)
            time.sleep(1.0)
            after = self.pool.call("status")
        outcomes = connect["outcomes"]
        return {
            "sockets": len(sockets),
            "connected": outcomes.get("ok", 0),
            "silent": outcomes.get("silent", 0),
            "failed": sum(n for k, n in outcomes.items() if k not in ("ok", "silent")),
            "outcomes": outcomes,
            "seconds_to_last_connected": connect["seconds_to_last"],
            "all_connected": connect["all_connected"],
            "connect_latency": connect["connect_latency"],
            "silent_means": f"upgraded, no hello within {self.plan.burst_timeout:g} s and not closed",
            "open_one_second_later": sum(a["open"] for a in after),
        }

    def scenario_idle_minute(self, target: Target) -> dict[str, Any]:
        sockets = self.layout.grid()
        with self.serve(target, 1, "idle_minute"):
            connect = self.connect(sockets)
            time.sleep(self.plan.idle_minute_seconds)
            status = self.pool.call("status")
            first_of_each_room = [r * config.GRID_MEMBERS for r in range(config.GRID_ROOMS)]
            broadcast = self.broadcast(first_of_each_room, max_seconds=self.plan.drain_max_seconds)
        still_open = sum(a["open"] for a in status)
        return {
            "idle_seconds": self.plan.idle_minute_seconds,
            "connect": connect,
            "still_open": still_open,
            "all_still_open": still_open == connect["connected"] == len(sockets),
            "closed_while_idle": merge_counts(a["unexpected_closes"] for a in status),
            "all_delivered": broadcast["lost"] == 0 and broadcast["expected"] == len(sockets),
            **broadcast,
        }

    def scenario_pages(self, target: Target) -> dict[str, Any]:
        plan = self.plan
        workers = len(self.pool)
        # Two worker processes share the connections, as two browsers' worth of tabs.
        split = [plan.pages_connections // 2, plan.pages_connections - plan.pages_connections // 2]
        per_worker = [{"connections": split[w] if w < 2 else 0} for w in range(workers)]
        results = {}
        with self.serve(target, 1, "pages") as group:
            port = group.ports[0]
            for name, path in (("room_page", "/r/pages/"), ("room_list", "/")):
                self._warm_pages(port, path)
                with Sampler(self.groups(), flat=COORDINATOR) as sampler:
                    answers = self.pool.call(
                        "http",
                        per_worker=per_worker,
                        port=port,
                        path=path,
                        cookie=self.pages_session,
                        duration=plan.pages_seconds,
                        start_at_ns=time.monotonic_ns() + 200_000_000,
                    )
                statuses = merge_counts(a["statuses"] for a in answers)
                latency = latency_summary(a["latencies_us"] for a in answers)
                busy = [a for a in answers if a["cpu_seconds"]]
                results[name] = {
                    "path": path,
                    "connections": plan.pages_connections,
                    "seconds": plan.pages_seconds,
                    "requests": latency["count"],
                    "requests_per_s": round(latency["count"] / plan.pages_seconds, 1),
                    "latency": latency,
                    "statuses": statuses,
                    "non_200": sum(n for code, n in statuses.items() if code != "200"),
                    "client_cpu_pct_max": max(
                        (_pct(a["cpu_seconds"], a["wall_seconds"]) for a in busy), default=0
                    ),
                    "usage": sampler.result,
                }
        return results

    def _warm_pages(self, port: int, path: str) -> None:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}{path}", headers={"Cookie": f"sessionid={self.pages_session}"}
        )
        for _ in range(5):
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()

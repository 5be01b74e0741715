"""Results: the machine, the JSON lines of a run, and the Markdown table.

Each run appends one JSON object per scenario x target to
``bench/results/<UTC timestamp>.jsonl`` as soon as it is measured, so an
interrupted run keeps what it finished. At the end, ``latest.md`` gets a table
of the chat's figures, the baseline's, and their ratio.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil

PACKAGES = (
    "Django",
    "channels",
    "channels-redis",
    "daphne",
    "uvicorn",
    "redis",
    "picows",
    "uvloop",
    "orjson",
)


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor()
    os_name = platform.platform()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = f"{line.split('=', 1)[1].strip(chr(34))} (Linux {platform.release()})"
    except OSError:
        pass
    versions = {}
    for name in PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[name] = metadata.version(name)
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "os": os_name,
        "packages": versions,
    }


class Results:
    def __init__(self, directory: Path, stamp: str, common: dict[str, Any]) -> None:
        self.directory = directory
        self.path = directory / f"{stamp}.jsonl"
        self.common = common
        self.records: list[dict[str, Any]] = []

    def add(self, record: dict[str, Any]) -> None:
        record = {**self.common, **record}
        self.records.append(record)
        with self.path.open("a") as out:
            out.write(json.dumps(record, default=str) + "\n")

    def write_markdown(self, wall_seconds: float) -> Path:
        path = self.directory / "latest.md"
        path.write_text(render_markdown(self.records, self.common, wall_seconds))
        return path


def _get(figures: dict[str, Any], *keys: str) -> Any:
    value: Any = figures
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _outcomes(figures: dict[str, Any]) -> str:
    outcomes = figures.get("outcomes") or {}
    failed = {k: v for k, v in outcomes.items() if k not in ("ok", "silent")}
    return ", ".join(f"{k}: {v}" for k, v in sorted(failed.items())) or "none"


def _closes(figures: dict[str, Any]) -> str:
    closes = figures.get("closed_while_idle") or {}
    return ", ".join(f"{k}: {v}" for k, v in sorted(closes.items())) or "none"


Row = tuple[str, Callable[[dict[str, Any]], Any]]
_AT_TWO = ("two_processes", "at_saturation")


def _saturation(figures: dict[str, Any]) -> Any:
    """The highest passing rate, or "< first rate" when even the first step failed."""
    if figures.get("below_start") and figures.get("steps"):
        return f"< {figures['steps'][0]['rate']:,}"
    return figures.get("saturation_deliveries_per_s")


def _step_rows(prefix: str = "") -> list[Row]:
    return [
        (f"{prefix}offered deliveries/s", lambda f: f.get("offered_deliveries_per_s")),
        (f"{prefix}delivered/s", lambda f: f.get("delivered_per_s")),
        (f"{prefix}latency p50 ms", lambda f: _get(f, "latency", "p50_ms")),
        (f"{prefix}latency p90 ms", lambda f: _get(f, "latency", "p90_ms")),
        (f"{prefix}latency p99 ms", lambda f: _get(f, "latency", "p99_ms")),
        (f"{prefix}latency max ms", lambda f: _get(f, "latency", "max_ms")),
        (f"{prefix}lost", lambda f: f.get("lost")),
        (f"{prefix}duplicated", lambda f: f.get("duplicated")),
        (f"{prefix}out of order (per sender)", lambda f: f.get("out_of_order")),
        (
            f"{prefix}rate_limited / other errors",
            lambda f: _pair(f.get("rate_limited"), f.get("other_errors")),
        ),
        (f"{prefix}server CPU %", lambda f: _get(f, "usage", "server", "cpu_pct")),
        (f"{prefix}redis CPU %", lambda f: _get(f, "usage", "redis", "cpu_pct")),
        (f"{prefix}busiest client worker CPU %", lambda f: f.get("client_cpu_pct_max")),
        (f"{prefix}other processes' CPU %", lambda f: _get(f, "usage", "other_cpu_pct")),
    ]


def _pair(a: Any, b: Any) -> str | None:
    return None if a is None and b is None else f"{a} / {b}"


def _idle_rows(size: str) -> list[Row]:
    def at(*keys: str) -> Callable[[dict[str, Any]], Any]:
        return lambda f: _get(f, "sizes", size, *keys)

    return [
        (f"{size} sockets: connected", at("connect", "connected")),
        (f"{size} sockets: seconds to connect all", at("seconds_to_connect_all")),
        (f"{size} sockets: server RSS KB per socket", at("server_rss_kb_per_socket")),
        (f"{size} sockets: broadcast p50 ms", at("broadcast", "latency", "p50_ms")),
        (f"{size} sockets: broadcast p99 ms", at("broadcast", "latency", "p99_ms")),
        (f"{size} sockets: broadcast max ms", at("broadcast", "latency", "max_ms")),
        (f"{size} sockets: broadcast lost", at("broadcast", "lost")),
    ]


def _rows(scenario: str, records: list[dict[str, Any]]) -> list[Row]:
    if scenario in ("fixed", "big_room"):
        return _step_rows()
    if scenario == "saturation":
        return [
            ("saturation deliveries/s", _saturation),
            ("first failing rate", lambda f: f.get("first_failing_rate")),
            *[
                (label, lambda f, get=get: get(f.get("at_saturation") or {}))
                for label, get in _step_rows("at saturation: ")[2:]
            ],
        ]
    if scenario == "two_servers":
        return [
            ("cores per server process (cgroup limit)", lambda f: f.get("cpus_per_process") or "unlimited"),
            ("one process: saturation deliveries/s", lambda f: f.get("one_process_deliveries_per_s")),
            ("two processes: saturation deliveries/s", lambda f: _saturation(f.get("two_processes") or {})),
            ("two / one", lambda f: f.get("ratio_to_one_process")),
            ("two processes at saturation: p99 ms", lambda f: _get(f, *_AT_TWO, "latency", "p99_ms")),
            (
                "two processes at saturation: server CPU % (both)",
                lambda f: _get(f, *_AT_TWO, "usage", "server", "cpu_pct"),
            ),
            (
                "two processes at saturation: room seq reorders",
                lambda f: _get(f, *_AT_TWO, "room_seq_reorders"),
            ),
        ]
    if scenario == "idle":
        sizes = sorted({int(s) for r in records for s in (_get(r, "figures", "sizes") or {})})
        return [row for size in sizes for row in _idle_rows(str(size))]
    if scenario == "burst":
        return [
            ("sockets opened at once", lambda f: f.get("sockets")),
            ("connected (hello / handshake)", lambda f: f.get("connected")),
            ("failed", lambda f: f.get("failed")),
            ("failures by kind", _outcomes),
            ("silent (upgraded, no hello, not closed)", lambda f: f.get("silent")),
            ("seconds to last connected", lambda f: f.get("seconds_to_last_connected")),
            ("connect p50 ms", lambda f: _get(f, "connect_latency", "p50_ms")),
            ("connect p99 ms", lambda f: _get(f, "connect_latency", "p99_ms")),
        ]
    if scenario == "idle_minute":
        return [
            ("idle seconds", lambda f: f.get("idle_seconds")),
            (
                "still open / connected",
                lambda f: f"{f.get('still_open')} / {_get(f, 'connect', 'connected')}",
            ),
            ("closed while idle (code: count)", _closes),
            ("deliveries expected", lambda f: f.get("expected")),
            ("lost", lambda f: f.get("lost")),
            ("latency p99 ms", lambda f: _get(f, "latency", "p99_ms")),
        ]
    if scenario == "pages":
        rows: list[Row] = []
        for page in ("room_page", "room_list"):
            rows += [
                (f"{page}: requests/s", lambda f, p=page: _get(f, p, "requests_per_s")),
                (f"{page}: p50 ms", lambda f, p=page: _get(f, p, "latency", "p50_ms")),
                (f"{page}: p99 ms", lambda f, p=page: _get(f, p, "latency", "p99_ms")),
                (f"{page}: non-200", lambda f, p=page: _get(f, p, "non_200")),
                (f"{page}: server CPU %", lambda f, p=page: _get(f, p, "usage", "server", "cpu_pct")),
            ]
        return rows
    return []


def _steps(scenario: str, figures: dict[str, Any]) -> str:
    """The saturation search, step by step: 1,000 pass (p99 120 ms), ..."""
    if scenario == "two_servers":
        figures = figures.get("two_processes") or {}
    elif scenario != "saturation":
        return ""
    return ", ".join(
        f"{step['rate']:,} {'pass' if step['pass'] else 'FAIL'} ({_cell(step['latency']['p99_ms'])} ms"
        + (f", {step['lost']:,} lost" if step.get("lost") else "")
        + (", disturbed" if step.get("disturbed") else "")
        + ")"
        for step in figures.get("steps", [])
    )


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value):
            return "–"
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


# Counts of failures: a ratio of two of them says nothing.
_NO_RATIO = ("lost", "duplicated", "out of order", "reorders", "errors", "non-200", "silent", "failed")


def _ratio(label: str, chat: Any, baseline: Any) -> str:
    if isinstance(chat, bool) or isinstance(baseline, bool) or any(word in label for word in _NO_RATIO):
        return ""
    if isinstance(chat, int | float) and isinstance(baseline, int | float) and baseline:
        return f"{chat / baseline:.2f}x"
    return ""


def render_markdown(records: list[dict[str, Any]], common: dict[str, Any], wall_seconds: float) -> str:
    m = common["machine"]
    lines = [
        "# Bench results",
        "",
        f"Run {common['run']} ({'quick' if common['quick'] else 'full'} mode, {wall_seconds / 60:.1f} min). "
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB RAM, Python {m['python']}, {m['os']}.",
        "",
        f"- chat: `{common['server_cmds'].get('chat', '')}` on {common['infra']['database']}, "
        f"Redis: {common['infra']['redis']}",
        f"- baseline: `{common['server_cmds'].get('baseline', '')}` (bench/baseline, the Channels tutorial)",
        f"- client: {common['workers']} worker processes (uvloop + picows)",
        "",
        "Ratios are chat / baseline: above 1 means more of it in the chat (good for rates, bad for latency).",
        "",
    ]
    scenarios = list(dict.fromkeys(r["scenario"] for r in records))
    for scenario in scenarios:
        by_target = {r["target"]: r for r in records if r["scenario"] == scenario}
        lines += [f"## {scenario}", ""]
        for target, record in by_target.items():
            if "error" in record:
                lines += [f"{target} failed: `{record['error']}`", ""]
        lines += ["| figure | chat | baseline | chat/baseline |", "| --- | ---: | ---: | ---: |"]
        for label, get in _rows(scenario, list(by_target.values())):
            values = []
            for target in ("chat", "baseline"):
                record = by_target.get(target)
                values.append(get(record["figures"]) if record and "figures" in record else None)
            lines.append(f"| {label} | {_cell(values[0])} | {_cell(values[1])} | {_ratio(label, *values)} |")
        for target, record in by_target.items():
            steps = _steps(scenario, record.get("figures") or {})
            if steps:
                lines += ["", f"{target} steps (deliveries/s, p99): {steps}"]
        for target, record in by_target.items():
            problems = record.get("server_log") or {}
            if problems.get("lines"):
                samples = "; ".join(f"`{sample}`" for sample in problems["samples"][:3])
                lines += ["", f"{target} server log: {problems['lines']} problems: {samples}"]
        lines.append("")
    return "\n".join(lines)

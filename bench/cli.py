"""Command line: pick scenarios and targets, set up, run, report, clean up.

    python -m bench [--quick] [--scenarios a,b] [--targets chat,baseline] ...

See bench/README.md for what each scenario measures.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from bench import config, report
from bench.pool import WorkerPool
from bench.scenarios import BaselineTarget, ChatTarget, Layout, Runner, Target
from bench.servers import Infra
from tests.live import ROOT

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def _names(value: str, allowed: tuple[str, ...]) -> list[str]:
    names = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown: {', '.join(unknown)} (choose from {', '.join(allowed)})")
    return names


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Load benchmark of the chat against a Channels-tutorial baseline."
    )
    parser.add_argument(
        "--scenarios",
        type=lambda v: _names(v, config.SCENARIOS),
        default=list(config.SCENARIOS),
        help=f"comma-separated, from: {', '.join(config.SCENARIOS)} (default: all)",
    )
    parser.add_argument(
        "--targets",
        type=lambda v: _names(v, config.TARGETS),
        default=list(config.TARGETS),
        help="comma-separated: chat, baseline (default: both)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a short version of every scenario, to smoke-test"
    )
    parser.add_argument(
        "--duration",
        type=float,
        help="seconds of the measured phase of fixed and big_room, and of each saturation step",
    )
    parser.add_argument("--rate", type=float, help="deliveries/s of the fixed scenario (default 1000)")
    parser.add_argument(
        "--idle-sizes", help="comma-separated socket counts of the idle scenario (default 1000,5000,10000)"
    )
    parser.add_argument("--idle-seconds", type=float, help="how long idle_minute stays idle (default 60)")
    parser.add_argument(
        "--scale-cpus",
        type=float,
        help="cores each server process of two_servers is held to, one process and two alike"
        " (default 0.5; 0 for no limit)",
    )
    parser.add_argument(
        "--server-cmd",
        default=config.DEFAULT_CHAT_SERVER_CMD,
        help=f"how to serve the chat; {{port}} is replaced (default: {config.DEFAULT_CHAT_SERVER_CMD!r})",
    )
    parser.add_argument(
        "--baseline-cmd",
        default=config.DEFAULT_BASELINE_SERVER_CMD,
        help="how to serve the baseline; {port} is replaced",
    )
    parser.add_argument("--workers", type=int, default=2, help="client worker processes (default 2)")
    parser.add_argument(
        "--results-dir", type=Path, default=RESULTS_DIR, help="where results go (default bench/results)"
    )
    return parser.parse_args(argv)


def make_plan(args: argparse.Namespace) -> config.Plan:
    plan = config.QUICK if args.quick else config.FULL
    changes: dict[str, Any] = {}
    if args.duration:
        changes.update(
            fixed_seconds=args.duration, big_room_seconds=args.duration, sat_step_seconds=args.duration
        )
    if args.rate:
        changes["fixed_rate"] = args.rate
    if args.idle_sizes:
        changes["idle_sizes"] = tuple(int(n) for n in args.idle_sizes.split(","))
    if args.idle_seconds is not None:
        changes["idle_minute_seconds"] = args.idle_seconds
    if args.scale_cpus is not None:
        changes["scale_cpus"] = args.scale_cpus
    return dataclasses.replace(plan, **changes)


def provision(infra: Infra, layout: Layout, work: Path) -> dict[str, Any]:
    """Users, rooms and sessions for the chat, written by a subprocess that
    has the chat server's environment."""
    spec_path, out_path = work / "provision-spec.json", work / "provision-out.json"
    spec_path.write_text(json.dumps(layout.provision_spec()))
    env = ChatTarget(config.DEFAULT_CHAT_SERVER_CMD, infra, []).env("bench-provision")
    subprocess.run(
        [sys.executable, "-m", "tests.provisioning", str(spec_path), str(out_path)],
        cwd=ROOT,
        env=env,
        check=True,
    )
    return json.loads(out_path.read_text())


def _sigterm(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt  # stop the same orderly way as Ctrl-C


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    plan = make_plan(args)
    signal.signal(signal.SIGTERM, _sigterm)
    started = time.monotonic()
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    args.results_dir.mkdir(parents=True, exist_ok=True)
    log_dir = args.results_dir / f"logs-{stamp}"
    log_dir.mkdir()
    scenarios = args.scenarios
    targets = args.targets
    want_chat = "chat" in targets
    idle_max = max([*plan.idle_sizes, plan.burst_size]) if {"idle", "burst"} & set(scenarios) else 1
    layout = Layout(idle_max)

    def say(text: str) -> None:
        print(f"[{time.monotonic() - started:6.1f}s] {text}", flush=True)

    infra = Infra(need_database=want_chat)
    pool: WorkerPool | None = None
    results: report.Results | None = None
    try:
        say("starting Redis" + (" and a fresh chat database" if want_chat else ""))
        infra.start()
        pool = WorkerPool(args.workers)
        all_targets: dict[str, Target] = {}
        pages_session = ""
        if want_chat:
            with tempfile.TemporaryDirectory(prefix="chat-bench-") as work:
                provisioned = provision(infra, layout, Path(work))
            say(f"provisioned {len(provisioned['users'])} users in {provisioned['seconds']} s")
            sessions = [user["session_key"] for user in provisioned["users"]]
            all_targets["chat"] = ChatTarget(args.server_cmd, infra, sessions)
            pages_session = sessions[layout.pages_user]
        if "baseline" in targets:
            all_targets["baseline"] = BaselineTarget(args.baseline_cmd, infra)
        common = {
            "run": stamp,
            "quick": args.quick,
            "machine": report.machine(),
            "infra": infra.describe(),
            "workers": args.workers,
            "server_cmds": {name: t.command for name, t in all_targets.items()},
            "plan": dataclasses.asdict(plan),
        }
        results = report.Results(args.results_dir, stamp, common)
        runner = Runner(plan, infra, pool, layout, log_dir, pages_session=pages_session, say=say)
        for scenario in scenarios:
            for name in targets:
                if scenario in config.CHAT_ONLY and name != "chat":
                    continue
                target = all_targets[name]
                say(f"{scenario} / {name}")
                runner.log_problems = []
                t0 = time.monotonic()
                record: dict[str, Any] = {"scenario": scenario, "target": name, "server_cmd": target.command}
                try:
                    record["figures"] = runner.run(scenario, target)
                except KeyboardInterrupt:
                    raise
                except Exception as exc:
                    traceback.print_exc()
                    record["error"] = f"{type(exc).__name__}: {exc}"
                record["wall_seconds"] = round(time.monotonic() - t0, 1)
                record["server_log"] = _merge_problems(runner.log_problems)
                results.add(record)
                say(f"  {_headline(scenario, record)}")
    except KeyboardInterrupt:
        say("interrupted; stopping everything")
        return 130
    finally:
        if pool is not None:
            pool.close()
        infra.stop()
        if results is not None and results.records:
            markdown = results.write_markdown(time.monotonic() - started)
            say(f"results: {results.path} and {markdown}")
    say(f"done in {(time.monotonic() - started) / 60:.1f} min")
    return 0


def _merge_problems(problems: list[dict[str, Any]]) -> dict[str, Any]:
    samples: list[str] = []
    for p in problems:
        samples += [s for s in p["samples"] if s not in samples]
    return {
        "lines": sum(p["lines"] for p in problems),
        "samples": samples[:12],
        "logs": [log for p in problems for log in p["logs"]],
    }


def _rate(saturation: dict[str, Any]) -> str:
    if saturation.get("below_start"):
        return f"below {saturation['steps'][0]['rate']}"
    return str(saturation["saturation_deliveries_per_s"])


def _headline(scenario: str, record: dict[str, Any]) -> str:
    """One line of the most telling figures, for the console."""
    if "error" in record:
        return f"FAILED: {record['error']}"
    f = record["figures"]
    if scenario in ("fixed", "big_room"):
        lat = f["latency"]
        return (
            f"p50 {lat['p50_ms']} ms, p99 {lat['p99_ms']} ms, max {lat['max_ms']} ms, lost {f['lost']}, "
            f"dup {f['duplicated']}, rate_limited {f['rate_limited']}, server CPU "
            f"{f['usage'].get('server', {}).get('cpu_pct')} %, client CPU max {f['client_cpu_pct_max']} %"
        )
    if scenario == "saturation":
        return f"saturation {_rate(f)} deliveries/s"
    if scenario == "two_servers":
        ratio = f"{f['ratio_to_one_process']}x" if f["ratio_to_one_process"] else "no ratio"
        return (
            f"two processes {_rate(f['two_processes'])} vs one {f['one_process_deliveries_per_s']} "
            f"deliveries/s ({ratio})"
        )
    if scenario == "idle":
        return "; ".join(
            f"{n}: {s['seconds_to_connect_all']} s to connect, {s['server_rss_kb_per_socket']} KB/socket, "
            f"broadcast p99 {s['broadcast']['latency']['p99_ms']} ms, lost {s['broadcast']['lost']}"
            for n, s in f["sizes"].items()
        )
    if scenario == "burst":
        return (
            f"{f['connected']} connected, {f['failed']} failed ({f['outcomes']}), {f['silent']} silent, "
            f"last after {f['seconds_to_last_connected']} s"
        )
    if scenario == "idle_minute":
        return f"{f['still_open']} still open, {f['received']}/{f['expected']} delivered, lost {f['lost']}"
    if scenario == "pages":
        return "; ".join(
            f"{page}: {f[page]['requests_per_s']} req/s, p99 {f[page]['latency']['p99_ms']} ms, "
            f"non-200 {f[page]['non_200']}"
            for page in ("room_page", "room_list")
        )
    return ""

"""Unit tests of the browser client's pure modules (chat/static/chat/), run in
headless Chromium against the very files the live server serves.

The suites live in tests/js/ (``*.test.js``, with the harness in harness.js).
Playwright serves that directory under ``/__js_tests__/`` on the live server's
origin (``page.route``, so the server needs no test view), and the suites import
the real modules from ``/static/chat/``. Each suite runs in a page of its own
(fresh sessionStorage and module state); each JS test is a pytest case of its
own. The cases are found by reading the ``test("...")`` calls, so a JS test's
name must be a string literal; ``test_every_js_test_ran`` checks the browser
ran exactly those.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

pytestmark = pytest.mark.browser

from tests.browser.conftest import CHROMIUM  # noqa: E402

if not CHROMIUM.exists():
    pytest.skip("Chromium is not installed at /usr/bin/chromium", allow_module_level=True)

from playwright.sync_api import Browser, ConsoleMessage, Response, Route  # noqa: E402

JS_DIR = (Path(__file__).resolve().parent.parent / "js").resolve()
MOUNT = "/__js_tests__/"
CONTENT_TYPES = {".js": "text/javascript; charset=utf-8", ".html": "text/html; charset=utf-8"}
SUITES = sorted(path.name for path in JS_DIR.glob("*.test.js"))
TEST_CALL = re.compile(r"""^\s*test\(\s*(["'])(?P<name>.+?)\1\s*,""", re.MULTILINE)


def declared_tests() -> list[tuple[str, str]]:
    """(suite, name) of every ``test("name", ...)`` call in the suites, in file order."""
    return [
        (suite, match["name"])
        for suite in SUITES
        for match in TEST_CALL.finditer((JS_DIR / suite).read_text(encoding="utf-8"))
    ]


DECLARED = declared_tests()


def serve_from_js_dir(route: Route) -> None:
    """Answer a request under MOUNT with the file of that name in tests/js/ (404 otherwise)."""
    relative = urlsplit(route.request.url).path.removeprefix(MOUNT)
    path = (JS_DIR / relative).resolve()
    if not path.is_relative_to(JS_DIR) or not path.is_file() or path.suffix not in CONTENT_TYPES:
        route.fulfill(status=404, content_type="text/plain", body=f"no {relative} in tests/js/")
        return
    route.fulfill(
        status=200,
        headers={"Content-Type": CONTENT_TYPES[path.suffix], "Cache-Control": "no-store"},
        body=path.read_text(encoding="utf-8"),
    )


def run_suites(browser: Browser, base_url: str, suites: list[str]) -> dict[str, Any]:
    """Run ``suites`` (paths under tests/js/) in one fresh page; the harness's report.

    The report has ``results`` (file, name, ok, message, where, ms for each test),
    ``loadErrors`` (file, message for each suite that could not be imported) and
    ``console`` (the page's errors and failed requests, to explain a load error).
    """
    context = browser.new_context()
    context.set_default_timeout(30_000)
    console: list[str] = []

    def note_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            console.append(message.text)

    def note_response(response: Response) -> None:
        if response.status >= 400:
            console.append(f"HTTP {response.status}: {response.url}")

    try:
        page = context.new_page()
        page.on("pageerror", lambda error: console.append(f"page error: {error}"))
        page.on("console", note_console)
        page.on("response", note_response)
        page.route(f"{base_url}{MOUNT}**", serve_from_js_dir)
        page.goto(f"{base_url}{MOUNT}index.html?{urlencode([('suite', suite) for suite in suites])}")
        page.wait_for_function("() => window.__jsTests && window.__jsTests.done")
        report = page.evaluate("() => window.__jsTests")
    finally:
        context.close()
    report["console"] = console
    return report


def describe_failures(results: list[dict[str, Any]]) -> str:
    """The failed JS tests among ``results`` and their messages, one block each."""
    failed = [result for result in results if not result["ok"]]
    lines = [f"{len(failed)} JS test{'s' if len(failed) != 1 else ''} failed:"]
    for result in failed:
        lines.append(f"  {result['file']} › {result['name']}")
        lines.extend(f"      {line}" for line in result["message"].splitlines())
        if result.get("where"):
            lines.append(f"      at {result['where']}")
    return "\n".join(lines)


def describe_load_errors(report: dict[str, Any]) -> str:
    lines = [f"  {error['file']}: {error['message']}" for error in report["loadErrors"]]
    lines.extend(f"  console: {line}" for line in report["console"])
    return "\n".join(lines)


@pytest.fixture(scope="module")
def js_report(browser: Browser, live_chat) -> Callable[[str], dict[str, Any]]:
    """``js_report(suite)``: the suite's report, from a page of its own; each suite runs once,
    when first asked for (so ``-k store.test.js`` runs that suite only)."""
    reports: dict[str, dict[str, Any]] = {}

    def report_for(suite: str) -> dict[str, Any]:
        if suite not in reports:
            reports[suite] = run_suites(browser, live_chat.url, [suite])
        return reports[suite]

    return report_for


@pytest.mark.parametrize(("suite", "name"), DECLARED, ids=[f"{suite}::{name}" for suite, name in DECLARED])
def test_js(js_report: Callable[[str], dict[str, Any]], suite: str, name: str) -> None:
    report = js_report(suite)
    result = next((r for r in report["results"] if r["name"] == name), None)
    if result is None:
        pytest.fail(f"{suite} › {name} did not run\n{describe_load_errors(report)}", pytrace=False)
    if not result["ok"]:
        pytest.fail(describe_failures([result]), pytrace=False)


def test_every_js_test_ran(js_report: Callable[[str], dict[str, Any]]) -> None:
    """The browser ran exactly the tests read from the files: none skipped, none unnamed."""
    assert SUITES, f"no *.test.js in {JS_DIR}"
    js_reports = {suite: js_report(suite) for suite in SUITES}
    problems = [describe_load_errors(report) for report in js_reports.values() if report["loadErrors"]]
    ran = [(r["file"], r["name"]) for report in js_reports.values() for r in report["results"]]
    if missing := sorted(set(DECLARED) - set(ran)):
        problems.append(f"declared but not run: {missing}")
    if unexpected := sorted(set(ran) - set(DECLARED)):
        problems.append(f"run but not in the source (is a name not a string literal?): {unexpected}")
    if len(ran) != len(set(ran)):
        problems.append("a test name is used twice in one suite")
    assert not problems, "\n".join(problems)


def test_the_harness_reports_each_kind_of_failure(browser: Browser, live_chat) -> None:
    """A deliberately failing suite: every way a JS test can fail is reported as failed."""
    report = run_suites(browser, live_chat.url, ["selfcheck/deliberate-failures.js"])
    assert not report["loadErrors"], describe_load_errors(report)
    results = {result["name"]: result for result in report["results"]}
    expected_failures = {
        "assertEqual mismatch": "the answer: expected 3, got 2",
        "assertDeepEqual mismatch": "differs at .seqs[2]: expected 4, got 3",
        "assert false": "a condition that does not hold",
        "thrown error": "TypeError: boom",
        "async rejection": "Error: rejected later",
        "async never settles": "timed out after",
        "assertThrows without a throw": "expected to throw: expected an exception",
        "a failing test restores a fake clock": "failed with a fake clock installed",
    }
    assert sorted(results) == sorted([*expected_failures, "passes", "the clock is real again afterwards"])
    assert results["passes"]["ok"], results["passes"]
    assert results["the clock is real again afterwards"]["ok"], results["the clock is real again afterwards"]
    for name, fragment in expected_failures.items():
        assert not results[name]["ok"], f"{name} passed"
        assert fragment in results[name]["message"], f"{name}: {results[name]['message']!r}"
    assert "selfcheck/deliberate-failures.js:" in results["assertEqual mismatch"]["where"]

    summary = describe_failures(report["results"])
    assert summary.startswith(f"{len(expected_failures)} JS tests failed:")
    for name, fragment in expected_failures.items():
        assert f"selfcheck/deliberate-failures.js › {name}" in summary
        assert fragment in summary


def test_a_suite_that_fails_to_load_is_reported_and_the_others_still_run(browser: Browser, live_chat) -> None:
    report = run_suites(browser, live_chat.url, ["selfcheck/broken-import.js", "drafts.test.js"])
    assert [error["file"] for error in report["loadErrors"]] == ["selfcheck/broken-import.js"]
    assert "no-such-module.js" in describe_load_errors(report)
    assert {result["file"] for result in report["results"]} == {"drafts.test.js"}
    assert all(result["ok"] for result in report["results"]), describe_failures(report["results"])

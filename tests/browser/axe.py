"""axe-core, bundled with axe-playwright-python, run on a page: what it finds that
blocks someone (serious or critical), described one violation and node a line."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

BLOCKING = {"serious", "critical"}


def serious_violations(page: Page) -> list[dict]:
    results = Axe().run(page)
    return [v for v in results.response["violations"] if v["impact"] in BLOCKING]


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            lines.append(f"    {' '.join(map(str, node['target']))}: {node.get('failureSummary', '')!r}")
    return "\n".join(lines)


def assert_no_serious_violation(page: Page, what: str = "") -> None:
    violations = serious_violations(page)
    assert violations == [], f"axe-core on {page.url}{f' ({what})' if what else ''}:\n{describe(violations)}"

"""The HTML report in a real browser: offline, no console errors, the table filters and sorts.

Uses Debian's chromium (``apt-get install chromium``) through Python playwright;
every request that is not to file:// or 127.0.0.1 is blocked and must not happen.
With K8SAUDIT_UPDATE_DOCS=1 the screenshot of the sample cluster's report refreshes docs/img/report.png.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

import k8saudit as ka
from k8saudit.export import export
from k8saudit.findings import audit

CHROMIUM = "/usr/bin/chromium"  # the `browser` fixture (conftest.py) launches it
DOCS_IMG = Path(__file__).resolve().parent.parent / "docs" / "img" / "report.png"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason=f"needs Debian's chromium at {CHROMIUM}: apt-get install chromium"
    ),
]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, int]:
    snap = ka.sample()
    findings = audit(snap)
    out = export(findings, tmp_path_factory.mktemp("out") / "report.html", snapshot=snap)
    return out, len(findings), int(findings["exempt"].sum())


def _visible(page: Any) -> int:
    return int(page.eval_on_selector_all("#findings tbody tr", "rows => rows.filter(r => !r.hidden).length"))


def test_report_in_chromium(browser: Any, report: tuple[Path, int, int], tmp_path: Path) -> None:
    path, n, n_exempt = report
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    blocked: list[str] = []
    errors: list[str] = []

    def route(r: Any) -> None:
        url = r.request.url
        if url.startswith(("file://", "data:", "blob:", "about:")) or url.startswith(
            ("http://127.0.0.1", "https://127.0.0.1")
        ):
            r.continue_()
        else:
            blocked.append(url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_selector("#chart-2 .main-svg")
    assert errors == [], errors
    assert blocked == [], blocked

    # every finding is a row, all visible at first (exempt ones greyed, not hidden)
    assert page.locator("#findings tbody tr").count() == n
    assert _visible(page) == n
    assert page.locator("#findings tbody tr.exempt").count() == n_exempt
    assert page.locator("#count").inner_text() == f"{n} of {n} findings shown"
    assert page.locator(".chart .main-svg").count() >= 3

    # filter: text, then severity, then hide exempt
    page.fill("#q", "privileged")
    after_text = _visible(page)
    assert 0 < after_text < n
    rows = page.eval_on_selector_all("#findings tbody tr", "rs => rs.filter(r => !r.hidden).map(r => r.textContent)")
    assert all("privileged" in t.lower() for t in rows)
    page.fill("#q", "")
    page.select_option("#f-sev", "critical")
    assert page.eval_on_selector_all(
        "#findings tbody tr", "rs => rs.filter(r => !r.hidden).every(r => r.dataset.sev === 'critical')"
    )
    page.select_option("#f-sev", "")
    page.select_option("#f-exempt", "hide")
    assert _visible(page) == n - n_exempt
    page.select_option("#f-exempt", "show")
    page.fill("#q", "no-such-text-anywhere")
    assert _visible(page) == 0 and page.locator("#none").is_visible()
    page.fill("#q", "")
    assert _visible(page) == n

    # sort: the Object column, ascending then descending
    def column(i: int) -> list[str]:
        return page.eval_on_selector_all(
            "#findings tbody tr", f"rs => rs.map(r => r.cells[{i}].textContent.trim().toLowerCase())"
        )

    header = page.locator("#findings thead th").nth(3)
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    objs = column(3)
    assert objs == sorted(objs)
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "descending"
    assert column(3) == sorted(objs, reverse=True)
    # severity sorts by rank, not by name, and its first click puts the worst first
    sev_head = page.locator("#findings thead th").nth(0)
    sev_head.locator("button").click()
    assert sev_head.get_attribute("aria-sort") == "descending" and header.get_attribute("aria-sort") == "none"
    ranks = page.eval_on_selector_all("#findings tbody tr", "rs => rs.map(r => Number(r.cells[0].dataset.v))")
    assert ranks == sorted(ranks, reverse=True) and ranks[0] > ranks[-1]
    assert page.locator("#findings tbody tr").first.get_attribute("data-sev") == "critical"
    sev_head.locator("button").click()
    assert sev_head.get_attribute("aria-sort") == "ascending"
    ranks = page.eval_on_selector_all("#findings tbody tr", "rs => rs.map(r => Number(r.cells[0].dataset.v))")
    assert ranks == sorted(ranks)
    # after another column, severity's next first click is worst first again
    header.locator("button").click()
    sev_head.locator("button").click()
    assert sev_head.get_attribute("aria-sort") == "descending"

    # a practice at 98% with a few failing objects reads as "good", not only as "fail"
    row = page.locator("#scorecard tr", has_text="No sharing of the host's IPC")
    assert row.locator(".band").inner_text() == "good" and row.locator(".status").inner_text() == "fail"

    # details toggle shows evidence and remediation
    first = page.locator("#findings tbody tr").first
    assert not first.locator("dl").is_visible()
    first.locator("summary").click()
    assert first.locator("dl").is_visible() and "Remediation" in first.locator("dl").inner_text()
    first.locator("summary").click()

    page.evaluate("window.scrollTo(0, 0)")
    page.mouse.move(1, 1)  # no hover toolbar on the charts
    shot = tmp_path / "out" / "report-screenshot.png"
    shot.parent.mkdir()
    page.screenshot(path=str(shot), full_page=False)
    assert shot.stat().st_size > 10_000
    if os.environ.get("K8SAUDIT_UPDATE_DOCS") == "1":  # refresh the README's screenshot on request only
        DOCS_IMG.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, DOCS_IMG)
    assert errors == [] and blocked == []
    page.close()

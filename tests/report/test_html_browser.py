"""report.html and compare.html in a real headless Chromium, opened from disk (file://).

The browser is Debian's `chromium` (/usr/bin/chromium, or $HARNESS_CHROMIUM), driven through
Playwright for Python with that executable; Playwright's own browser download is never used.
Install both with:

    apt-get update && apt-get install -y chromium
    .venv/bin/python -m pip install playwright

When the browser cannot start, the tests FAIL and say why: a report nobody checked in a
browser must not pass as checked. Screenshots go to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from harness.compare import compare, load_side
from harness.gates import Gate
from harness.report.html import compare_html, report_html

from conftest import ROOT
from test_html import MODELS, run, run_dir  # noqa: F401  (fixtures shared with test_html.py)

CHROMIUM = os.environ.get("HARNESS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL = "apt-get update && apt-get install -y chromium; .venv/bin/python -m pip install playwright (never `playwright install`)"
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def browser():
    """A Chromium context with a fresh profile (--user-data-dir), or the reason it could not
    start as a string: each test then fails with that reason (a failure, not a setup error)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        yield f"Playwright for Python is not installed ({exc}); install: {INSTALL}"
        return
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        yield f"no Chromium executable at {CHROMIUM} (set HARNESS_CHROMIUM to another); install: {INSTALL}"
        return
    profile = tempfile.mkdtemp(prefix="harness-chromium-profile-")
    manager = sync_playwright().start()
    try:
        # Playwright passes the profile folder as --user-data-dir itself (it refuses the flag in args)
        context = manager.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 900}, timeout=60_000
        )
    except Exception as exc:  # any launch failure: missing libraries, a broken install, a crash...
        manager.stop()
        shutil.rmtree(profile, ignore_errors=True)
        yield f"headless Chromium ({CHROMIUM}) could not start: {exc}\ninstall: {INSTALL}"
        return
    try:
        yield context
    finally:
        context.close()
        manager.stop()
        shutil.rmtree(profile, ignore_errors=True)


def started(browser):
    if isinstance(browser, str):
        pytest.fail(browser, pytrace=False)
    return browser


class Watched:
    """A page that records every request, console error and uncaught exception."""

    def __init__(self, context):
        self.page = context.new_page()
        self.page.set_default_timeout(30_000)
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("console", lambda message: message.type in ("error", "assert") and self.errors.append(f"console {message.type}: {message.text}"))
        self.page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    def open(self, path: Path) -> str:
        url = path.resolve().as_uri()
        self.page.goto(url, wait_until="load")
        return url

    def check_clean(self, url: str) -> None:
        assert self.errors == []
        assert self.requests == [url]  # the file itself, nothing else
        resources = self.page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
        assert resources == []


def leaderboard_order(page) -> list[str]:
    return page.eval_on_selector_all("#leaderboard-table tbody tr", "rows => rows.map(r => r.dataset.model)")


def expected_order(run, current: list[str], task: str, metric: str, descending: bool) -> list[str]:
    """Rows with a value sorted by it (ties keep their current order), then the rest (n/a, failed)."""
    means = {m.name: (m.metrics.get(task) or {}).get(metric, {}).get("mean") if m.status == "ok" else None for m in run.models}
    with_value = [name for name in current if means[name] is not None]
    with_value.sort(key=lambda name: -means[name] if descending else means[name])  # stable
    return with_value + [name for name in current if means[name] is None]


def test_report_in_a_real_browser(browser, run, run_dir):
    context = started(browser)
    report = run_dir / "report.html"
    report.write_text(report_html(run), encoding="utf-8")
    watched = Watched(context)
    url = watched.open(report)
    page = watched.page

    # every model and every question is on the page, as text a reader sees
    body = page.inner_text("body")
    for name in MODELS:
        assert name in body
    for article in run.articles:
        for question in article.questions:
            row = page.locator(f'#qa-grid tr[data-question="{article.id}/{question.id}"]')
            assert row.count() == 1 and question.question in row.inner_text()
    assert page.locator('#qa-grid td[data-model="lead-2"][data-verdict="na"]').count() == sum(len(a.questions) for a in run.articles)

    # sorting: a numeric column sorts high to low, then low to high; n/a and failed stay last
    initial = leaderboard_order(page)
    assert initial == MODELS
    header = page.locator('#leaderboard-table th[data-metric="rouge1"]')
    header.click()
    assert header.get_attribute("aria-sort") == "descending"
    descending = leaderboard_order(page)
    assert descending == expected_order(run, initial, "summary", "rouge1", descending=True)
    assert descending != initial and descending[0] == "lead-2" and descending[-1] == "broken"
    header.click()
    assert header.get_attribute("aria-sort") == "ascending"
    assert leaderboard_order(page) == expected_order(run, descending, "summary", "rouge1", descending=False)
    qa = page.locator('#leaderboard-table th[data-metric="f1"]')
    qa.click()
    assert header.get_attribute("aria-sort") is None and qa.get_attribute("aria-sort") == "descending"
    assert leaderboard_order(page)[-2:] == ["lead-2", "broken"]  # lead-2: n/a, sorted with the rows without a value
    model_header = page.locator("#leaderboard-table thead th").first
    model_header.click()
    assert leaderboard_order(page) == sorted(MODELS)
    model_header.click()
    assert leaderboard_order(page) == sorted(MODELS, reverse=True)

    # a trace is one click away
    cell = page.locator('#qa-grid tr[data-question="a1/q1"] td[data-model="tiny-llama"]')
    trace = cell.locator("details.trace")
    assert not trace.locator("dl").is_visible()
    trace.locator("summary").click()
    assert trace.locator("dl").is_visible() and "normalized golds" in trace.inner_text()
    # the article text is collapsed until asked for
    article = page.locator("#article-a1 details.article-text")
    assert not article.locator(".text").is_visible()
    article.locator("summary").click()
    assert article.locator(".text").is_visible()
    # the hostile article shows its markup as text, and nothing ran
    assert "<script>alert(1)</script>" in page.inner_text("#article-a3")
    assert page.locator("img").count() == 0 and page.locator("script").count() == 1

    header.click()  # the screenshot shows the leaderboard best first by ROUGE-1
    assert header.get_attribute("aria-sort") == "descending"
    page.evaluate("window.scrollTo(0, 0)")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    assert (ARTIFACTS / "report.png").stat().st_size > 10_000
    watched.check_clean(url)
    page.close()


def test_compare_in_a_real_browser(browser, run_dir, tmp_path):
    context = started(browser)
    side = load_side(run_dir)
    comparison = compare(side, side, [("lead-2", "tiny-llama"), ("tiny-llama", "tiny-t5")], {"summary.rouge1": Gate(max_drop=0.02, require_significance=False)}, resamples=200)
    path = tmp_path / "compare.html"
    path.write_text(compare_html(comparison), encoding="utf-8")
    watched = Watched(context)
    url = watched.open(path)
    page = watched.page
    assert page.inner_text("#verdict").startswith("FAIL")
    results = page.eval_on_selector_all("#gates-table tbody tr", "rows => rows.map(r => r.dataset.result)")
    assert sorted(results) == ["fail", "pass"]
    delta = page.locator("#deltas-table thead th").nth(5)
    delta.click()  # delta, high to low: the drops of lead-2 -> tiny-llama come last
    models = page.eval_on_selector_all("#deltas-table tbody tr td:first-child", "cells => cells.map(c => c.textContent)")
    assert models[-4:] == ["lead-2 → tiny-llama"] * 4
    page.evaluate("window.scrollTo(0, 0)")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "compare.png"), full_page=True)
    watched.check_clean(url)
    page.close()

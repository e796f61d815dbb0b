"""Every source page passes axe, labels its controls, works by keyboard and reads without CSS."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.e2e.actions import SourceBrowser
from tests.e2e.conftest import SourceSite, new_context

pytestmark = pytest.mark.e2e

AXE = Path(__file__).parent / "node" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = {"serious", "critical"}


@dataclass(frozen=True)
class SitePage:
    path: str
    heading: str  # the <h1>, in English; the French page is checked by its lang alone
    controls: int  # visible form controls a source fills in or ticks
    lang: str = "en"
    logged_in: bool = False


PAGES = {
    "index": SitePage("/", "Share information with Sealdrop, safely and anonymously", 0),
    "generate": SitePage("/generate", "Your codename", 1),
    "login": SitePage("/login", "Enter your codename", 1),
    "lookup": SitePage("/lookup", "Send us information", 2, logged_in=True),
    "why-key": SitePage("/why-public-key", "Our Submission Key", 0),
    "not-found": SitePage("/nope", "Page not found", 0),
    "index-fr": SitePage("/?l=fr", "", 0, lang="fr"),
}
PAGE_IDS = list(PAGES)

UNLABELLED_CONTROLS = """() => Array.from(document.querySelectorAll('input, textarea, select'))
  .filter(el => el.type !== 'hidden')
  .map(el => ({html: el.outerHTML, labelled: el.labels.length > 0
    || !!el.getAttribute('aria-label') || !!el.getAttribute('aria-labelledby')}))"""
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el) return '';
  return `${el.tagName.toLowerCase()}:${el.getAttribute('name') || el.textContent.trim()}`;
}"""


@pytest.fixture
def checker_page(browser: Browser) -> Iterator[Page]:
    """JavaScript on and the CSP bypassed, only so that axe can run inside the page."""
    context = new_context(browser, javascript=True)
    try:
        yield context.new_page()
    finally:
        context.close()


def visit(page: Page, site: SourceSite, site_page: SitePage) -> None:
    if site_page.logged_in:
        source = SourceBrowser(page, site.url)
        source.get_codename()
        source.confirm_codename_saved()
    page.goto(site.url + site_page.path)
    expect(page.get_by_role("heading", level=1)).to_have_count(1)


def describe(violation: dict[str, Any]) -> str:
    targets = [node["target"] for node in violation["nodes"]]
    return f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}"


@pytest.mark.parametrize("name", PAGE_IDS)
def test_axe_finds_nothing_serious(checker_page: Page, source_site: SourceSite, name: str) -> None:
    # Given a source page, with axe-core loaded into it
    visit(checker_page, source_site, PAGES[name])
    checker_page.add_script_tag(path=str(AXE))

    # When axe audits it
    results: dict[str, Any] = checker_page.evaluate("async () => await axe.run()")

    # Then no violation is serious or critical
    assert results["passes"], "axe ran no passing check: it did not really audit the page"
    blocking = [v for v in results["violations"] if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, "\n".join(describe(v) for v in blocking)


@pytest.mark.parametrize("name", PAGE_IDS)
def test_page_has_a_language_and_every_control_a_label(
    checker_page: Page, source_site: SourceSite, name: str
) -> None:
    site_page = PAGES[name]
    visit(checker_page, source_site, site_page)

    assert checker_page.locator("html").get_attribute("lang") == site_page.lang
    controls: list[dict[str, Any]] = checker_page.evaluate(UNLABELLED_CONTROLS)
    assert len(controls) == site_page.controls, [c["html"] for c in controls]
    assert [c["html"] for c in controls if not c["labelled"]] == []


def test_keyboard_reaches_the_login_form_in_order(
    checker_page: Page, source_site: SourceSite
) -> None:
    # Given the login page, with nothing focused
    visit(checker_page, source_site, PAGES["login"])

    # When the source presses Tab through the page
    order = []
    for _ in range(12):
        checker_page.keyboard.press("Tab")
        order.append(checker_page.evaluate(FOCUSED))

    # Then the skip link comes first, and the codename field is followed by its button
    assert order[0] == "a:Skip to content", order
    assert "input:codename" in order, order
    assert order[order.index("input:codename") + 1] == "button:Continue", order


def test_skip_link_moves_focus_past_the_header(checker_page: Page, source_site: SourceSite) -> None:
    visit(checker_page, source_site, PAGES["login"])
    checker_page.keyboard.press("Tab")
    checker_page.keyboard.press("Enter")
    checker_page.keyboard.press("Tab")
    assert checker_page.evaluate(FOCUSED) == "input:codename"


@pytest.mark.parametrize("name", ["index", "generate", "login", "why-key"])
def test_page_reads_without_its_stylesheet(
    browser: Browser, source_site: SourceSite, name: str
) -> None:
    # Given a browser that never gets the stylesheet (and runs no JavaScript)
    context = new_context(browser, javascript=False)
    blocked: list[str] = []

    def refuse(route: Route) -> None:
        blocked.append(route.request.url)
        route.abort()

    context.route("**/*.css", refuse)
    page = context.new_page()
    try:
        # When the source opens the page
        visit(page, source_site, PAGES[name])

        # Then the heading and main text are there and visible, in reading order
        assert blocked, "the stylesheet was never requested, so this proved nothing"
        expect(page.get_by_role("heading", level=1)).to_have_text(PAGES[name].heading)
        main = page.locator("main")
        expect(main).to_be_visible()
        assert len(main.inner_text()) > 40
        header, main_box = page.locator("header").bounding_box(), main.bounding_box()
        assert header is not None
        assert main_box is not None
        assert header["y"] < main_box["y"], "without CSS the header should still come before main"
    finally:
        context.close()

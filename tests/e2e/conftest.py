"""End-to-end fixtures: Chromium through Playwright, and a real source interface under gunicorn."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from sealdrop.config import Config, load_config
from sealdrop.runtime.initialise import initialise
from tests.harness import ConfigFactory, ReaderKeys
from tests.server import RunningServer, serve_source

# Debian's Chromium, never a Playwright download: the launcher is what `apt` installs.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A failing step should fail in seconds, not after Playwright's default 30 s.
STEP_TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class SourceSite:
    """A running source interface and the data directory behind it."""

    server: RunningServer
    env: dict[str, str]

    @property
    def url(self) -> str:
        return self.server.url

    def config(self) -> Config:
        return load_config(self.env)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Chromium is not installed: apt-get install chromium (make test installs it)")
    launched = playwright.chromium.launch(
        executable_path=executable, headless=True, args=CHROMIUM_ARGS
    )
    try:
        yield launched
    finally:
        launched.close()


@pytest.fixture(scope="module")
def source_site(
    reader_keys: ReaderKeys, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SourceSite]:
    """An initialised instance served by gunicorn on 127.0.0.1, shared by one test module."""
    # gpg-agent's socket path must stay short, which pytest's tmp_path does not promise.
    base = Path(tempfile.mkdtemp(prefix="sde-"))
    try:
        env = ConfigFactory(base).env()
        initialise(load_config(env), submission_key=reader_keys.public_key)
        with serve_source(env, tmp_path_factory.mktemp("gunicorn")) as server:
            yield SourceSite(server, env)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def new_context(browser: Browser, *, javascript: bool) -> BrowserContext:
    """A fresh profile; JavaScript on only where a checker (axe) must run inside the page."""
    context = browser.new_context(java_script_enabled=javascript, bypass_csp=javascript)
    context.set_default_timeout(STEP_TIMEOUT_MS)
    return context


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A tab in a new profile with JavaScript disabled, as Tor Browser at Safest."""
    context = new_context(browser, javascript=False)
    try:
        yield context.new_page()
    finally:
        context.close()

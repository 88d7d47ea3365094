"""Headless Chromium for tests: Debian's `chromium`, driven by Playwright.

Browser tests skip on a laptop without Chromium, but never when CI=true:
there a missing browser is a failure, not a skip.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.serve import PreviewServer

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium() -> str:
    path = chromium_path()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but Chromium is not installed (apt-get install -y chromium)")
        pytest.skip("Chromium is not installed; browser tests run in CI")
    return path


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep test output readable
        pass


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on a free loopback port; yield the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = PreviewServer(("127.0.0.1", 0), handler)  # `ledger serve`'s: a page closed mid-file prints nothing
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def browser() -> Iterator[object]:
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
        try:
            yield instance
        finally:
            instance.close()


class PageWatch:
    """Console errors and requests to other hosts, collected while a page is open."""

    def __init__(self, page, origin: str):
        self.console_errors: list[str] = []
        self.outside_requests: list[str] = []
        page.on("console", lambda msg: self.console_errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: self.console_errors.append(str(exc)))

        def route(route_obj):
            url = route_obj.request.url
            if url.startswith(origin) or url.startswith("data:") or url.startswith("blob:"):
                route_obj.continue_()
            else:
                self.outside_requests.append(url)
                route_obj.abort()

        page.route("**/*", route)


def assert_clean(watch: PageWatch, page=None, viewport: dict | None = None) -> None:
    """No request to another host, no console error; with a page and viewport, no sideways scroll."""
    if page is not None and viewport is not None:
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert watch.outside_requests == []
    assert watch.console_errors == []


def open_page(chromium, base: str, path: str, viewport: dict, **options):
    """A new page at ``base + path``, loaded until the network is idle, with its PageWatch."""
    page = chromium.new_page(viewport=viewport, **options)
    watch = PageWatch(page, base)
    page.goto(f"{base}{path}", wait_until="networkidle")
    return page, watch


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path

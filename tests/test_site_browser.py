"""Finding one's way, as a person sees it in headless Chromium: every section reachable from the home
page on a desktop, legible charts and readable tables on a phone, the 404 page under a project
sub-path, and an issue looked up by an id typed in the wrong case."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pytest

from tests.browser import open_page, screenshot, serve

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
SECTIONS = ["首页", "问题办理", "查询问题", "赋权事项", "报道核对", "满意度与核查", "排名", "基层减负", "数据下载", "方法说明", "参与贡献", "关于"]


@pytest.fixture(scope="module")
def site(built_demo_site):
    with serve(built_demo_site) as base:
        yield base


def test_desktop_home_page_reaches_every_section_from_the_header(chromium, site):
    page, watch = open_page(chromium, site, "/", DESKTOP)
    tabs = page.locator("nav.md-tabs a.md-tabs__link")
    assert [t.strip() for t in tabs.all_inner_texts()] == SECTIONS
    assert all(tabs.nth(i).is_visible() for i in range(tabs.count()))
    tabs.filter(has_text="查询问题").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").first.inner_text() == "查询问题"
    screenshot(page, "shell-tabs-desktop")
    page.close()
    assert watch.outside_requests == [] and watch.console_errors == []


def _smallest_chart_text_px(page, selector: str) -> float:
    return page.evaluate("""(selector) => {
        const sizes = [...document.querySelectorAll(selector + ' text')].map(t => t.getBoundingClientRect().height)
            .filter(h => h > 0);
        return Math.min(...sizes);
    }""", selector)


@pytest.mark.parametrize("path,chart", [("/", "svg#trend-monthly"), ("/items/", "figure.ledger-figure svg"),
                                        ("/burden/", "svg#burden-trend")])
def test_chart_text_is_at_least_11px_on_a_phone(chromium, site, path, chart):
    page, watch = open_page(chromium, site, path, PHONE)
    page.locator(chart).first.scroll_into_view_if_needed()
    # A text box is taller than its font size; 11 px text gives boxes of at least 12 px.
    assert _smallest_chart_text_px(page, chart) >= 12
    assert page.evaluate("() => document.documentElement.scrollWidth") == PHONE["width"]
    screenshot(page, f"shell-chart-phone{path.strip('/').replace('/', '-') or '-home'}")
    page.close()
    assert watch.console_errors == []


def test_methodology_definitions_read_as_cards_on_a_phone(chromium, site):
    page, watch = open_page(chromium, site, "/methodology/", PHONE)
    row = page.locator("#def-on_time_rate")
    row.scroll_into_view_if_needed()
    code = row.locator("code")
    assert code.inner_text() == "on_time_rate"
    line = page.evaluate("(el) => parseFloat(getComputedStyle(el).lineHeight) || 20", code.element_handle())
    assert code.bounding_box()["height"] <= line * 1.5  # one line, not broken every two letters
    width = row.bounding_box()["width"]
    assert width <= PHONE["width"]
    assert page.evaluate("() => document.documentElement.scrollWidth") == PHONE["width"]
    page.close()
    assert watch.console_errors == []


def test_wide_tables_show_a_scroll_shadow_on_a_phone(chromium, site):
    page, _ = open_page(chromium, site, "/issues/region/990121001000/", PHONE)
    box = page.locator(".ledger-scroll").first
    overflow = box.evaluate("(el) => el.scrollWidth > el.clientWidth")
    assert overflow, "the village table fits: nothing to hint"
    assert "radial-gradient" in box.evaluate("(el) => getComputedStyle(el).backgroundImage")
    page.close()


@pytest.mark.parametrize("form", ["lower", "spaces", "exact"])
def test_issue_lookup_ignores_case_and_surrounding_spaces(chromium, site, demo_ledger, form):
    from urllib.parse import quote

    wanted = sorted(demo_ledger.issues["id"])[0]
    typed = {"lower": wanted.lower(), "spaces": f"  {wanted.lower()} ", "exact": wanted}[form]
    assert typed == wanted or typed.strip() != wanted  # each form differs from the stored id
    page, watch = open_page(chromium, site, f"/issue/?id={quote(typed)}", PHONE)
    page.wait_for_selector(".issue-record")
    title = demo_ledger.issues.loc[demo_ledger.issues["id"] == wanted, "title"].iloc[0]
    assert page.locator("h2.issue-title").inner_text() == title
    page.close()
    assert watch.console_errors == []


class _SubPathHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the site under /sunshine-ledger/ with 404.html for a missing address, as GitHub Pages does."""

    prefix = "/sunshine-ledger/"

    def log_message(self, *args) -> None:
        pass

    def send_head(self):
        if not self.path.startswith(self.prefix):
            self.send_error(404)
            return None
        self.path = "/" + self.path[len(self.prefix):]
        target = Path(self.translate_path(self.path))
        if not (target.is_file() or (target / "index.html").is_file()):
            body = (Path(self.directory) / "404.html").read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return None
        return super().send_head()


def test_404_page_is_styled_under_a_project_sub_path(chromium, built_demo_site):
    handler = functools.partial(_SubPathHandler, directory=str(built_demo_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        page = chromium.new_page(viewport=PHONE)
        failed = []
        page.on("response", lambda r: failed.append(r.url) if r.status >= 400 and not r.url.endswith("/no-such-page") else None)
        page.goto(f"{base}/sunshine-ledger/no-such-page", wait_until="networkidle")
        assert failed == []
        assert page.evaluate("() => [...document.styleSheets].some(s => (s.href || '').endsWith('/sunshine-ledger/assets/ledger.css'))")
        header = page.locator("header.md-header").bounding_box()
        assert header is not None and header["height"] <= 64  # unstyled, Material's icons fill the screen
        assert page.locator("h1").first.inner_text() == "404 - 找不到这个页面"
        screenshot(page, "shell-404-subpath-phone")
        page.close()
    finally:
        server.shutdown()
        server.server_close()

"""Content-Security-Policy: every page allows only the site's own scripts and styles.

The policy is a <meta http-equiv> set by the theme override (site/overrides/main.html);
Material's inline scripts are moved into files there, so the policy needs no
'unsafe-inline', no hash and no 'unsafe-eval'. Checked on every built page, and
in Chromium: the key pages work and report no violation, and an injected inline
script is really refused.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import PageWatch, serve
from tests.hostile import scan

EXPECTED = {
    "default-src": ["'none'"], "script-src": ["'self'"], "style-src": ["'self'"], "img-src": ["'self'", "data:"],
    "font-src": ["'self'"], "connect-src": ["'self'"], "worker-src": ["'self'"], "manifest-src": ["'self'"],
    "base-uri": ["'none'"], "form-action": ["'self'"], "object-src": ["'none'"],
}
EXECUTABLE = {None, "", "text/javascript", "module", "application/javascript"}


def policy(content: str) -> dict[str, list[str]]:
    directives = {}
    for part in content.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def page_policies(text: str) -> tuple[list[str], int, int]:
    """(CSP meta contents, position of the first CSP meta, position of the first script/style/link element)."""
    parsed = scan(text)
    metas = [(i, dict(attrs)) for i, (tag, attrs) in enumerate(parsed.elements) if tag == "meta"]
    csp = [(i, a["content"]) for i, a in metas if (a.get("http-equiv") or "").lower() == "content-security-policy"]
    first_loader = next((i for i, (tag, _) in enumerate(parsed.elements) if tag in ("script", "style", "link")),
                        len(parsed.elements))
    return [c for _, c in csp], (csp[0][0] if csp else -1), first_loader


def test_every_page_has_the_policy_before_any_script_or_style(built_demo_site):
    pages = sorted(built_demo_site.rglob("*.html"))
    assert len(pages) > 50
    for page in pages:
        contents, position, first_loader = page_policies(page.read_text(encoding="utf-8"))
        rel = page.relative_to(built_demo_site)
        assert len(contents) == 1, f"{rel}: {len(contents)} CSP meta elements"
        assert 0 <= position < first_loader, f"{rel}: the CSP meta comes after a script, style or link"
        assert policy(contents[0]) == EXPECTED, rel
        assert "unsafe" not in contents[0]


def test_no_page_needs_inline_script_style_or_handler(built_demo_site):
    """What the policy would block must not be on any page (it would be a broken feature)."""
    for page in sorted(built_demo_site.rglob("*.html")):
        parsed = scan(page.read_text(encoding="utf-8"))
        rel = page.relative_to(built_demo_site)
        inline = [body[:60] for attrs, body in parsed.scripts if "src" not in attrs and attrs.get("type") in EXECUTABLE]
        assert inline == [], f"{rel}: inline script(s) {inline}"
        for tag, attrs in parsed.elements:
            names = {name for name, _ in attrs}
            assert tag != "style", f"{rel}: <style> element"
            assert "style" not in names, f"{rel}: <{tag} style=…>"
            assert not any(n.startswith("on") for n in names), f"{rel}: <{tag}> event handler attribute"
            src = dict(attrs).get("src") or ""
            assert not (tag == "script" and src.startswith(("http:", "https:", "//"))), f"{rel}: outside script {src}"


def test_the_theme_scripts_are_files_of_the_site(built_demo_site):
    for name in ("theme-boot.js", "theme-palette.js", "theme-content.js"):
        assert (built_demo_site / "assets" / "js" / name).is_file()
    assert not (built_demo_site / "overrides").exists()  # the templates are theme files, not pages


# --- in Chromium -------------------------------------------------------------------------------

KEY_PAGES = ["/", "/issues/region/990121001000/", "/items/?q=%E6%B1%A1", "/claims/", "/outcomes/negative/",
             "/data/", "/404.html"]  # the lookup page is loaded below
LISTEN = ("window.__csp = []; document.addEventListener('securitypolicyviolation', "
          "e => window.__csp.push(e.effectiveDirective + ' ' + e.blockedURI));")


@pytest.mark.browser
def test_key_pages_report_no_violation_and_inline_script_is_refused(built_demo_site, chromium):
    with serve(built_demo_site) as base:
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        page.add_init_script(LISTEN)
        watch = PageWatch(page, base)
        for path in KEY_PAGES:
            page.goto(f"{base}{path}", wait_until="networkidle")
            assert page.evaluate("window.__csp") == [], path
            assert page.evaluate("typeof __md_scope === 'object' && __md_scope.href") == f"{base}/", path
        # The issue lookup really ran under the policy (its script fetched a shard and wrote the record).
        page.goto(f"{base}/issue/?id=Q-2025-00004", wait_until="networkidle")
        page.wait_for_selector(".issue-record")
        # Site search runs in a worker loaded from the site itself.
        page.goto(f"{base}/", wait_until="networkidle")
        page.locator("input.md-search__input").click()
        expect(page.locator(".md-search-result__meta")).to_be_attached()  # expect(), not eval-based waits
        page.locator("input.md-search__input").press_sequentially("CSV", delay=50)
        expect(page.locator(".md-search-result__item").first).to_be_attached()
        assert page.evaluate("window.__csp") == []
        assert watch.console_errors == [] and watch.outside_requests == []
        # The positive control: the policy is enforced, not merely present.
        page.evaluate("document.body.appendChild(Object.assign(document.createElement('script'),"
                      " {textContent: 'window.__ran = true'}))")
        assert page.evaluate("window.__ran") is None
        assert page.evaluate("window.__csp") == ["script-src-elem inline"]
        page.close()

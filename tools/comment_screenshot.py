"""A picture of the pull-request comment for CONTRIBUTING.md (docs/images/inbox-comment.png).

    python tools/comment_screenshot.py REPORT_DIR OUT.png

REPORT_DIR is what `python -m pipeline.contribute.inbox check --report REPORT_DIR` (or the data check)
writes, plus pr-number.txt. The comment is rendered by pipeline/contribute/prcomment.py, its Markdown
turned into HTML by the site's Markdown library (Python-Markdown, the `tables` extension as in
mkdocs.yml) and photographed by headless Chromium (playwright, Debian's chromium): no network.
"""

from __future__ import annotations

import shutil
import sys
from html import escape
from pathlib import Path

import markdown
from playwright.sync_api import sync_playwright

from pipeline.contribute import prcomment

PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title><style>
body {{ margin: 0; background: #f6f8fa; font: 14px/1.5 "Noto Sans CJK SC", sans-serif, "Noto Color Emoji"; color: #1f2328; }}
.comment {{ margin: 16px; background: #fff; border: 1px solid #d0d7de; border-radius: 6px; max-width: 1100px; }}
.head {{ padding: 8px 16px; background: #f6f8fa; border-bottom: 1px solid #d0d7de; border-radius: 6px 6px 0 0; }}
.body {{ padding: 4px 16px 12px; }}
h2 {{ font-size: 20px; border-bottom: 1px solid #d8dee4; padding-bottom: 4px; }}
h3 {{ font-size: 16px; }} h4 {{ font-size: 14px; }}
table {{ border-collapse: collapse; margin: 8px 0; }}
th, td {{ border: 1px solid #d0d7de; padding: 4px 10px; vertical-align: top; }}
td:nth-child(-n+4) {{ white-space: nowrap; }}
tr:nth-child(2n) td {{ background: #f6f8fa; }}
code {{ background: #eff1f3; padding: 1px 4px; border-radius: 4px; }}
</style></head><body><div class="comment"><div class="head"><b>github-actions</b> bot commented</div>
<div class="body">{body}</div></div></body></html>"""


def main(report: Path, out: Path) -> None:
    text = prcomment.comment_for(report, prcomment.known_resources())
    html = PAGE.format(title=escape("阳光台账数据校验"), body=markdown.markdown(text, extensions=["tables"]))
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("需要 Chromium：apt-get install -y chromium fonts-noto-cjk")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True)
        page = browser.new_page(viewport={"width": 1140, "height": 400}, device_scale_factor=1)
        page.set_content(html)
        page.locator(".comment").screenshot(path=str(out))
        browser.close()
    print(f"已写出 {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))

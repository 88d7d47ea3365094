"""The 示例数据 warning appears only while the data is `ledger demo` output: a fork's own data is never
called synthetic."""

from __future__ import annotations

import shutil

from pipeline.render.home import demo_notice_block
from pipeline.validate import validate


def test_demo_notice_shows_for_the_demo_package(demo_ledger):
    block = demo_notice_block(demo_ledger)
    assert '<p class="admonition-title">示例数据</p>' in block
    assert "合成的示例数据" in block


def test_demo_notice_calls_a_forks_real_data_synthetic(demo_dir, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(demo_dir, data)
    (data / "demo.json").unlink()  # what a county office does when the folder holds its own records
    report, ledger = validate(data)
    assert report.valid
    assert demo_notice_block(ledger) == ""


def test_built_home_and_about_pages_carry_the_demo_notice(built_demo_site):
    for page in ("index.html", "about/index.html"):
        html = (built_demo_site / page).read_text(encoding="utf-8")
        assert html.count("合成的示例数据") == 1, page
        assert "<!-- ledger:demo-notice -->" not in html

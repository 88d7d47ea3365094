"""An office's own page in site/ that loads from another host stops the build (pipeline/render/outside.py).

The site's Content-Security-Policy would block such a resource, and an intranet could not reach it: the
page would show without it and nothing would say why."""

from __future__ import annotations

import shutil

import pytest

from pipeline.build import BuildConfig, BuildError, build
from pipeline.core import project
from pipeline.render.outside import OutsideRequest, outside_requests, refusal

FETCHING = {
    '<img src="https://example.com/logo.png">': "https://example.com/logo.png",
    "<img alt=x src='//cdn.example.com/a.png'>": "//cdn.example.com/a.png",
    '<img srcset="a.png 1x, https://example.com/b.png 2x">': "https://example.com/b.png",
    '<script src="HTTPS://cdn.example.com/jquery.js"></script>': "HTTPS://cdn.example.com/jquery.js",
    '<iframe src="https://map.example.com/?q=青山镇"></iframe>': "https://map.example.com/?q=青山镇",
    '<link rel="stylesheet" href="https://cdn.example.com/x.css">': "https://cdn.example.com/x.css",
    '<link rel="preconnect" href="https://fonts.example.com">': "https://fonts.example.com",
    '<link rel="shortcut icon" href="http://example.com/favicon.ico">': "http://example.com/favicon.ico",
    '<video poster="https://example.com/p.jpg" src="v.mp4"></video>': "https://example.com/p.jpg",
    '<object data="https://example.com/x.swf"></object>': "https://example.com/x.swf",
    '<div style="background: url(\'https://example.com/bg.png\')">': "https://example.com/bg.png",
    '<style>body { background: url(https://example.com/bg.png) }</style>': "https://example.com/bg.png",
    '<style>@import "https://cdn.example.com/font.css";</style>': "https://cdn.example.com/font.css",
    '<svg><image href="https://example.com/i.png"/></svg>': "https://example.com/i.png",
}
NOT_FETCHING = [
    '<a href="https://example.com/">来源</a>', '<link rel="canonical" href="https://example.com/">',
    '<link rel="alternate" type="application/atom+xml" href="https://example.com/feed.xml">',
    '<img src="../assets/logo.png">', '<img src="data:image/png;base64,iVBORw0KGgo=">',
    '<script>var u = "https://example.com/"; // a comment</script>', "<p>见 https://example.com/ 的公告</p>",
    '<div data-url="https://example.com/">', '<form action="https://example.com/"></form>',
]


@pytest.mark.parametrize("html", list(FETCHING))
def test_what_a_page_would_fetch_from_another_host_is_found(tmp_path, html):
    (tmp_path / "page").mkdir()
    (tmp_path / "page" / "index.html").write_text(f"<html><body>{html}</body></html>", encoding="utf-8")
    assert outside_requests(tmp_path) == [OutsideRequest("page/index.html", FETCHING[html])]


@pytest.mark.parametrize("html", NOT_FETCHING)
def test_links_text_and_own_files_are_not_requests_to_another_host(tmp_path, html):
    (tmp_path / "index.html").write_text(f"<html><body>{html}</body></html>", encoding="utf-8")
    assert outside_requests(tmp_path) == []


def test_a_stylesheet_importing_from_another_host_is_found(tmp_path):
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "office.css").write_text(
        '@import url("https://cdn.example.com/font.css");\nbody { background: url(../img/bg.png) }\n', encoding="utf-8")
    assert outside_requests(tmp_path) == [OutsideRequest("assets/office.css", "https://cdn.example.com/font.css")]


def test_the_built_demo_site_loads_nothing_from_another_host(built_demo_site):
    assert outside_requests(built_demo_site) == []


def test_a_page_of_the_office_loading_from_another_host_stops_the_build_and_keeps_the_old_site(tmp_path, tiny):
    site = tmp_path / "site"
    shutil.copytree(project.site(), site)
    about = site / "about.md"
    about.write_text(about.read_text(encoding="utf-8") + "\n![县徽](https://cdn.example.com/logo.png)\n"
                     "\n[县政府网站](https://www.example.gov.cn/)\n", encoding="utf-8")
    out = tmp_path / "public"
    build(BuildConfig(data=tiny, out=out))  # the site as it was, built from the project's own sources
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(BuildError) as failed:
        build(BuildConfig(data=tiny, out=out, site=site))
    assert str(failed.value) == (
        "网站的页面加载其他网站的内容：about/index.html（site/about.md） 加载 https://cdn.example.com/logo.png。"
        "网站的安全策略只允许加载本网站的文件，在内网和境内也可能打不开，这些内容不会显示。请把图片、样式、脚本放到 "
        "site/assets/ 里，用相对路径引用（链接 <a href> 不受影响）。 Pages load resources from other hosts (1); "
        "put them under site/assets/.")
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["public", "site", "tiny"]  # no staging left


def test_the_message_names_five_and_counts_the_rest(tmp_path):
    found = [OutsideRequest(f"p{n}/index.html", f"https://example.com/{n}.png") for n in range(7)]
    assert refusal(found, tmp_path).startswith(
        "网站的页面加载其他网站的内容：p0/index.html 加载 https://example.com/0.png；p1/index.html 加载 "
        "https://example.com/1.png；p2/index.html 加载 https://example.com/2.png；p3/index.html 加载 "
        "https://example.com/3.png；p4/index.html 加载 https://example.com/4.png；另有 2 处。")

"""render_all streams: each file reaches the writer as soon as it is rendered, and no two parts clash.

At a million issues the lookup shards are about 1 GB; the build must write them
as they are made, never hold them all, and put them into the built site without
mkdocs copying them. These tests use fake sections (modules registered under
made-up names) to watch the order of rendering and writing, the real issues
section with a small chunk size to watch the shards, and real builds of the tiny
package for where the files land.
"""

from __future__ import annotations

import re
import shutil
import sys
import threading
import time
import types
from importlib import import_module

import pytest

from pipeline import build as build_module
from pipeline.build import BuildConfig, BuildError, build
from pipeline.figures.metrics import compute_all
from pipeline.render import SECTIONS
from pipeline.render import issues
from pipeline.render import issues_lookup
from pipeline.render import issues_search
from pipeline.render import DOWNLOAD_PAGES, ScriptDataNotVerbatim, render_all
from pipeline.render.mkdocs_run import failure_text
from pipeline.render.section import Block, Clash, File, collect
from tests.conftest import REPO


def fake_section(monkeypatch, name: str, stream) -> str:
    module = types.ModuleType(name)
    module.stream = stream
    monkeypatch.setitem(sys.modules, name, module)
    return name


def test_a_file_is_written_before_the_next_one_is_rendered(monkeypatch, tiny_ledger):
    written: list[str] = []

    def first(ledger, metrics):
        yield File("a/1.json", "1")
        assert written == ["a/1.json"], "the first file was not written before the second was rendered"
        yield File("a/2.json", "2")

    def second(ledger, metrics):
        assert written == ["a/1.json", "a/2.json"], "a section started before the previous one's files were written"
        yield Block("b", "<p>b</p>")
        yield File("b/1.md", "b")

    sections = [fake_section(monkeypatch, "fake_first", first), fake_section(monkeypatch, "fake_second", second)]
    blocks = render_all(tiny_ledger, lambda file: written.append(file.path), sections)
    assert written == ["a/1.json", "a/2.json", "b/1.md"]
    assert blocks == {"b": "<p>b</p>"}


@pytest.mark.parametrize("kind, parts", [
    ("file", [File("same/path.json", "one"), File("same/path.json", "two")]),
    ("block", [Block("same-block", "one"), Block("same-block", "two")]),
])
def test_two_sections_rendering_the_same_path_or_block_fail(monkeypatch, tiny_ledger, kind, parts):
    sections = [fake_section(monkeypatch, f"fake_{n}", lambda ledger, metrics, part=part: iter([part]))
                for n, part in enumerate(parts)]
    with pytest.raises(Clash, match=f"fake_1 renders {kind}"):
        render_all(tiny_ledger, lambda file: None, sections)


def test_the_real_sections_never_clash(tiny_ledger):
    paths: list[str] = []
    blocks = render_all(tiny_ledger, lambda file: paths.append(file.path))
    assert len(paths) == len(set(paths)) > 0
    assert {"headline", "trend", "template-downloads"} <= set(blocks)


def test_a_section_repeating_a_path_fails_when_collected():
    with pytest.raises(Clash):
        collect(iter([File("x.md", "1"), File("x.md", "2")]))


def test_shards_are_written_chunk_by_chunk(monkeypatch, demo_ledger):
    """While shards are written, at most one chunk of them has been built and not yet written."""
    monkeypatch.setattr(issues_lookup, "CHUNK_ROWS", 50)  # 600 issues: several chunks
    built = {"chunks": 0}
    real_init = issues_lookup.Shards.__init__

    def counting_init(self, *args, **kwargs):
        """Count the chunks the shard table builds (not the evaluation and inspection lists), whatever
        the table's class (compact shards use ArrayRecords, not JsonRecords)."""
        real_init(self, *args, **kwargs)
        real_joined = self.table.joined

        def counting_joined(*args, **kwargs):
            built["chunks"] += 1
            return real_joined(*args, **kwargs)

        self.table.joined = counting_joined

    monkeypatch.setattr(issues_lookup.Shards, "__init__", counting_init)
    chunks_when_written = []
    for part in issues.stream(demo_ledger, compute_all(demo_ledger)):
        if isinstance(part, File) and re.fullmatch(rf"{issues_lookup.API_DIR}/\d+\.json", part.path):
            chunks_when_written.append(built["chunks"])
    assert len(chunks_when_written) > 4
    assert chunks_when_written[-1] > 1, "the test data should need several chunks"
    # Shard n is handed on while its own chunk is the last one built: the count rises one chunk at a time.
    assert chunks_when_written == sorted(chunks_when_written)
    assert chunks_when_written[0] == 1


def test_a_generated_file_may_not_replace_a_hand_written_one(monkeypatch, tiny, tmp_path):
    def overwrite(ledger, metrics):
        yield File("about.md", "# replaced")

    sections = [*SECTIONS, fake_section(monkeypatch, "fake_overwrite", overwrite)]
    monkeypatch.setattr(build_module, "render_all", lambda ledger, write, **stages: render_all(ledger, write, sections, **stages))
    with pytest.raises(BuildError, match="^网站源文件中的 about.md 与程序生成的页面同名，生成已停止：请给这个手写的文件换一个名字或文件夹。"
                                          " A site section renders about.md, which is a hand-written file"):
        build(BuildConfig(data=tiny, out=tmp_path / "public", site=REPO / "site"))
    assert not (tmp_path / "public").exists()


def test_shards_skip_mkdocs_and_land_in_the_site_unchanged(monkeypatch, tiny, tmp_path):
    """The lookup shards are written beside the docs, never seen by mkdocs, and moved into the built site."""
    seen_by_mkdocs: list[str] = []
    real_mkdocs = build_module.run_mkdocs

    def watching_mkdocs(config_file, docs, site_out, epoch):
        seen_by_mkdocs.extend(p.relative_to(docs).as_posix() for p in (docs / issues_lookup.API_DIR).glob("*.json"))
        return real_mkdocs(config_file, docs, site_out, epoch)

    monkeypatch.setattr(build_module, "run_mkdocs", watching_mkdocs)
    out = build(BuildConfig(data=tiny, out=tmp_path / "public")).out
    from pipeline.validate import validate

    _, ledger = validate(tiny)
    rendered = issues.render_section(ledger, compute_all(ledger)).files
    shards = sorted(p for p in rendered if re.fullmatch(rf"{issues_lookup.API_DIR}/\d+\.json", p))
    assert shards and not set(shards) & set(seen_by_mkdocs)
    assert f"{issues_lookup.API_DIR}/index.json" in seen_by_mkdocs  # documented example: mkdocs knows it
    for path in shards:
        assert (out / path).read_bytes() == rendered[path]
    assert not any(p.name.startswith(".public.") for p in tmp_path.iterdir())


def test_a_verbatim_file_may_not_replace_what_mkdocs_built(monkeypatch, tiny, tmp_path):
    def clash(ledger, metrics):
        yield File("sitemap.xml", "<urlset/>", verbatim=True)

    sections = [*SECTIONS, fake_section(monkeypatch, "fake_clash", clash)]
    monkeypatch.setattr(build_module, "render_all", lambda ledger, write, **stages: render_all(ledger, write, sections, **stages))
    with pytest.raises(BuildError, match="^网站中的 sitemap.xml 既来自网站源文件（或 mkdocs），又是程序生成的数据文件，生成已停止："
                                          ".* sitemap.xml is both in the mkdocs output and a verbatim"):
        build(BuildConfig(data=tiny, out=tmp_path / "public"))
    assert not (tmp_path / "public").exists()


def fake_data_section(monkeypatch, name: str, stream, data_stream) -> str:
    fake_section(monkeypatch, name, stream)
    sys.modules[name].data_stream = data_stream
    return name


def download_pages_as(monkeypatch, events: list[str]) -> None:
    """The download pages replaced by one page, its rendering noted in ``events``."""
    def stream(ledger, manifest):
        events.append(f"download pages from {manifest}")
        yield File("downloads.md", "# downloads")

    monkeypatch.setattr(import_module(DOWNLOAD_PAGES), "stream", stream)


def test_data_streams_run_while_the_manifest_is_awaited_and_pages_done_comes_last(monkeypatch, tiny_ledger):
    """The data streams start once every section's pages are written, and run while the download pages
    wait for the manifest: here the manifest comes only once the data are written (it waits for them, so
    the build would hang if the two did not run at once). pages_done comes after the download pages."""
    events: list[str] = []
    data_written = threading.Event()

    def pages(ledger, metrics):
        yield File("search.md", "# search")

    def data(ledger, metrics):
        yield File("api/search/0.json", "[]", verbatim=True)
        yield File("api/search/1.json", "[]", verbatim=True)

    def later(ledger, metrics):
        yield Block("later", "<p>later</p>")
        yield File("later.md", "# later")

    def write(file):
        events.append(file.path)
        if file.path == "api/search/1.json":
            data_written.set()

    def manifest():
        assert data_written.wait(60), "the data streams did not run while the manifest was awaited"
        events.append("manifest")
        return "the manifest"

    download_pages_as(monkeypatch, events)
    sections = [fake_data_section(monkeypatch, "fake_searching", pages, data), fake_section(monkeypatch, "fake_later", later)]
    blocks = render_all(tiny_ledger, write, sections, manifest=manifest,
                        pages_done=lambda blocks: events.append(f"pages done {sorted(blocks)}"))
    assert events == ["search.md", "later.md", "api/search/0.json", "api/search/1.json", "manifest",
                      "download pages from the manifest", "downloads.md", "pages done ['later']"]
    assert blocks == {"later": "<p>later</p>"}


def test_a_failure_while_the_manifest_is_awaited_stops_the_data_streams(monkeypatch, tiny_ledger):
    """The downloads failed: the data stream stops at its next file, and render_all raises only once the
    data's thread has ended (the build then removes the staging folder it writes into)."""
    written: list[str] = []
    first_written = threading.Event()

    def data(ledger, metrics):
        for n in range(10_000):
            time.sleep(0.001)
            yield File(f"api/data/{n}.json", "[]", verbatim=True)

    def write(file):
        written.append(file.path)
        first_written.set()

    def manifest():
        assert first_written.wait(60)
        raise BuildError("生成下载文件失败。")

    sections = [fake_data_section(monkeypatch, "fake_data", lambda ledger, metrics: iter(()), data)]
    with pytest.raises(BuildError, match="生成下载文件失败"):
        render_all(tiny_ledger, write, sections, manifest=manifest, pages_done=lambda blocks: written.append("pages done"))
    after = len(written)
    time.sleep(0.05)
    assert len(written) == after, "the data's thread went on writing after render_all returned"
    assert 0 < after < 10_000 and "pages done" not in written


def test_a_data_stream_that_failed_already_stops_the_render_before_pages_done(monkeypatch, tiny_ledger):
    """mkdocs is not started on pages that will not publish."""
    events: list[str] = []
    failing = threading.Event()

    def data(ledger, metrics):
        yield File("api/data/0.json", "[]", verbatim=True)
        failing.set()
        raise BuildError("the index failed")

    def manifest():
        assert failing.wait(60)
        time.sleep(0.5)  # the thread ends microseconds after the generator raised
        return "the manifest"

    download_pages_as(monkeypatch, events)
    sections = [fake_data_section(monkeypatch, "fake_failing", lambda ledger, metrics: iter(()), data)]
    with pytest.raises(BuildError, match="the index failed"):
        render_all(tiny_ledger, lambda file: events.append(file.path), sections, manifest=manifest,
                   pages_done=lambda blocks: events.append("pages done"))
    assert events == ["api/data/0.json", "download pages from the manifest", "downloads.md"]


def test_data_streams_run_without_pages_done(monkeypatch, tiny_ledger):
    written: list[str] = []
    sections = [fake_data_section(monkeypatch, "fake_searching", lambda ledger, metrics: iter([File("s.md", "# s")]),
                                  lambda ledger, metrics: iter([File("s/0.json", "[]", verbatim=True)]))]
    render_all(tiny_ledger, lambda file: written.append(file.path), sections)
    assert written == ["s.md", "s/0.json"]


@pytest.mark.parametrize("part, what", [
    (File("api/search/page.md", "# not verbatim"), "file 'api/search/page.md'"),
    (Block("late-block", "<p>x</p>"), "block 'late-block'"),
])
def test_a_data_stream_may_not_render_a_page_or_a_block(monkeypatch, tiny_ledger, part, what):
    """mkdocs may already be building the pages when a data stream runs: only verbatim files may come."""
    written: list[str] = []
    sections = [fake_data_section(monkeypatch, "fake_searching", lambda ledger, metrics: iter(()),
                                  lambda ledger, metrics: iter([File("ok.json", "[]", verbatim=True), part]))]
    with pytest.raises(ScriptDataNotVerbatim) as raised:
        render_all(tiny_ledger, lambda file: written.append(file.path), sections)
    assert str(raised.value) == f"fake_searching's data stream renders {what}, which is not a verbatim file"
    assert written == ["ok.json"]


def test_mkdocs_builds_the_pages_while_the_search_index_is_written(monkeypatch, tiny, tmp_path):
    """mkdocs waits here until the first chunk of the search index is written: the build finishes only if
    the two run at once; mkdocs saw the search page and none of the index."""
    real_mkdocs = build_module.run_mkdocs
    seen: dict[str, object] = {}

    def waiting_mkdocs(config_file, docs, site_out, epoch):
        chunk = docs.parent / "verbatim" / issues_search.SEARCH_DIR / "rows" / "0.json"
        deadline = time.monotonic() + 120
        while not chunk.is_file() and time.monotonic() < deadline:
            time.sleep(0.01)
        seen["chunk while mkdocs ran"] = chunk.is_file()
        seen["search page"] = (docs / "issues" / "search.md").is_file()
        seen["index files"] = sorted(p.name for p in (docs / issues_search.SEARCH_DIR).rglob("*")) \
            if (docs / issues_search.SEARCH_DIR).exists() else []
        return real_mkdocs(config_file, docs, site_out, epoch)

    monkeypatch.setattr(build_module, "run_mkdocs", waiting_mkdocs)
    out = build(BuildConfig(data=tiny, out=tmp_path / "public")).out
    assert seen == {"chunk while mkdocs ran": True, "search page": True, "index files": []}
    assert (out / issues_search.SEARCH_DIR / "index.json").is_file()
    assert (out / "issues" / "search" / "index.html").is_file()


def test_a_failing_data_stream_waits_for_mkdocs_and_leaves_the_old_site(monkeypatch, tiny, tmp_path):
    """The staging folder mkdocs writes into is removed only once mkdocs has stopped."""
    out = tmp_path / "public"
    build(BuildConfig(data=tiny, out=out))
    before = {p.relative_to(out).as_posix() for p in out.rglob("*")}
    real_mkdocs = build_module.run_mkdocs
    finished: list[bool] = []

    def slow_mkdocs(config_file, docs, site_out, epoch):
        time.sleep(1)
        real_mkdocs(config_file, docs, site_out, epoch)
        finished.append(site_out.is_dir())

    def failing(ledger, metrics):
        yield File("api/failing/0.json", "[]", verbatim=True)
        raise BuildError("the index failed")

    sections = [*SECTIONS, fake_data_section(monkeypatch, "fake_failing", lambda ledger, metrics: iter(()), failing)]
    monkeypatch.setattr(build_module, "render_all", lambda ledger, write, **stages: render_all(ledger, write, sections, **stages))
    monkeypatch.setattr(build_module, "run_mkdocs", slow_mkdocs)
    with pytest.raises(BuildError, match="the index failed"):
        build(BuildConfig(data=tiny, out=out))
    assert finished == [True]  # mkdocs ran to its end, into the staging folder that still existed
    assert {p.relative_to(out).as_posix() for p in out.rglob("*")} == before
    assert not any(p.name.startswith(".public.") for p in tmp_path.iterdir())


@pytest.mark.parametrize(("warning", "explained"), [
    ("Doc file 'about.md' contains a link 'guide.md', but the target is not found among documentation files.",
     "about.md 中的链接 guide.md 指向的页面不存在"),
    ("Doc file 'news/a.md' contains a link '../x.md', but the target 'x.md' is not found among documentation files.",
     "news/a.md 中的链接 ../x.md 指向的页面不存在"),
    ("Doc file 'about.md' contains a link 'index.md#nosuch', but the doc 'index.md' does not contain an anchor '#nosuch'.",
     "about.md 中的链接 index.md#nosuch 指向的标题（锚点 nosuch）在 index.md 中不存在"),
    ("Doc file 'about.md' contains a link '#top', but there is no such anchor on this page.",
     "about.md 中的链接 #top 指向的标题在本页中不存在"),
    ("Doc file 'about.md' contains an absolute link '/guide/', it was left as is. Did you mean 'guide.md'?",
     "about.md 中的链接 /guide/ 以 / 开头，请改为相对路径（例如 ../about.md）"),
    ("Doc file 'about.md' contains an unrecognized relative link 'guide/', it was left as is.",
     "about.md 中的链接 guide/ 无法识别，请链接到 .md 文件"),
    ("Some other warning.", "Some other warning."),
])
def test_an_office_page_that_stops_mkdocs_is_explained_in_chinese_first(warning, explained):
    assert failure_text("Aborted with 1 warnings in strict mode!", [warning]) == (
        f"网站源文件有 1 处问题，mkdocs 在严格模式下停止了生成：{explained}。 mkdocs build failed: Aborted with 1 "
        f"warnings in strict mode!\n  - {warning}")


def test_a_broken_link_in_an_office_page_stops_the_build_in_chinese(tiny, tmp_path):
    site = tmp_path / "site"
    shutil.copytree(REPO / "site", site)
    (site / "about.md").write_text((REPO / "site" / "about.md").read_text(encoding="utf-8") + "\n见[办事指南](guide.md)。\n",
                                   encoding="utf-8")
    with pytest.raises(BuildError) as failed:
        build(BuildConfig(data=tiny, out=tmp_path / "public", site=site))
    assert str(failed.value).startswith("网站源文件有 1 处问题，mkdocs 在严格模式下停止了生成：about.md 中的链接 guide.md 指向的页面不存在。")
    assert not (tmp_path / "public").exists()

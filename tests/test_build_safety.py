"""`ledger build`, `ledger serve` and `make clean` delete and write only what they own.

Most tests use ``quick_build``: every stage after the output checks is replaced by a trivial one, so a
test costs milliseconds and still goes through the real output checks, lock, staging and swap. One
real build of the tiny package checks the marker in a site mkdocs made.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
import subprocess
import sys
import threading
import types
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import build as build_module
from pipeline.export.downloads import Exported, PendingDownloads
from pipeline.core import findings as fd
from pipeline.build import BuildConfig, BuildError, GeneratedFiles, build
from pipeline.cli import cli
from pipeline.render.section import File
from tests.conftest import REPO, make_tiny

MARKER = ".sunshine-ledger-site"
MARKER_TEXT = ("阳光台账 Sunshine Ledger：本文件夹由 ledger build 生成，再次生成时会被整个替换。\n"
               "Built by `ledger build`: the next build replaces this whole folder.\n")


def tree(folder: Path) -> dict[str, str]:
    """Every file and folder under ``folder`` (hidden ones included) with a digest of its bytes."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(folder.rglob("*"))}


@pytest.fixture
def quick_build(monkeypatch):
    """Validation, rendering, exports and mkdocs replaced by trivial stages; returns a list of the sites built."""
    built: list[Path] = []
    # no issues: mkdocs on a thread; no records: no full collection between the stages
    ledger = types.SimpleNamespace(package=types.SimpleNamespace(as_of=dt.date(2026, 4, 30)), issues=(), records=0)
    monkeypatch.setattr(build_module, "validate", lambda data, cache=None: (fd.Report(()), ledger))
    monkeypatch.setattr(build_module, "compute_all", lambda ledger: {})

    def render_all(ledger, write, pages_done, **stages):
        write(File("page.md", "# page"))
        pages_done({})  # as the real one: once every page is written (mkdocs starts there)
        return {}

    monkeypatch.setattr(build_module, "render_all", render_all)
    monkeypatch.setattr(build_module, "inject_blocks", lambda docs, blocks, pages=None: None)
    monkeypatch.setattr(build_module, "export_downloads",
                        lambda ledger, files_root, cache: PendingDownloads(Exported(), None))

    def run_mkdocs(config_file, docs, site_out, epoch):
        site_out.mkdir()
        (site_out / "index.html").write_text("new site", encoding="utf-8")
        built.append(site_out)

    monkeypatch.setattr(build_module, "run_mkdocs", run_mkdocs)
    return built


@pytest.fixture
def data(tmp_path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "issues.csv").write_text("id\n1\n", encoding="utf-8")
    return folder


@pytest.fixture
def working_folder(tmp_path) -> Path:
    """A fork's working folder: data, git history, sources; `--out .` here must touch none of it."""
    work = tmp_path / "fork"
    (work / "data").mkdir(parents=True)
    (work / "data" / "issues.csv").write_text("id\n1\n", encoding="utf-8")
    (work / ".git").mkdir()
    (work / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    (work / "README.md").write_text("# 我们县的台账\n", encoding="utf-8")
    return work


def overlap(out: Path, data: Path) -> str:
    return (f"Error: --out {out} 与数据文件夹 {data} 重叠：网站必须生成到它们之外的文件夹。"
            f" Refused: the output overlaps {data}.\n")


def refusal(out: Path) -> str:
    return (f"Error: {out} 不是 ledger build 生成的网站（没有 .sunshine-ledger-site 标记文件）也不是空文件夹，"
            f"为免误删，生成已停止，什么都没有改动。请换一个 --out，或确认其中内容无用后自行删除。"
            f" Refused: {out} is neither empty nor a site built by ledger; nothing was touched.\n")


# --- 1. --out deletes whatever folder it is given ---

@pytest.mark.parametrize("data_arg", ["data", "elsewhere"])
def test_build_out_dot_deletes_the_working_folder(quick_build, working_folder, monkeypatch, data_arg):
    elsewhere = working_folder.parent / "elsewhere"
    elsewhere.mkdir()
    before = tree(working_folder)
    monkeypatch.chdir(working_folder)
    result = CliRunner().invoke(cli, ["build", "--data", str(working_folder.parent / data_arg if data_arg == "elsewhere"
                                                               else data_arg), "--out", "."])
    assert result.exit_code == 2
    if data_arg == "data":  # the data is inside the output folder
        assert result.output == overlap(working_folder, working_folder / "data")
    else:
        assert result.output == refusal(working_folder)
    assert tree(working_folder) == before
    assert sorted(p.name for p in working_folder.parent.iterdir()) == ["elsewhere", "fork"]  # no lock, staging, old
    assert quick_build == []


def test_build_out_data_deletes_the_data(quick_build, working_folder, monkeypatch):
    before = tree(working_folder)
    monkeypatch.chdir(working_folder)
    result = CliRunner().invoke(cli, ["build", "--out", "data"])
    assert result.exit_code == 2
    assert result.output == overlap(working_folder / "data", working_folder / "data")
    assert tree(working_folder) == before


def test_build_out_deletes_a_folder_of_someone_else(quick_build, data, tmp_path):
    other = tmp_path / "photos"
    other.mkdir()
    (other / "2026.jpg").write_bytes(b"\xff\xd8 a photo")
    (other / MARKER).write_text("not our marker\n", encoding="utf-8")  # a marker file must have our content
    before = tree(tmp_path)
    result = CliRunner().invoke(cli, ["build", "--data", str(data), "--out", str(other)])
    assert result.exit_code == 2
    assert result.output == refusal(other)
    assert tree(tmp_path) == before


def test_build_out_deletes_a_file_given_as_out(quick_build, data, tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("keep me", encoding="utf-8")
    with pytest.raises(build_module.Refused, match="不是文件夹"):
        build(BuildConfig(data=data, out=target))
    assert target.read_text(encoding="utf-8") == "keep me"


def test_build_replaces_only_a_missing_empty_or_marked_folder(quick_build, data, tmp_path):
    missing, empty = tmp_path / "public", tmp_path / "empty"
    empty.mkdir()
    for out in (missing, empty, missing):  # the third build replaces the site the first one made
        build(BuildConfig(data=data, out=out))
        assert sorted(p.name for p in out.iterdir()) == [MARKER, "index.html"]
        assert (out / MARKER).read_text(encoding="utf-8") == MARKER_TEXT
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "empty", "public"]


@pytest.mark.parametrize("name", [".public.staging", ".public.old"])
def test_staging_and_old_folders_delete_a_users_folder_of_that_name(quick_build, data, tmp_path, name):
    users = tmp_path / name
    users.mkdir()
    (users / "mine.txt").write_text("mine", encoding="utf-8")
    build(BuildConfig(data=data, out=tmp_path / "public"))
    build(BuildConfig(data=data, out=tmp_path / "public"))  # a second build swaps an old site out
    assert tree(users) == {"mine.txt": hashlib.sha256(b"mine").hexdigest()}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, "data", "public"])


def test_leftovers_of_a_killed_build_are_removed_but_only_ours(quick_build, data, tmp_path):
    out = tmp_path / "public"
    ours = build_module.temporary_folder(out, "staging")  # what a killed build leaves behind
    (ours / "docs").mkdir()
    users = tmp_path / ".public.staging-mine"
    users.mkdir()
    build(BuildConfig(data=data, out=out))
    assert not ours.exists() and users.is_dir()


def test_the_marker_is_in_a_real_site_but_not_a_page(tiny, tmp_path):
    out = build(BuildConfig(data=tiny, out=tmp_path / "public")).out
    assert (out / MARKER).read_bytes() == MARKER_TEXT.encode("utf-8")
    assert MARKER not in (out / "sitemap.xml").read_text(encoding="utf-8")
    assert not [p for p in out.rglob("*.html") if MARKER in p.read_text(encoding="utf-8")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["public", "tiny"]


def test_serve_out_deletes_whatever_folder_it_is_given(quick_build, working_folder, data, monkeypatch):
    import pipeline.serve as serve_module

    def no_server(*args, **kwargs):
        raise AssertionError("serve started a server for a folder that is not ours")

    monkeypatch.setattr(serve_module, "PreviewServer", no_server)
    before = tree(working_folder)
    result = CliRunner().invoke(cli, ["serve", "--data", str(data), "--out", str(working_folder)])
    assert result.exit_code == 2
    assert result.output == refusal(working_folder)
    assert tree(working_folder) == before


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_clean_deletes_a_folder_that_is_not_a_site(tmp_path, working_folder):
    shutil.copy(REPO / "Makefile", tmp_path / "Makefile")  # run outside the real tree: clean removes caches
    site = tmp_path / "public"
    site.mkdir()
    (site / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
    (site / "index.html").write_text("site", encoding="utf-8")
    before = tree(working_folder)
    for out in ("fork", "fork/data", "."):
        result = subprocess.run(["make", "-s", "-C", str(tmp_path), "clean", f"OUT={out}"], capture_output=True, text=True)
        assert result.returncode == 2
        assert result.stderr.splitlines()[0] == (
            f"make clean: {out} 不是 ledger build 生成的网站（没有 .sunshine-ledger-site 标记文件），没有删除任何东西。"
            f" Refused: {out} is not a site built by ledger; nothing was removed.")
    assert tree(working_folder) == before
    result = subprocess.run(["make", "-s", "-C", str(tmp_path), "clean", "OUT=public"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Makefile", "fork"]


# --- 2. every written path stays inside the staging folder ---

ESCAPING = ["../../x", "../x.md", "a/../../x", "/tmp/x", "a\\..\\..\\x", "a\nb.md", "a/./b", "a//b", "", "C:/x"]


@pytest.mark.parametrize("path", ESCAPING)
def test_a_generated_path_leaving_the_staging_folder(tmp_path, path):
    docs, verbatim = tmp_path / "stage" / "docs", tmp_path / "stage" / "verbatim"
    docs.mkdir(parents=True)
    before = tree(tmp_path)
    generated = GeneratedFiles(docs, verbatim)
    for is_verbatim in (False, True):
        with pytest.raises(BuildError, match=f"^拒绝写出生成的文件 {re_escape(repr(path))}："):
            generated.write(File(path, "escaped", verbatim=is_verbatim))
    assert tree(tmp_path) == before


def test_a_section_rendering_a_path_out_of_the_staging_folder(quick_build, data, tmp_path, monkeypatch):
    monkeypatch.setattr(build_module, "render_all", lambda ledger, write, **stages: write(File("../../escape.md", "x")) or {})
    result = CliRunner().invoke(cli, ["build", "--data", str(data), "--out", str(tmp_path / "public")])
    assert result.exit_code == 1
    assert result.output == ("Error: 生成失败，原有网站保持不变：拒绝写出生成的文件 '../../escape.md'："
                             "含 ..、. 或空的路径段 (an empty, '.' or '..' part)。"
                             " A site section renders the file '../../escape.md', which the build refuses to write.\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]
    assert not (tmp_path.parent / "escape.md").exists()


def re_escape(text: str) -> str:
    import re

    return re.escape(text)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.lists(st.sampled_from(["..", ".", "", "a", "b.md", "c:", "..\\..", "d\n"]), max_size=6).map("/".join),
                 st.text(alphabet="./\\\nab:", max_size=10)))
def test_a_generated_path_never_leaves_the_staging_folder(tmp_path_factory, path):
    root = tmp_path_factory.mktemp("stage")
    docs = root / "inside" / "docs"
    docs.mkdir(parents=True)
    try:
        GeneratedFiles(docs, root / "inside" / "verbatim").write(File(path, "x"))
    except BuildError:
        pass
    except OSError:
        pass  # a path naming a folder that exists (`a/` after `a/b`): refused by the file system, inside
    outside = [p for p in root.rglob("*") if p.is_file() and docs not in p.parents]
    assert outside == []


def test_a_resource_name_leaving_the_downloads_folder(tmp_path):
    ledger = types.SimpleNamespace(package=types.SimpleNamespace(resource_names=["issues", "../../x"]))
    with pytest.raises(BuildError, match=r"^资源名 '\.\./\.\./x' 不能用作下载文件名：含 \.\.、\. 或空的路径段"):
        build_module.export_downloads(ledger, tmp_path / "verbatim", None)
    assert list(tmp_path.iterdir()) == []


# --- 3. two builds into one --out ---

BUSY = "另一个构建正在写入 {out}，请等它结束后再试。 Another build is writing {out}; try again when it has finished."


def test_two_builds_into_one_out_kill_each_other(quick_build, data, tmp_path, monkeypatch):
    """A second build (here a thread) while the first is inside mkdocs stops at once; the first finishes."""
    out = tmp_path / "public"
    in_mkdocs, may_finish = threading.Event(), threading.Event()
    slow_mkdocs = build_module.run_mkdocs

    def waiting_mkdocs(*args):
        in_mkdocs.set()
        assert may_finish.wait(30)
        slow_mkdocs(*args)

    monkeypatch.setattr(build_module, "run_mkdocs", waiting_mkdocs)
    first: list[object] = []
    thread = threading.Thread(target=lambda: first.append(build(BuildConfig(data=data, out=out))))
    thread.start()
    try:
        assert in_mkdocs.wait(30)
        monkeypatch.setattr(build_module, "run_mkdocs", slow_mkdocs)
        result = CliRunner().invoke(cli, ["build", "--data", str(data), "--out", str(out)])
        assert result.exit_code == 2
        assert result.output == "Error: " + BUSY.format(out=out) + "\n"
    finally:
        may_finish.set()
        thread.join(30)
    assert len(first) == 1 and len(quick_build) == 1
    assert (out / "index.html").read_text(encoding="utf-8") == "new site"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "public"]  # the lock file is gone too


def test_a_build_while_another_process_holds_the_lock(tmp_path, tiny):
    out = tmp_path / "public"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pathlib import Path; from pipeline.build import output_lock\n"
         f"with output_lock(Path({str(out)!r})):\n    print('locked', flush=True); sys.stdin.readline()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        assert holder.stdout.readline() == "locked\n"
        result = subprocess.run([sys.executable, "-m", "pipeline", "build", "--data", str(tiny), "--out", str(out)],
                                capture_output=True, text=True)
        assert result.returncode == 2
        assert result.stderr == "Error: " + BUSY.format(out=out) + "\n"
    finally:
        holder.communicate("\n", timeout=30)
    assert holder.returncode == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny"]


def test_a_lock_file_of_someone_else_is_neither_used_nor_removed(quick_build, data, tmp_path):
    lock = tmp_path / ".public.lock"
    lock.write_text("my notes\n", encoding="utf-8")
    with pytest.raises(build_module.Refused, match=r"\.public\.lock 不是本程序的锁文件"):
        build(BuildConfig(data=data, out=tmp_path / "public"))
    assert lock.read_text(encoding="utf-8") == "my notes\n"
    assert not (tmp_path / "public").exists()


def test_a_stale_lock_of_a_killed_build_does_not_stop_the_next(quick_build, data, tmp_path):
    (tmp_path / ".public.lock").write_text("sunshine-ledger build lock\n", encoding="utf-8")
    build(BuildConfig(data=data, out=tmp_path / "public"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "public"]


def test_build_out_inside_the_site_sources_would_publish_itself(quick_build, data, tmp_path):
    site = tmp_path / "site"
    shutil.copytree(REPO / "site", site)
    before = tree(site)
    with pytest.raises(build_module.Refused, match=r"^--out .* 与网站源文件夹 .* 重叠"):
        build(BuildConfig(data=data, out=site / "public", site=site))
    assert tree(site) == before


def test_an_output_inside_the_data_folder_is_allowed(quick_build, data):
    """datapackage.json may sit at the top of a repository, with public/ beside the resources."""
    out = build(BuildConfig(data=data, out=data / "public")).out
    assert (out / MARKER).read_text(encoding="utf-8") == MARKER_TEXT
    assert (data / "issues.csv").read_text(encoding="utf-8") == "id\n1\n"


# A build run as `python -m pipeline`, with an audit hook that writes "OPENED <path>" to stderr for every
# path opened below TMPDIR, at once (the build's process may end by os._exit: pipeline/core/process_end.py).
_OPENS_BELOW_TMPDIR = """
import os, runpy, sys
below = os.environ["TMPDIR"] + os.sep

def opened(event, args):
    if event == "open" and isinstance(args[0], (str, bytes)) and os.fsdecode(args[0]).startswith(below):
        os.write(2, ("OPENED " + os.fsdecode(args[0]) + "\\n").encode())

sys.addaudithook(opened)
runpy.run_module("pipeline", run_name="__main__", alter_sys=True)
"""


def _opened(stderr: str) -> list[Path]:
    return [Path(line[len("OPENED "):]) for line in stderr.splitlines() if line.startswith("OPENED ")]


def test_a_build_leaves_nothing_in_the_system_temporary_folder(tiny, tmp_path):
    """jieba (the search's word cutter) keeps its dictionary cache in the system temporary folder and loads
    any jieba.cache it finds there; a build makes it in a folder of its own and removes it."""
    system_temp = tmp_path / "system-temp"
    system_temp.mkdir()
    planted = system_temp / "jieba.cache"
    env = {**os.environ, "TMPDIR": str(system_temp), "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-c", _OPENS_BELOW_TMPDIR, "build", "--data", str(tiny), "--out", str(tmp_path / "site"),
               "--no-cache"]
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in system_temp.iterdir()) == []
    # jieba's dictionary is written in the build's own folder (others, openpyxl's, come and go too)
    assert any(path.parent.name.startswith("sunshine-ledger-jieba-") for path in _opened(result.stderr))
    planted.write_bytes(b"not a dictionary")  # a planted cache is neither read nor replaced
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in system_temp.iterdir()) == ["jieba.cache"]
    assert planted.read_bytes() == b"not a dictionary"
    assert planted not in _opened(result.stderr)
    assert any(path.parent.name.startswith("sunshine-ledger-jieba-") for path in _opened(result.stderr))


def test_a_build_prints_its_one_line_and_nothing_of_the_word_cutter(tiny, tmp_path):
    """The defect: under the build's line, jieba printed setuptools' deprecation warning for pkg_resources
    and four lines of its own log, one naming a folder in /tmp (first build of a process: `make site`)."""
    out = tmp_path / "site"
    result = subprocess.run([sys.executable, "-m", "pipeline", "build", "--data", str(tiny), "--out", str(out),
                             "--no-cache"], capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert re.fullmatch(rf"已生成 54 个页面到 {re.escape(str(out))}（\d+\.\d 秒）。 Built 54 pages into "
                        rf"{re.escape(str(out))} in \d+\.\d s\.\n", result.stdout), result.stdout


def test_serve_on_a_port_in_use_says_so_before_building(tmp_path, monkeypatch):
    """The defect: a port in use was an internal error (exit 3), after a whole build."""
    import socket

    import pipeline.serve as serve_module

    monkeypatch.setattr(serve_module, "build", lambda config: pytest.fail("built although the port is taken"))
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        result = CliRunner().invoke(cli, ["serve", "--data", str(tmp_path), "--out", str(tmp_path / "public"),
                                          "--port", str(port), "--no-watch"])
    finally:
        taken.close()
    assert result.exit_code == 2
    assert result.output == (f"Error: 端口 {port} 已被占用（可能另一个 ledger serve 或程序正在用它）：请换一个端口，例如 --port 8000；"
                             f"没有生成任何内容。 Refused: port {port} cannot be used (Address already in use).\n")
    assert not (tmp_path / "public").exists()


@pytest.mark.parametrize("link_to_folder", [False, True])
def test_a_link_in_the_site_sources_leading_out_of_them_is_refused(tmp_path, link_to_folder):
    """The defect: `site/assets/notes.txt -> ~/.ssh/id_rsa` was copied into the site and published."""
    data = make_tiny(tmp_path / "data")
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "id_rsa").write_text("PRIVATE KEY\n", encoding="utf-8")
    site = tmp_path / "site"
    shutil.copytree(REPO / "site", site)
    target = secret if link_to_folder else secret / "id_rsa"
    (site / "assets" / "notes").symlink_to(target)
    with pytest.raises(BuildError) as failed:
        build(BuildConfig(data=data, out=tmp_path / "public", site=site))
    assert str(failed.value) == (
        f"网站源文件夹中的 assets/notes 是指向文件夹之外（{target}）的符号链接，生成已停止：它指向的内容会被发布到网站上。"
        "请把文件本身放进 site/，或删除这个链接。 assets/notes in the site sources links outside them; its target would be "
        "published.")
    assert not (tmp_path / "public").exists()


def test_a_link_inside_the_site_sources_is_copied_as_before(tmp_path):
    data = make_tiny(tmp_path / "data")
    site = tmp_path / "site"
    shutil.copytree(REPO / "site", site)
    (site / "assets" / "ledger-copy.css").symlink_to(site / "assets" / "ledger.css")
    out = build(BuildConfig(data=data, out=tmp_path / "public", site=site)).out
    assert (out / "assets" / "ledger-copy.css").read_bytes() == (site / "assets" / "ledger.css").read_bytes()


def test_personal_data_in_a_page_the_office_writes_stops_the_build(tmp_path):
    """The data's rule holds for the hand-written pages too: a staff member's mobile on 关于 would publish."""
    data = make_tiny(tmp_path / "data")
    site = tmp_path / "site"
    shutil.copytree(REPO / "site", site)
    about = site / "about.md"
    lines = about.read_text(encoding="utf-8").splitlines()
    about.write_text("\n".join(lines + ["", "联系人：王明，手机 138 1234 5678。"]) + "\n", encoding="utf-8")
    with pytest.raises(BuildError) as failed:
        build(BuildConfig(data=data, out=tmp_path / "public", site=site))
    assert str(failed.value) == (
        f"网站源文件 site/about.md 第 {len(lines) + 2} 行含有个人姓名（王*），生成已停止：公开的网站不得包含个人信息，"
        f"请删除或改写（姓名写成“张某”“张先生”）。 about.md line {len(lines) + 2} holds personal data (王*).")
    assert not (tmp_path / "public").exists()

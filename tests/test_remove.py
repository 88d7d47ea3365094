"""``remove_tree`` (pipeline/core/remove.py) removes exactly the folder it is given, as
``shutil.rmtree(ignore_errors=True)`` does, with its unlinks on threads: every file and folder in it, and
no file outside it, whatever links it holds."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pipeline.core.remove as remove
from pipeline.core.remove import remove_tree


def snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every path below ``folder``: a file's bytes, a link's target, a folder as "folder"."""
    found: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        found[rel] = f"link {os.readlink(path)}" if path.is_symlink() else "folder" if path.is_dir() else path.read_bytes()
    return found


def outside_and_tree(tmp_path: Path) -> tuple[Path, Path]:
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    (outside / "keep.txt").write_bytes(b"keep")
    (outside / "deep" / "keep.html").write_bytes(b"<p>keep</p>")
    tree = tmp_path / ".public.old-abc"
    (tree / "previous" / "api" / "lookup").mkdir(parents=True)
    (tree / "previous" / "empty").mkdir()
    for n in range(20):
        (tree / "previous" / "api" / "lookup" / f"{n:02d}.json").write_bytes(b"{}")
    (tree / "previous" / "index.html").write_text("<p>old</p>", encoding="utf-8")
    (tree / "previous" / "to-file").symlink_to(outside / "keep.txt")
    (tree / "previous" / "to-folder").symlink_to(outside / "deep", target_is_directory=True)
    (tree / "previous" / "dangling").symlink_to(tmp_path / "nowhere")
    return outside, tree


def test_the_folder_goes_and_what_its_links_point_to_stays(tmp_path, monkeypatch):
    monkeypatch.setattr(remove, "CHUNK", 3)  # the lookup folder's 20 files in seven tasks
    outside, tree = outside_and_tree(tmp_path)
    before = snapshot(outside)
    remove_tree(tree)
    assert not tree.exists() and not tree.is_symlink()
    assert snapshot(outside) == before == {"deep": "folder", "deep/keep.html": b"<p>keep</p>", "keep.txt": b"keep"}


def test_a_root_that_is_a_link_is_not_followed(tmp_path):
    outside, _ = outside_and_tree(tmp_path)
    before = snapshot(outside)
    link = tmp_path / "link"
    link.symlink_to(outside, target_is_directory=True)
    remove_tree(link)
    assert link.is_symlink() and snapshot(outside) == before  # as shutil.rmtree(ignore_errors=True) leaves it


def test_a_missing_folder_or_a_file_is_no_error(tmp_path):
    remove_tree(tmp_path / "missing")
    (tmp_path / "file.txt").write_bytes(b"x")
    remove_tree(tmp_path / "file.txt")
    assert (tmp_path / "file.txt").read_bytes() == b"x"  # rmtree does not remove a file: neither does this


def test_what_a_thread_could_not_unlink_is_removed_after(tmp_path, monkeypatch):
    _, tree = outside_and_tree(tmp_path)
    unlinked: list[str] = []
    real = remove._unlink_each

    def every_other(folder: int, names: list[str]) -> None:
        unlinked.extend(names[::2])
        real(folder, names[::2])

    monkeypatch.setattr(remove, "_unlink_each", every_other)
    remove_tree(tree)
    assert unlinked and not tree.exists()


def test_a_folder_replaced_by_a_link_after_it_was_listed_is_not_entered(tmp_path, monkeypatch):
    outside, tree = outside_and_tree(tmp_path)
    before = snapshot(outside)
    lookup = tree / "previous" / "api" / "lookup"
    real_open = os.open
    swapped: list[str] = []

    def swapping_open(path, flags, *args, **kwargs):
        if path == "lookup" and not swapped:  # listed as a folder, a link by the time it is opened
            lookup.rename(tree / "previous" / "moved")
            lookup.symlink_to(outside / "deep", target_is_directory=True)
            swapped.append(path)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(remove.os, "open", swapping_open)
    remove_tree(tree)
    assert swapped == ["lookup"] and snapshot(outside) == before and not tree.exists()


def test_a_tree_deeper_than_the_recursion_limit_goes_whole(tmp_path):
    import sys

    tree = tmp_path / "tree"
    deepest = tree
    levels = sys.getrecursionlimit() + 100
    deepest.mkdir()
    descriptor = os.open(deepest, os.O_RDONLY)
    for _ in range(levels):  # made relative to a descriptor: the whole path would be over PATH_MAX
        os.mkdir("d", dir_fd=descriptor)
        inner = os.open("d", os.O_RDONLY, dir_fd=descriptor)
        os.close(descriptor)
        descriptor = inner
    with open(os.open("last.txt", os.O_WRONLY | os.O_CREAT, dir_fd=descriptor), "wb") as handle:
        handle.write(b"x")
    os.close(descriptor)
    remove_tree(tree)
    assert not tree.exists()


NAMES = st.sampled_from(["a", "b", "index.html", "中文.json", ".hidden", "x y"])


@st.composite
def trees(draw, depth: int = 0):
    """A folder's entries: name → bytes (a file), a dict (a folder) or ("link", target)."""
    entries = {}
    for name in draw(st.lists(NAMES, max_size=4, unique=True)):
        kind = draw(st.sampled_from(["file", "file", "folder", "link"]) if depth < 3 else st.just("file"))
        if kind == "file":
            entries[name] = draw(st.binary(max_size=8))
        elif kind == "folder":
            entries[name] = draw(trees(depth=depth + 1))
        else:
            entries[name] = ("link", draw(st.sampled_from(["outside", "outside/keep.txt", "outside/deep", ".", ".."])))
    return entries


def make(folder: Path, entries: dict, tmp_path: Path) -> None:
    folder.mkdir()
    for name, entry in entries.items():
        if isinstance(entry, bytes):
            (folder / name).write_bytes(entry)
        elif isinstance(entry, dict):
            make(folder / name, entry, tmp_path)
        else:
            target = entry[1]
            (folder / name).symlink_to(tmp_path / target if target.startswith("outside") else target)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=trees(), chunk=st.integers(1, 4))
def test_any_tree_goes_whole_and_nothing_outside_changes(tmp_path_factory, monkeypatch, entries, chunk):
    monkeypatch.setattr(remove, "CHUNK", chunk)
    tmp_path = tmp_path_factory.mktemp("remove")
    outside, _ = outside_and_tree(tmp_path)
    before = snapshot(outside)
    make(tmp_path / "tree", entries, tmp_path)
    remove_tree(tmp_path / "tree")
    assert not (tmp_path / "tree").exists() and not (tmp_path / "tree").is_symlink()
    assert snapshot(outside) == before

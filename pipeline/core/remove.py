"""Removing a folder the build owns (the site it replaced, its staging folder), the unlinks spread over threads.

A rebuild at a million issues ends by removing the site it replaced: about 87,000 files. ``shutil.rmtree``
took 17.3 s of the rebuild's 108 s for it, on the path that ends the build, with about 6 s of processor
time: the rest was each unlink waiting for the file system, one after another. The same unlinks from
eight threads took 5.4 s against 18.1 s on a copy of that site (docs/scale.md).

Nothing outside the folder is touched, whatever its links say. Every folder below it is opened relative
to its parent's descriptor with ``O_NOFOLLOW`` and its entries are unlinked by name relative to that
descriptor, so a link (to a file or a folder, anywhere) is removed, never followed, and a folder replaced
by a link while the removal runs is not entered (the protection ``shutil.rmtree`` gives with its own
descriptors). The emptied folders, and anything a failed unlink left, then go through ``shutil.rmtree``.
"""

from __future__ import annotations

import os
import shutil
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path

UNLINK_THREADS = 8  # unlinks mostly wait for the file system: more threads than cores overlap the waits
CHUNK = 256  # names a task unlinks: few tasks, and a large folder still spread over every thread
_FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def remove_tree(root: Path) -> None:
    """Remove ``root`` and everything in it, as ``shutil.rmtree(root, ignore_errors=True)`` does: a
    missing ``root`` is nothing to do, and what cannot be removed is left without an error. A ``root``
    that is a link is not followed (rmtree leaves it, and so does this)."""
    if os.name == "posix" and os.scandir in os.supports_fd and os.unlink in os.supports_dir_fd:
        try:
            top = os.open(root, _FOLDER_FLAGS)
        except OSError:  # missing, a link or not a folder: rmtree says what to do with it
            top = None
        if top is not None:
            try:
                with ThreadPoolExecutor(max_workers=UNLINK_THREADS, thread_name_prefix="remove") as pool:
                    _unlink_files(top, pool)
            finally:
                os.close(top)
    shutil.rmtree(root, ignore_errors=True)


def _unlink_files(folder: int, pool: ThreadPoolExecutor) -> None:
    """Unlink every entry but the folders of the folder open as ``folder``, then do the same in each of
    those folders; returns once every unlink below it is done (its descriptor is closed after)."""
    names, folders = [], []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                (folders if entry.is_dir(follow_symlinks=False) else names).append(entry.name)
    except OSError:
        return
    tasks: list[Future] = [pool.submit(_unlink_each, folder, names[start:start + CHUNK])
                           for start in range(0, len(names), CHUNK)]
    for name in folders:
        try:
            inner = os.open(name, _FOLDER_FLAGS, dir_fd=folder)
        except OSError:  # gone, or replaced by a link since it was listed: not entered
            continue
        try:
            _unlink_files(inner, pool)
        finally:
            os.close(inner)
    wait(tasks)


def _unlink_each(folder: int, names: list[str]) -> None:
    for name in names:
        try:
            os.unlink(name, dir_fd=folder)
        except OSError:
            pass  # left for rmtree, which ignores it too

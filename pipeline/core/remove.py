"""Removing a folder the build owns (the site it replaced, its staging folder), the unlinks spread over threads.

A rebuild at a million issues ends by removing the site it replaced: about 87,000 files. ``shutil.rmtree``
took 17.3 s of the rebuild's 108 s for it, on the path that ends the build, with about 6 s of processor
time: the rest was each unlink waiting for the file system, one after another. The same unlinks from
eight threads took 5.4 s against 18.1 s on a copy of that site (docs/scale.md).

Nothing outside the folder is touched, whatever its links say. Every folder below it is opened relative
to its parent's descriptor with ``O_NOFOLLOW`` and its entries are unlinked by name relative to that
descriptor, so a link (to a file or a folder, anywhere) is removed, never followed, and a folder replaced
by a link while the removal runs is not entered (the protection ``shutil.rmtree`` gives with its own
descriptors). Each folder is removed once it is empty; anything a failed unlink left then goes through
``shutil.rmtree``.
"""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor, wait
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
            with ThreadPoolExecutor(max_workers=UNLINK_THREADS, thread_name_prefix="remove") as pool:
                _empty(top, pool)
    shutil.rmtree(root, ignore_errors=True)


class _Folder:
    """A folder open by descriptor, listed, its files' unlinks handed to the pool, its folders still to enter."""

    def __init__(self, fd: int, name: str | None, pool: ThreadPoolExecutor):
        self.fd, self.name = fd, name  # name: in the folder above (None for the top)
        names, folders = [], []
        try:
            with os.scandir(fd) as entries:
                for entry in entries:
                    (folders if entry.is_dir(follow_symlinks=False) else names).append(entry.name)
        except OSError:
            pass
        self.folders = iter(folders)
        self.tasks = [pool.submit(_unlink_each, fd, names[start:start + CHUNK]) for start in range(0, len(names), CHUNK)]

    def done(self) -> None:
        """Wait for its unlinks, then close it (they use its descriptor)."""
        wait(self.tasks)
        os.close(self.fd)


def _empty(top: int, pool: ThreadPoolExecutor) -> None:
    """Unlink everything below the folder open as ``top`` and remove its folders, depth first, without
    recursion (a deep tree is no error); takes ``top``'s descriptor and closes it. One descriptor is open
    for each level of the folder being worked on."""
    path = [_Folder(top, None, pool)]
    try:
        while path:
            current = path[-1]
            name = next(current.folders, None)
            if name is not None:
                try:
                    path.append(_Folder(os.open(name, _FOLDER_FLAGS, dir_fd=current.fd), name, pool))
                except OSError:  # gone, or replaced by a link since it was listed: not entered
                    pass
                continue
            path.pop().done()
            if path:
                try:
                    os.rmdir(current.name, dir_fd=path[-1].fd)  # type: ignore[arg-type]
                except OSError:
                    pass  # left for rmtree
    finally:
        for folder in reversed(path):  # after an error: nothing left open
            folder.done()


def _unlink_each(folder: int, names: list[str]) -> None:
    for name in names:
        try:
            os.unlink(name, dir_fd=folder)
        except OSError:
            pass  # left for rmtree, which ignores it too

"""One writer at a time: a build's output folder, and a data package, each changed by one command.

A build holds ``.{out}.lock`` beside its output folder (the folder itself is replaced by the build, so
the lock cannot be on it); a command that changes a data package (``ledger import --out``, ``ledger
split``, the inbox's apply) holds the data folder itself, so that two imports into one file cannot both
read the old file and the second overwrite the rows the first added. Either is ``flock``, taken without
waiting: a second command stops at once with exit 2 and nothing changed. The build's lock file is
removed while still held, so a build that opened it meanwhile sees another file and tries a fresh one;
a file of that name that holds anything but this program's text is someone else's, neither used nor
removed.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

BUILD_TEXT = "sunshine-ledger build lock\n"


class LockBusy(Exception):
    """Another process holds the lock."""


class ForeignLock(Exception):
    """A file of the lock's name that this program did not write."""


def beside(folder: Path) -> Path:
    """The lock file of ``folder``: ``.{name}.lock`` in its parent (outside it, so that nothing in it changes)."""
    folder = Path(os.path.abspath(folder))
    return folder.parent / f".{folder.name}.lock"


@contextlib.contextmanager
def held(lock: Path, text: str) -> Iterator[None]:
    """Hold ``lock`` (created with ``text`` if absent) until the block ends; ``LockBusy`` if another
    process holds it, ``ForeignLock`` if the file holds other text."""
    import fcntl

    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if not _same_file(fd, lock):  # the previous holder removed it while we waited: take a fresh one
                os.close(fd)
                continue
            if os.pread(fd, 256, 0) not in (b"", text.encode("utf-8")):
                raise ForeignLock(str(lock))
            os.pwrite(fd, text.encode("utf-8"), 0)
        except BlockingIOError:
            os.close(fd)
            raise LockBusy(str(lock)) from None
        except BaseException:
            os.close(fd)
            raise
        break
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(lock)  # while still holding it: a waiting command then sees a different file and retries
        os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False


class DataLocked(Exception):
    """A data package another command is changing: the message says so, in Chinese and English."""


@contextlib.contextmanager
def data_package(data: Path) -> Iterator[None]:
    """Hold the data package ``data`` for a command that changes it: ``flock`` on the folder itself, so
    that no file is written beside it or in it (its parent may not be writable, and a file in it would
    be one more file of the package). A folder that does not exist is not held: the command then stops
    on reading it."""
    import fcntl

    try:
        fd = os.open(data, os.O_RDONLY | os.O_DIRECTORY)
    except (FileNotFoundError, NotADirectoryError):
        fd = None
    if fd is None:
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DataLocked(f"另一个命令（导入或拆分）正在修改数据包 {data}，请等它结束后再试；没有改动任何文件。"
                             f" Another command is changing the data package {data}; try again when it has "
                             "finished. Nothing was changed.") from None
        yield
    finally:
        os.close(fd)  # releases the lock

"""The folders a command makes for what it writes, and only those: made when missing, removed again (if
still empty) when the command gives up, and a path through a file refused before anything is written."""

from __future__ import annotations

from pathlib import Path

# Files that mark a folder as the build's own output: a built site (the build replaces, and `make clean`
# removes, only a folder holding it) and the downloads hosted elsewhere (``<out>-release``).
SITE_MARKER = ".sunshine-ledger-site"
RELEASE_MARKER = ".sunshine-ledger-release"


class ThroughAFile(Exception):
    """A path to write whose folder would have to be made where a file stands (``--out 台账.xlsx/x.csv``)."""

    def __init__(self, path: Path, blocking: Path):
        super().__init__(f"{path}: {blocking} is a file")
        self.path, self.blocking = path, blocking

    def zh(self, option: str) -> str:
        return (f"{option} {self.path}：其中的 {self.blocking} 是文件，不是文件夹，无法在它下面写入。"
                "请换一个路径。没有改动任何文件。")


def blocking_file(folder: Path) -> Path | None:
    """The file that stands where ``folder`` or one of its parents should be a folder, if any."""
    for path in (folder, *folder.parents):
        if path.is_dir():
            return None
        if path.exists() or path.is_symlink():  # a file, or a link to nothing
            return path
    return None


def check_writable_under(folder: Path, target: Path | None = None) -> None:
    """Raise ``ThroughAFile`` (naming ``target``, a path inside it, if given) if ``folder`` cannot be made
    because a file stands in its way."""
    if (blocking := blocking_file(folder)) is not None:
        raise ThroughAFile(target or folder, blocking)


def make(folder: Path, stop: Path | None = None) -> list[Path]:
    """Make ``folder`` and its missing parents (none above ``stop``); return those made, outermost first."""
    check_writable_under(folder)
    missing = []
    while folder != stop and not folder.is_dir():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir()
    return missing[::-1]


def remove_if_empty(folders: list[Path]) -> None:
    """Remove folders a command made, deepest first, each only if it is empty (whatever else has come to be
    in one keeps it)."""
    for folder in sorted(folders, key=lambda path: len(path.parts), reverse=True):
        try:
            folder.rmdir()
        except OSError:  # not empty, or gone
            pass

"""What the tests may ask of the real data/: a fork replaces it with its own data, and `make test` passes.

Tests build their own data (tmp_path, the fixtures in conftest.py: `bundled_demo` is the bundled demo
generated afresh). Only tests marked `reads_data` read data/: it must validate (tests/test_data_folder.py);
when it holds a `demo.json` (written by `ledger demo`, naming its arguments) it must be exactly what
`ledger demo` writes with them, and when those are the bundled demo's, changelog/releases.json must
record it. `DataReads` catches any other test that reads data/ (conftest.py fails it).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from pipeline.demo.generator import MARKER

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"

# The arguments `make demo-data` (`ledger demo --out data`) writes the bundled demo with.
BUNDLED_DEMO = {"issues": 3000, "seed": 20261031, "as_of": dt.date(2026, 10, 31)}


def demo_arguments(folder: Path) -> dict | None:
    """The generate() arguments named in folder/demo.json; None when there is none (the folder's own data)."""
    path = folder / MARKER
    if not path.exists():
        return None
    try:
        marker = json.loads(path.read_text(encoding="utf-8"))
        arguments = {"issues": int(marker["issues"]), "seed": int(marker["seed"]),
                     "as_of": dt.date.fromisoformat(marker["as_of"])}
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path.name} does not name the arguments of `ledger demo` ({exc!r}): "
                         f"delete it if the folder holds your own data") from None
    return arguments


class DataReads:
    """Records opening or listing anything inside `folder` between begin() and end() (a sys audit hook).

    Reads by Python code in this process are seen (opening any file in it, listing any folder below
    it); listing the folder itself is not a read, nor is anything done by subprocesses or by native
    code that opens files itself.
    """

    EVENTS = frozenset({"open", "os.scandir", "os.listdir"})

    def __init__(self, folder: Path):
        self.folder = os.path.abspath(folder)
        self.prefix = self.folder + os.sep
        self.watching = False
        self.paths: list[str] = []

    def audit(self, event: str, args: tuple) -> None:
        if not self.watching or event not in self.EVENTS or not args:
            return
        target = args[0]
        if isinstance(target, os.PathLike):
            target = os.fspath(target)
        if not isinstance(target, str):  # a file descriptor, bytes, or None (the current folder)
            return
        if event == "open" and args[1:2] == (None,) and not os.path.isabs(target):
            return  # os.open, perhaps relative to a dir_fd the event does not name (shutil.rmtree uses it)
        path = os.path.abspath(target)
        if path == self.folder and event != "open":
            return  # listing its names only: pkgutil.iter_modules (frictionless's plugin search) does it
        if path == self.folder or path.startswith(self.prefix):
            self.paths.append(path)

    def begin(self) -> None:
        self.paths = []
        self.watching = True

    def end(self) -> list[str]:
        self.watching = False
        paths, self.paths = self.paths, []
        return sorted(set(paths))

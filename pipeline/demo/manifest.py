"""Which files `ledger demo` may overwrite: only the ones it wrote itself, unchanged.

`ledger demo --out data` regenerates the bundled demo; in a county office's fork the same folder
holds real records. So the demo writes ``demo.json`` beside ``datapackage.json``: the arguments it
was called with (so the tests can regenerate the package and compare it byte for byte) and the
SHA-256 of every file it wrote. It writes again only into a folder that is missing, empty, or whose
every file is listed there with that exact content; anything else is refused before a byte is
written. A package of real data has no ``demo.json``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

MANIFEST = "demo.json"


class NotDemoFolder(Exception):
    """The folder holds files the demo did not write (or that were changed since): nothing was written."""


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if (p.is_file() or p.is_symlink()) and p.name != MANIFEST)


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def recorded(folder: Path) -> dict[str, str]:
    """The manifest's {relative path: sha256}; empty when there is none or it cannot be read."""
    try:
        value = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    files = value.get("files") if isinstance(value, dict) else None
    if not isinstance(files, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        return {}
    return files


def foreign_files(folder: Path) -> list[str]:
    """Files in ``folder`` that are not the demo's own output as recorded (relative paths, sorted)."""
    if not folder.exists():
        return []
    if folder.is_symlink() or not folder.is_dir():
        return [folder.name]
    known = recorded(folder)
    foreign = []
    for path in _files(folder):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink() or known.get(rel) != _digest(path):
            foreign.append(rel)
    return foreign


def check_target(folder: Path) -> None:
    """Raise NotDemoFolder unless ``folder`` is missing, empty or unchanged demo output."""
    foreign = foreign_files(folder)
    if foreign:
        shown = "、".join(foreign[:3]) + (f" 等 {len(foreign)} 个文件" if len(foreign) > 3 else "")
        raise NotDemoFolder(
            f"{folder} 中有不是 ledger demo 写出的文件，或写出后被改动过（{shown}）："
            f"为免覆盖真实数据，没有写出任何文件。请换一个空文件夹作为 --out。"
            f" Refused: {folder} holds files the demo did not write; nothing was written.")


NOTES = {"note_zh": "本文件夹是 ledger demo 按上面的参数生成的合成示例数据。换成自己的数据时删除本文件。",
         "note_en": "Synthetic demo data written by `ledger demo` with the arguments above. "
                    "Delete this file when the folder holds your own data."}


def write_manifest(folder: Path, arguments: dict) -> None:
    """Record the arguments and every file now in ``folder`` (all written by the demo, or checked to be its output)."""
    files = {p.relative_to(folder).as_posix(): _digest(p) for p in _files(folder)}
    text = json.dumps(arguments | NOTES | {"files": files}, ensure_ascii=False, indent=2)
    (folder / MANIFEST).write_text(text + "\n", encoding="utf-8", newline="\n")

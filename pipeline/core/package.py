"""Where the data lives: the descriptor, its resources and their files.

The descriptor comes from pull requests, so it is checked before any other
file is opened: a regular file (no symbolic link); resource names of the data
standard only; paths relative, inside the data folder, no ``..``, no URL, no
symbolic link; and schemas exactly the standard's (pipeline/core/descriptor.py).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pipeline.core import findings as fd
from pipeline.core.descriptor import effective, load_standard, standard_for
from pipeline.core.descriptor_checks import DIFFERS, check

DESCRIPTOR = "datapackage.json"
MAX_DESCRIPTOR_BYTES = 16 * 1024 * 1024
MAX_FILE_BYTES = 512 * 1024 * 1024  # larger files are not read at all: one file must fit in memory
# The data standard's "Files at scale": a git host warns at 50 MB and refuses 100 MB, so a larger file
# could not be pushed. Such a file is still read and checked (its other findings are worth having).
HOST_FILE_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class ResourceFile:
    resource: str
    rel: str  # path relative to the data folder, with forward slashes
    abs: Path


@dataclass(frozen=True)
class DataPackage:
    root: Path
    descriptor: dict  # the standard's schemas with the data's own parts (pipeline/core/descriptor.py)
    as_of: dt.date
    findings: tuple[fd.Finding, ...] = ()  # where the descriptor on disk differs from the standard

    def resource(self, name: str) -> dict:
        for res in self.descriptor["resources"]:
            if res.get("name") == name:
                return res
        raise KeyError(name)

    @property
    def resource_names(self) -> list[str]:
        return [res["name"] for res in self.descriptor["resources"]]

    def fields(self, name: str) -> list[dict]:
        return self.resource(name)["schema"]["fields"]

    def field(self, resource: str, field: str) -> dict:
        for item in self.fields(resource):
            if item["name"] == field:
                return item
        raise KeyError(f"{resource}.{field}")

    def files(self, name: str) -> list[ResourceFile]:
        return [ResourceFile(name, rel, self.root / rel) for rel in resource_paths(self.resource(name))]

    def listed(self) -> set[str]:
        """Every data file some resource lists, relative to the package's folder."""
        return {rel for res in self.descriptor["resources"] for rel in resource_paths(res)}


def resource_paths(resource: dict) -> list[str]:
    path = resource.get("path")
    return list(path) if isinstance(path, list) else [path]


class PackageError(Exception):
    """The descriptor cannot be used at all; carries the findings that say why."""

    def __init__(self, findings: list[fd.Finding]):
        super().__init__("; ".join(f.message_en for f in findings))
        self.findings = findings


def path_problem(root: Path, rel: object) -> str | None:
    """Why a descriptor path is unsafe, or None when it is fine."""
    if not isinstance(rel, str) or not rel:
        return "路径必须是非空字符串"
    if "://" in rel or rel.startswith("//"):
        return "不能是网址"
    posix = PurePosixPath(rel.replace("\\", "/"))
    if posix.is_absolute() or (len(rel) > 1 and rel[1] == ":"):
        return "不能是绝对路径"
    if ".." in posix.parts:
        return "不能包含“..”"
    if posix.as_posix() != rel:  # ./issues/2026.csv, issues//2026.csv, issues\2026.csv: one file, many names
        return f"应写成 {posix.as_posix()}"
    if "\0" in rel or len(rel.encode("utf-8")) > 1024 or any(len(part.encode("utf-8")) > 255 for part in posix.parts):
        return "不能含空字符，每一级名称不超过 255 字节（约 85 个汉字），整个路径不超过 1024 字节"
    current = root
    for part in posix.parts:
        current = current / part
        if current.is_symlink():
            return "不能是符号链接"
    return None


def load(root: Path, standard: dict | None = None) -> DataPackage:
    """Read and check the descriptor; raise PackageError with findings if it is unusable.

    Nothing but the descriptor is opened before its resource names and paths are checked.
    The package returned holds the *standard's* schemas (``pipeline/standard.json``, or
    ``standard``) with the descriptor's own parts (as_of, paths, metadata) laid over them;
    where the descriptor differs from the standard elsewhere, ``findings`` says so (errors:
    validation reports them with the data's findings, which are checked against the standard).
    """
    standard = standard if standard is not None else load_standard()
    descriptor = _read_descriptor(root)
    standard = standard_for(descriptor, standard)  # a version-1 package stays valid
    problems = check(descriptor, standard)
    if any(f.code == "package-error" for f in problems):
        raise PackageError(problems)
    differs = tuple(f for f in problems if f.code == DIFFERS)
    problems = [f for f in problems if f.code != DIFFERS]
    as_of = _parse_as_of(descriptor.get("as_of"))
    if as_of is None:
        problems.append(fd.make("package-error", path=DESCRIPTOR, field="as_of", value=_shown(descriptor.get("as_of")),
                                detail="as_of 必须是 YYYY-MM-DD 格式的数据截止日期"))
    for res in descriptor["resources"]:
        for rel in resource_paths(res):
            why = path_problem(root, rel)
            if why:
                problems.append(fd.make("unsafe-path", path=DESCRIPTOR, resource=res["name"], value=_shown(rel),
                                        detail=why))
    if not problems:  # (a resource named twice lists its files twice: its name is the finding then)
        problems += _listed_twice(descriptor)
    if problems:
        raise PackageError(problems)
    return DataPackage(root=root, descriptor=effective(descriptor, standard), as_of=as_of, findings=differs)


def _listed_twice(descriptor: dict) -> list[fd.Finding]:
    """A file in two resources' paths, or twice in one: read twice, every row would repeat itself."""
    listed: dict[str, str] = {}  # path → the resource that lists it first
    found = []
    for res in descriptor["resources"]:
        for rel in resource_paths(res):
            if rel in listed:
                why = (f"这个文件在资源 {listed[rel]} 的 path 中已经列过" if listed[rel] != res["name"]
                       else "这个文件在 path 中列了两次")
                found.append(fd.make("unsafe-path", path=DESCRIPTOR, resource=res["name"], value=_shown(rel), detail=why))
            listed.setdefault(rel, res["name"])
    return found


def _read_descriptor(root: Path) -> object:
    path = root / DESCRIPTOR
    if path.is_symlink():
        raise PackageError([fd.make("package-error", path=DESCRIPTOR,
                                    detail="它是符号链接；描述文件必须是 data 文件夹中的普通文件")])
    if not path.is_file():
        raise PackageError([fd.make("package-error", path=DESCRIPTOR, detail=f"在 {root} 中找不到该文件")])
    if path.stat().st_size > MAX_DESCRIPTOR_BYTES:
        raise PackageError([fd.make("package-error", path=DESCRIPTOR,
                                    detail=f"文件超过 {MAX_DESCRIPTOR_BYTES // (1024 * 1024)} MB")])
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        why = f"（{exc}）" if isinstance(exc, json.JSONDecodeError) else ""
        raise PackageError([fd.make("package-error", path=DESCRIPTOR, detail=f"不是合法的 UTF-8 JSON{why}")]) from None


def _shown(value: object) -> object:
    return value if value is None or isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _parse_as_of(value: object) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None

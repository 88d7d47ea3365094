"""Where the data lives: the descriptor, its resources and their files.

Paths in a descriptor come from pull requests, so each one is checked before
any file is opened: relative, inside the data folder, no ``..``, no URL, no
symbolic link.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pipeline import findings as fd

DESCRIPTOR = "datapackage.json"
MAX_FILE_BYTES = 512 * 1024 * 1024  # a year file of a city hotline (1M rows) is ~250 MB


@dataclass(frozen=True)
class ResourceFile:
    resource: str
    rel: str  # path relative to the data folder, with forward slashes
    abs: Path


@dataclass(frozen=True)
class DataPackage:
    root: Path
    descriptor: dict
    as_of: dt.date

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
    current = root
    for part in posix.parts:
        current = current / part
        if current.is_symlink():
            return "不能是符号链接"
    return None


def load(root: Path) -> DataPackage:
    """Read and check the descriptor; raise PackageError with findings if it is unusable."""
    path = root / DESCRIPTOR
    if not path.is_file():
        raise PackageError([fd.make("package-error", path=DESCRIPTOR, detail=f"在 {root} 中找不到该文件")])
    try:
        descriptor = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PackageError([fd.make("package-error", path=DESCRIPTOR, detail=f"不是合法的 UTF-8 JSON（{exc}）")]) from None
    problems: list[fd.Finding] = []
    if not isinstance(descriptor, dict) or not isinstance(descriptor.get("resources"), list):
        raise PackageError([fd.make("package-error", path=DESCRIPTOR, detail="缺少 resources 列表")])
    as_of = _parse_as_of(descriptor.get("as_of"))
    if as_of is None:
        problems.append(fd.make("package-error", path=DESCRIPTOR, field="as_of", value=descriptor.get("as_of"),
                                detail="as_of 必须是 YYYY-MM-DD 格式的数据截止日期"))
    for res in descriptor["resources"]:
        if not isinstance(res, dict) or not isinstance(res.get("schema"), dict):
            problems.append(fd.make("package-error", path=DESCRIPTOR, detail="每个资源都必须有 name、path 和内嵌的 schema"))
            continue
        for rel in resource_paths(res):
            why = path_problem(root, rel)
            if why:
                problems.append(fd.make("unsafe-path", path=DESCRIPTOR, resource=res.get("name"), value=rel, detail=why))
    if problems:
        raise PackageError(problems)
    return DataPackage(root=root, descriptor=descriptor, as_of=as_of)


def _parse_as_of(value: object) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None

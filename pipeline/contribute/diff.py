"""`ledger diff`: what a change does to the data, row by row, between two git revisions,
or between a revision and the working tree (the files on disk, committed or not).

Rows are matched by the resource's primary key, so a reordered file shows no
change and an edited row shows exactly which fields changed.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.core.package import path_problem, resource_paths


class DiffError(Exception):
    pass


@dataclass
class ResourceChanges:
    resource: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)  # key → changed fields

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def _git_show(repo: Path, revision: str, path: str) -> str | None:
    result = subprocess.run(["git", "show", f"{revision}:{path}"], cwd=repo, capture_output=True)
    if result.returncode != 0:
        return None
    return result.stdout.decode("utf-8", errors="replace")


def _read_worktree(repo: Path, path: str) -> str | None:
    """A file of the working tree as git show would give it; None when it is not there (or not a file)."""
    try:
        return (repo / path).read_bytes().decode("utf-8", errors="replace")
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None


def _read(repo: Path, revision: str | None, path: str) -> str | None:
    """``path`` at ``revision``; None for the working tree."""
    return _read_worktree(repo, path) if revision is None else _git_show(repo, revision, path)


def _rows(texts: list[str], key: list[str]) -> dict[str, dict[str, str]]:
    rows: dict[str, dict[str, str]] = {}
    for text in texts:
        for row in csv.DictReader(io.StringIO(text, newline="")):
            rows["|".join(row.get(k) or "" for k in key)] = row
    return rows


def _descriptor(repo: Path, revision: str | None, data_rel: str) -> dict | None:
    text = _read(repo, revision, f"{data_rel}/datapackage.json")
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        raise DiffError(f"{_where(revision)}的 {data_rel}/datapackage.json 不是合法的 JSON，请先运行 ledger validate") from None


def _where(revision: str | None) -> str:
    return "工作区" if revision is None else f"版本 {revision} "


def _texts(repo: Path, revision: str | None, data_rel: str, resource: dict) -> list[str]:
    paths = resource_paths(resource) if resource.get("path") else []
    if revision is None:  # on disk, a descriptor path must stay inside the data folder (git show cannot leave the repository)
        for rel in paths:
            problem = path_problem(repo / data_rel, rel)
            if problem:
                raise DiffError(f"工作区的 {data_rel}/datapackage.json 中资源 {resource.get('name')} 的路径 {rel!r} "
                                f"{problem}，请先运行 ledger validate")
    return [t for t in (_read(repo, revision, f"{data_rel}/{p}") for p in paths) if t is not None]


def diff_tables(resource: str, key: list[str], before: list[str], after: list[str]) -> ResourceChanges:
    old, new = _rows(before, key), _rows(after, key)
    changes = ResourceChanges(resource)
    changes.added = sorted(set(new) - set(old))
    changes.removed = sorted(set(old) - set(new))
    for k in sorted(set(old) & set(new)):
        fields = sorted(name for name in set(old[k]) | set(new[k]) if old[k].get(name) != new[k].get(name))
        if fields:
            changes.changed[k] = fields
    return changes


def diff_revisions(repo: Path, base: str, head: str | None, data_rel: str = "data") -> list[ResourceChanges]:
    """Changes from ``base`` to ``head``; ``head=None`` is the working tree, uncommitted files included."""
    if subprocess.run(["git", "rev-parse", "--git-dir"], cwd=repo, capture_output=True).returncode != 0:
        raise DiffError(f"{repo} 不在 git 仓库中：请在仓库的文件夹里运行 ledger diff（not a git repository）")
    for revision in (base, head):
        if revision is not None and subprocess.run(
                ["git", "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"], cwd=repo,
                capture_output=True).returncode != 0:
            raise DiffError(f"找不到 git 版本 {revision!r}（revision not found）")
    head_pkg = _descriptor(repo, head, data_rel)
    base_pkg = _descriptor(repo, base, data_rel) or {"resources": []}
    if head_pkg is None:
        raise DiffError(f"{_where(head)}中没有 {data_rel}/datapackage.json")
    results = []
    for res in head_pkg["resources"]:
        name = res["name"]
        key = res["schema"].get("primaryKey") or [f["name"] for f in res["schema"]["fields"]]
        base_res = next((r for r in base_pkg["resources"] if r.get("name") == name), {"path": []})
        results.append(diff_tables(name, key, _texts(repo, base, data_rel, base_res), _texts(repo, head, data_rel, res)))
    return results


def to_text(changes: list[ResourceChanges]) -> str:
    lines = []
    for c in changes:
        if c.empty:
            continue
        lines.append(f"{c.resource}: +{len(c.added)} 新增, ~{len(c.changed)} 修改, -{len(c.removed)} 删除")
        lines += [f"  + {k}" for k in c.added[:50]]
        lines += [f"  ~ {k}: {', '.join(fields)}" for k, fields in list(c.changed.items())[:50]]
        lines += [f"  - {k}" for k in c.removed[:50]]
    return "\n".join(lines or ["数据没有变化。No data changes."]) + "\n"


def to_markdown(changes: list[ResourceChanges]) -> str:
    from pipeline.core.findings import md_cell

    lines = ["### 数据变化 / Data changes", "", "| 资源 | 新增 | 修改 | 删除 |", "|---|---|---|---|"]
    for c in changes:
        if not c.empty:
            lines.append(f"| {md_cell(c.resource)} | {len(c.added)} | {len(c.changed)} | {len(c.removed)} |")
    if len(lines) == 4:
        return "### 数据变化 / Data changes\n\n数据没有变化。No data changes.\n"
    return "\n".join(lines) + "\n"

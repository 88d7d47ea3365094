"""The data changelog: rows added, changed and removed per resource, per release.

A release is a published snapshot (its ``as_of`` date and the descriptor's
``version``). Releases are recorded in ``changelog/releases.json`` at the
repository root (not in data/, which the demo generator rewrites). The
comparison reuses ``pipeline.contribute.diff``: rows are matched by primary key, so a
reordered file is no change. Run ``python -m pipeline.contribute.changelog --help`` to
append a release; changelog/README.md says when and how.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from pipeline.contribute.diff import ResourceChanges, diff_revisions, diff_tables
from pipeline.core.package import DESCRIPTOR, resource_paths

REPO = Path(__file__).resolve().parent.parent.parent
RELEASES = REPO / "changelog" / "releases.json"


@dataclass(frozen=True)
class ResourceSummary:
    resource: str
    rows: int
    added: int
    changed: int
    removed: int

    def to_dict(self) -> dict:
        return {"rows": self.rows, "added": self.added, "changed": self.changed, "removed": self.removed}


# --- Load inputs --------------------------------------------------------------------------

def _descriptor(root: Path) -> dict:
    return json.loads((root / DESCRIPTOR).read_text(encoding="utf-8"))


def _key(resource: dict) -> list[str]:
    schema = resource["schema"]
    key = schema.get("primaryKey") or [f["name"] for f in schema["fields"]]
    return [key] if isinstance(key, str) else list(key)


def folder_texts(root: Path) -> dict[str, tuple[list[str], list[str]]]:
    """resource → (primary key, CSV texts of its files) of a data folder."""
    result = {}
    for res in _descriptor(root)["resources"]:
        texts = [(root / rel).read_text(encoding="utf-8") for rel in resource_paths(res) if (root / rel).is_file()]
        result[res["name"]] = (_key(res), texts)
    return result


def row_counts(root: Path) -> dict[str, int]:
    """Data rows per resource of a data folder, counted by the CSV reader (quoted newlines are one row)."""
    import csv
    import io

    return {name: sum(sum(1 for _ in csv.DictReader(io.StringIO(t, newline=""))) for t in texts)
            for name, (_, texts) in folder_texts(root).items()}


# --- Process data ------------------------------------------------------------------------

def compare_folders(base: Path | None, head: Path) -> list[ResourceChanges]:
    """What changed from ``base`` to ``head`` (two data folders), per resource of head then removed ones.

    ``base=None`` is the first release: every row is added.
    """
    old = folder_texts(base) if base is not None else {}
    new = folder_texts(head)
    changes = [diff_tables(name, key, old.get(name, (key, []))[1], texts) for name, (key, texts) in new.items()]
    changes += [diff_tables(name, key, texts, []) for name, (key, texts) in old.items() if name not in new]
    return changes


def compare_revisions(repo: Path, base: str, head: str, data_rel: str = "data") -> list[ResourceChanges]:
    """The same between two git revisions (``pipeline.contribute.diff.diff_revisions``)."""
    return diff_revisions(repo, base, head, data_rel)


def summarise(changes: list[ResourceChanges], rows: dict[str, int]) -> list[ResourceSummary]:
    return [ResourceSummary(c.resource, rows.get(c.resource, 0), len(c.added), len(c.changed), len(c.removed))
            for c in changes]


def release_entry(version: str, as_of: str, summaries: list[ResourceSummary], notes: str) -> dict:
    return {"version": version, "as_of": as_of, "notes": notes,
            "resources": {s.resource: s.to_dict() for s in summaries}}


# --- Save outputs -------------------------------------------------------------------------

def load_releases(path: Path = RELEASES) -> list[dict]:
    """Releases, newest first (by as_of, then version)."""
    if not path.is_file():
        return []
    releases = json.loads(path.read_text(encoding="utf-8"))["releases"]
    return sorted(releases, key=lambda r: (r["as_of"], r["version"]), reverse=True)


def dump_releases(releases: list[dict]) -> str:
    ordered = sorted(releases, key=lambda r: (r["as_of"], r["version"]), reverse=True)
    return json.dumps({"releases": ordered}, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def add_release(releases: list[dict], entry: dict) -> list[dict]:
    """Add or replace (same version) a release entry."""
    if any(r["version"] != entry["version"] and r["as_of"] == entry["as_of"] for r in releases):
        raise ValueError(f"另一个版本已使用截止日 {entry['as_of']}（a release with this as_of already exists）")
    return [r for r in releases if r["version"] != entry["version"]] + [entry]


def markdown_section(release: dict) -> str:
    """The data section of CHANGELOG.md for one release (the committed file carries it verbatim)."""
    lines = [f"### 数据 / Data — {release['version']}（截止 {release['as_of']}）", "", release["notes"], "",
             "| 资源 resource | 行数 rows | 新增 added | 修改 changed | 删除 removed |", "|---|---:|---:|---:|---:|"]
    for name, s in sorted(release["resources"].items()):
        lines.append(f"| {name} | {s['rows']} | {s['added']} | {s['changed']} | {s['removed']} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.contribute.changelog",
        description="Append a data release to changelog/releases.json. 例：python -m pipeline.contribute.changelog "
                    "--version 1.1.0 --base-rev v1.0.0 --note '新增2027年问题'")
    parser.add_argument("--version", required=True, help="the release version (the descriptor's version)")
    parser.add_argument("--data", type=Path, default=REPO / "data", help="the data folder being released")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--base-data", type=Path, help="the previous release's data folder")
    group.add_argument("--base-rev", help="the previous release's git revision (data folder at --data-rel)")
    parser.add_argument("--data-rel", default="data", help="the data folder inside the repository (with --base-rev)")
    parser.add_argument("--note", default="", help="what this release is, in Chinese")
    parser.add_argument("--releases", type=Path, default=RELEASES)
    args = parser.parse_args(argv)
    # --- Load inputs ---
    as_of = _descriptor(args.data)["as_of"]
    if args.base_rev:
        changes = compare_revisions(REPO, args.base_rev, "HEAD", args.data_rel)
    else:
        changes = compare_folders(args.base_data, args.data)
    # --- Process data ---
    entry = release_entry(args.version, as_of, summarise(changes, row_counts(args.data)), args.note)
    releases = add_release(load_releases(args.releases), entry)
    # --- Save outputs ---
    args.releases.parent.mkdir(parents=True, exist_ok=True)
    args.releases.write_text(dump_releases(releases), encoding="utf-8")
    sys.stdout.write(markdown_section(entry))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

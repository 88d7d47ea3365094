"""A realistic pull request on a package's issues, applied to its CSV files in place.

The one-row benchmark edits a title, which no cross-file rule reads. A county's real pull request
changes exactly what the rules and the metrics read: it resolves 100 open issues (status,
resolved_on, resolved_at_level), re-tiers one (the tier its deadline is computed from) and adds 10
new issues at the end of the latest issues file. ``apply_realistic_pr`` makes that edit, keeps the
data valid (dates in order, not after the snapshot, ids unique) and says what it changed;
benchmarks/run.py times the revalidation and rebuild that follow.

Works on either layout of the issues resource: one file per year or one per month.
"""

from __future__ import annotations

import csv
import json
import random
from datetime import date, timedelta
from pathlib import Path

RESOLVED = 100
ADDED = 10
TIERS = ("simple", "complex", "difficult")


def apply_realistic_pr(data: Path, seed: int, resolved: int = RESOLVED, added: int = ADDED) -> dict:
    """Edit the issues files under ``data`` like a realistic pull request; what changed, as a dict:
    ``resolved`` / ``retiered`` / ``added`` (issue ids), ``retier`` (id, old tier, new tier) and
    ``files`` (the files rewritten, relative to ``data``). ``resolved`` and ``added``: how many issues the
    pull request resolves and adds (a small package has fewer open issues)."""
    data = Path(data)
    rng = random.Random(seed)
    as_of = date.fromisoformat(json.loads((data / "datapackage.json").read_text(encoding="utf-8"))["as_of"])
    files = _issue_files(data)
    tables = {path: _read(path) for path in files}
    header = tables[files[0]][0]
    column = {name: i for i, name in enumerate(header)}
    open_rows = [(path, i) for path in files for i, row in enumerate(tables[path][1:], start=1)
                 if row[column["status"]] == "assigned" and row[column["assigned_on"]]]
    if len(open_rows) < resolved + 1:
        raise ValueError(f"{data}: only {len(open_rows)} assigned issues; this pull request resolves {resolved}")
    chosen = rng.sample(open_rows, resolved + 1)
    changed: set[Path] = set()
    done = []
    for path, i in chosen[:resolved]:
        row = tables[path][i]
        assigned = date.fromisoformat(row[column["assigned_on"]])
        row[column["status"]] = "resolved"
        row[column["resolved_on"]] = min(as_of, assigned + timedelta(days=rng.randint(0, 20))).isoformat()
        row[column["resolved_at_level"]] = rng.choice(("township", "township", "county"))
        done.append(row[column["id"]])
        changed.add(path)
    # Re-tier one open issue whose deadline is computed from its tier (no due_on of its own).
    retier_rows = [(p, i) for p, i in chosen[resolved:] + open_rows if not tables[p][i][column["due_on"]]]
    path, i = retier_rows[0]
    row = tables[path][i]
    old = row[column["tier"]]
    new = TIERS[(TIERS.index(old) + 1) % len(TIERS)] if old in TIERS else TIERS[0]
    row[column["tier"]] = new
    changed.add(path)
    retier = {"id": row[column["id"]], "from": old, "to": new, "file": _rel(data, path)}
    # Ten new issues, registered on the snapshot date, at the end of the latest file.
    last = files[-1]
    body = tables[last][1:]
    prefix, width, number = _last_id(body, column["id"])
    new_ids = []
    for k in range(added):
        model = rng.choice(body)
        new_row = [""] * len(header)
        for name in ("mechanism", "request_type", "region_code", "title", "category", "tier", "lead_department"):
            new_row[column[name]] = model[column[name]]
        if new_row[column["mechanism"]] not in ("hotline", "grid", "villagers_say", "other"):
            new_row[column["mechanism"]] = "hotline"  # a meeting's mechanism would need its meeting_id
        new_row[column["id"]] = f"{prefix}{number + 1 + k:0{width}d}"
        new_row[column["raised_on"]] = as_of.isoformat()
        new_row[column["status"]] = "registered"
        new_row[column["escalated"]] = "false"
        tables[last].append(new_row)
        new_ids.append(new_row[column["id"]])
    changed.add(last)
    for path in sorted(changed):
        _write(path, tables[path])
    return {"resolved": done, "retier": retier, "added": new_ids,
            "files": [_rel(data, p) for p in sorted(changed)],
            "rows_changed": resolved + 1, "rows_added": added}


def _issue_files(data: Path) -> list[Path]:
    """The issues resource's files in the descriptor's order (a single path or a list)."""
    descriptor = json.loads((data / "datapackage.json").read_text(encoding="utf-8"))
    resource = next(r for r in descriptor["resources"] if r["name"] == "issues")
    paths = resource["path"] if isinstance(resource["path"], list) else [resource["path"]]
    return [data / p for p in paths]


def _rel(data: Path, path: Path) -> str:
    return path.relative_to(data).as_posix()


def _read(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def _write(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def _last_id(rows: list[list[str]], index: int) -> tuple[str, int, int]:
    """The prefix, digit count and number of the highest id of the form PREFIX-NNNN."""
    best = max((r[index] for r in rows if r[index].rsplit("-", 1)[-1].isdigit()),
               key=lambda v: (v.rsplit("-", 1)[0], int(v.rsplit("-", 1)[1])))
    prefix, digits = best.rsplit("-", 1)
    return prefix + "-", len(digits), int(digits)


if __name__ == "__main__":
    import sys

    print(json.dumps(apply_realistic_pr(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 0),
                     ensure_ascii=False, indent=1))

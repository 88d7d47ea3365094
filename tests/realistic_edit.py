"""A realistic pull request on a package's issues: resolve open issues, re-tier one, add new ones.

The shape issue #21 names (resolves 100 issues, re-tiers one, adds 10): it changes statuses, dates
and tiers — the columns the rules and the metrics read — and adds the newest issues. Used by the
incremental-build tests (tests/test_build_incremental.py); the benchmark may use it too.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path


def realistic_edit(data: Path, resolve: int = 100, add: int = 10, as_of: dt.date | None = None) -> dict[str, int]:
    """Edit the newest issues file of ``data`` in place; returns what was changed (counts)."""
    path = sorted((data / "issues").glob("*.csv"))[-1]
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    col = {name: n for n, name in enumerate(header)}
    resolved = 0
    for row in body:
        if resolved >= resolve:
            break
        if row[col["status"]] == "assigned" and row[col["assigned_on"]]:
            row[col["status"]] = "resolved"
            row[col["resolved_on"]] = row[col["assigned_on"]]  # never before assignment, never after as_of
            row[col["resolved_at_level"]] = row[col["resolved_at_level"]] or "township"
            resolved += 1
    retiered = 0
    for row in body:
        if row[col["status"]] in ("resolved", "archived", "evaluated") and row[col["tier"]] == "simple" \
                and not row[col["due_on"]]:
            row[col["tier"]] = "complex"
            retiered = 1
            break
    last = max(body, key=lambda r: r[col["id"]])
    prefix, number = last[col["id"]].rsplit("-", 1)
    template = next(r for r in reversed(body) if r[col["status"]] == "resolved" and not r[col["meeting_id"]]
                    and not r[col["due_on"]] and not r[col["archived_on"]])
    newest = max(r[col["raised_on"]] for r in body)  # raised on the newest day of the file, resolved the same day
    for k in range(1, add + 1):
        new = list(template)
        new[col["id"]] = f"{prefix}-{int(number) + k:0{len(number)}d}"
        for name in ("raised_on", "assigned_on", "resolved_on"):
            new[col[name]] = newest
        new[col["title"]] = f"{new[col['title']]}（新增{k}）"
        body.append(new)
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows([header, *body])
    return {"resolved": resolved, "retiered": retiered, "added": add}

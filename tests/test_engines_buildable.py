"""Valid means buildable: a package both engines accept is one `ledger build` publishes.

Hypothesis varies the tiny package (tests/fixtures/tiny) in ways the standard allows — values written
as frictionless also reads them (``+5``, ``05``, `` 5 ``, full-width digits, ``2026-3-2``, ``TRUE``),
optional cells left blank, rows removed or added, statuses changed, dates moved next to official
holidays, holidays and make-up working days of the package's own, another ``as_of`` — keeps the
packages both engines accept (with the same findings) and builds each. A build takes seconds, so the
examples are few; each crash it found has a regression test below, named after the defect.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pipeline.build import BuildConfig, build
from pipeline.validate import validate
from tests.conftest import STANDARD, make_tiny

STANDARD_JSON = json.loads(STANDARD.read_text(encoding="utf-8"))
FILES = {r["name"]: ("issues/2026.csv" if r["name"] == "issues" else r["path"]) for r in STANDARD_JSON["resources"]}
SPECS = {r["name"]: {f["name"]: f for f in r["schema"]["fields"]} for r in STANDARD_JSON["resources"]}
NUMERIC = sorted(name for name, fields in SPECS.items()
                 if any(f.get("type") in ("integer", "number") for f in fields.values()))
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
# tables no other resource refers to: their rows may go
LEAVES = ["issue_events", "evaluations", "inspections", "surveys", "item_cases", "claims", "duty_items"]
# dates around the official holidays of 2026 (Spring Festival 15–23 Feb, make-up days 14 and 28 Feb;
# Qingming 4–6 Apr; Labour Day 1–5 May, make-up day 9 May)
NEAR_HOLIDAYS = [dt.date(2026, 2, 13) + dt.timedelta(days=n) for n in range(17)] + \
                [dt.date(2026, 4, 2) + dt.timedelta(days=n) for n in range(6)] + \
                [dt.date(2026, 4, 29) + dt.timedelta(days=n) for n in range(12)]


def edge(spec: dict, text: str, style: int) -> str:
    """A value at an edge its type and constraints still allow: the bounds, zero, the largest 64-bit integer,
    the largest and smallest floats; other types keep their value."""
    constraints = spec.get("constraints", {})
    if spec.get("type") == "integer":
        low, high = constraints.get("minimum", -(2 ** 63)), constraints.get("maximum", 2 ** 63 - 1)
        return str([low, high, max(low, 0), max(low, min(high, 1)), min(high, 2 ** 53 + 1)][style % 5])
    if spec.get("type") == "number":
        return ["0", "-0", "1.7976931348623157e308", "5e-324", "-1.7976931348623157e308"][style % 5]
    return text


def respelt(ftype: str, text: str, style: int) -> str:
    """The same value written another way that both engines read as the same value."""
    if not text.strip():
        return text
    if ftype == "integer":
        return [f"+{text}", f"0{text}", f" {text} ", text.translate(FULL_WIDTH)][style % 4]
    if ftype == "number":
        return [f"+{text}", f"{text}.0", f"{text}e0", text.translate(FULL_WIDTH)][style % 4]
    if ftype == "date":
        year, month, day = text.split("-")
        return f"{year}-{int(month)}-{int(day)}"
    if ftype == "boolean":
        return [{"true": "TRUE", "false": "FALSE"}, {"true": "True", "false": "False"},
                {"true": "1", "false": "0"}][style % 3].get(text, text)
    return text


@st.composite
def variations(draw):
    """Up to five edits of the tiny package, and its as_of."""
    edits = []
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["respell", "edge", "edge", "blank", "drop", "copy_issue", "status", "shift",
                                     "holiday"]))
        if kind in ("respell", "edge", "blank"):
            tables = NUMERIC if kind == "edge" else sorted(FILES)
            edits.append((kind, draw(st.sampled_from(tables)), draw(st.integers(0, 20)), draw(st.integers(0, 30)),
                          draw(st.integers(0, 11))))
        elif kind == "drop":
            edits.append((kind, draw(st.sampled_from(LEAVES)), draw(st.integers(0, 20))))
        elif kind == "copy_issue":
            edits.append((kind, draw(st.integers(0, 20)), draw(st.integers(100, 999))))
        elif kind == "status":
            edits.append((kind, draw(st.integers(0, 20)), draw(st.sampled_from(
                SPECS["issues"]["status"]["constraints"]["enum"]))))
        elif kind == "shift":
            edits.append((kind, draw(st.integers(0, 20)), draw(st.sampled_from(NEAR_HOLIDAYS))))
        else:
            edits.append((kind, draw(st.sampled_from(NEAR_HOLIDAYS)), draw(st.sampled_from(["holiday", "workday"]))))
    as_of = draw(st.sampled_from(["2026-04-30", "2026-05-06", "2026-10-31"]))
    return edits, as_of


def _rows(folder: Path, rel: str) -> list[list[str]]:
    with (folder / rel).open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def _write(folder: Path, rel: str, rows: list[list[str]]) -> None:
    with (folder / rel).open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def apply(folder: Path, edits: list[tuple], as_of: str) -> None:
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["as_of"] = as_of
    (folder / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
    for kind, *args in edits:
        if kind in ("respell", "edge", "blank"):
            resource, row_pick, column_pick, style = args
            rows = _rows(folder, FILES[resource])
            if len(rows) < 2:
                continue
            row, column = 1 + row_pick % (len(rows) - 1), column_pick % len(rows[0])
            if kind == "edge":  # a number column of this table, if it has one
                numeric = [n for n, name in enumerate(rows[0])
                           if SPECS[resource][name].get("type") in ("integer", "number")]
                if not numeric:
                    continue
                column = numeric[column_pick % len(numeric)]
            spec = SPECS[resource][rows[0][column]]
            if kind == "blank":
                if spec.get("constraints", {}).get("required"):
                    continue
                rows[row][column] = ""
            elif kind == "edge":
                rows[row][column] = edge(spec, rows[row][column], style)
            else:
                rows[row][column] = respelt(spec.get("type", "string"), rows[row][column], style)
            _write(folder, FILES[resource], rows)
        elif kind == "drop":
            resource, row_pick = args
            rows = _rows(folder, FILES[resource])
            if len(rows) > 1:
                del rows[1 + row_pick % (len(rows) - 1)]
                _write(folder, FILES[resource], rows)
        elif kind in ("copy_issue", "status", "shift"):
            rows = _rows(folder, FILES["issues"])
            row, value = rows[1 + args[0] % (len(rows) - 1)], args[1]
            names = rows[0]
            if kind == "copy_issue":
                copy = list(row)
                copy[names.index("id")] = f"Q-{value}"
                rows.append(copy)
            elif kind == "status":
                row[names.index("status")] = value
            else:
                for name in ("raised_on", "assigned_on"):
                    if row[names.index(name)]:
                        row[names.index(name)] = value.isoformat()
            _write(folder, FILES["issues"], rows)
        else:
            day, holiday_kind = args
            rows = _rows(folder, FILES["holidays"])
            if day.isoformat() not in [r[0] for r in rows[1:]]:
                rows.append([day.isoformat(), holiday_kind, "本地调休" if holiday_kind == "workday" else "本地假日"])
                _write(folder, FILES["holidays"], sorted(rows[:1]) + sorted(rows[1:]))


def flat(report) -> list[tuple]:
    return [(f.path, f.row, f.field, f.code, f.value, f.message_zh) for f in report.findings]


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(case=variations())
def test_a_package_both_engines_accept_fails_to_build(tmp_path_factory, case):
    edits, as_of = case
    root = tmp_path_factory.mktemp("buildable")
    folder = make_tiny(root / "tiny")
    apply(folder, edits, as_of)
    fast, _ = validate(folder)
    assume(fast.valid)
    reference, _ = validate(folder, engine="frictionless")
    assert flat(reference) == flat(fast)
    result = build(BuildConfig(data=folder, out=root / "public"))
    assert (result.out / "index.html").is_file()

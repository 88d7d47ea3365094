"""Checks across segments: their results are reused exactly when what they read is unchanged.

Two declarations make that safe, and both are proven here: each rule runs on a view of the ledger
holding only the columns it declares (reading another one fails), and frames.DERIVED names every
source of each column build_ledger adds (changing any other column leaves it unchanged).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from pipeline.core import ledger as fr
from pipeline.core.cache import FileCache
from pipeline.core.package import load
from pipeline.validate import rules as rl
from pipeline.validate import validate
from tests.test_validate import edit_cell


def codes(report):
    return sorted((f.path, f.row, f.field, f.code) for f in report.findings)


def test_a_title_edit_recalls_every_check_and_builds_no_ledger(tiny, tmp_path, monkeypatch):
    cache = FileCache(tmp_path / "cache")
    assert validate(tiny, cache=cache, ledger_needed=False)[0].valid
    edit_cell(tiny, "issues/2026.csv", 3, "title", "村道路灯损坏需要维修（已更正）")
    import pipeline.validate as v

    monkeypatch.setattr(v, "build_ledger", lambda *a, **k: (_ for _ in ()).throw(AssertionError("ledger built")))
    report, ledger = validate(tiny, cache=cache, ledger_needed=False)
    assert report.valid and ledger is None


def test_a_status_edit_reruns_the_rules_that_read_status(tiny, tmp_path):
    cache = FileCache(tmp_path / "cache")
    assert validate(tiny, cache=cache, ledger_needed=False)[0].valid
    edit_cell(tiny, "issues/2026.csv", 2, "status", "assigned")  # archived before: now has dates it must not
    warm = validate(tiny, cache=cache, ledger_needed=False)[0]
    cold = validate(tiny)[0]
    assert codes(warm) == codes(cold)
    assert {f.code for f in warm.findings} >= {"status-extra-field"}


def test_a_rule_checked_per_resource_reruns_only_for_the_resource_that_changed(tiny, tmp_path, monkeypatch):
    """A date after the snapshot in the events is still found when only an issue changed (recalled), the
    date rule runs again for the issues alone, and the ledger holds only what the rules that run read."""
    import pipeline.validate as v

    edit_cell(tiny, "issue_events.csv", 2, "on", "2099-01-01")
    cache = FileCache(tmp_path / "cache")
    assert "date-after-as-of" in {f.code for f in validate(tiny, cache=cache, ledger_needed=False)[0].findings}
    edit_cell(tiny, "issues/2026.csv", 3, "resolved_on", "2099-02-01")
    ran: list[tuple[str, tuple[str, ...]]] = []
    real_run_rule, real_build = v.run_rule, v.build_ledger
    ledger_reads: list[set[str]] = []

    def run_rule(spec, ledger, columns):
        ran.append((spec.name, tuple(sorted(columns))))
        return real_run_rule(spec, ledger, columns)

    def build_ledger(package, frames, derived):
        ledger_reads.append({name for name, frame in frames.items() if set(frame.columns) - {"_path", "_row"}})
        return real_build(package, frames, derived)

    monkeypatch.setattr(v, "run_rule", run_rule)
    monkeypatch.setattr(v, "build_ledger", build_ledger)
    warm = validate(tiny, cache=cache, ledger_needed=False)[0]
    monkeypatch.setattr(v, "run_rule", real_run_rule)
    monkeypatch.setattr(v, "build_ledger", real_build)
    assert codes(warm) == codes(validate(tiny)[0])
    late = {(f.path, f.code) for f in warm.findings if f.code == "date-after-as-of"}
    assert late == {("issue_events.csv", "date-after-as-of"), ("issues/2026.csv", "date-after-as-of")}
    assert ("dates_not_after_as_of", ("issues",)) in ran
    assert not any(name == "dates_not_after_as_of" and columns != ("issues",) for name, columns in ran)
    assert ("integers_publishable", ("issues",)) not in ran  # reads no date: the issues' integers are unchanged
    assert "issue_events" not in ledger_reads[0]  # no rule reading the events runs again


def test_a_new_snapshot_date_reruns_every_check(tiny, tmp_path):
    cache = FileCache(tmp_path / "cache")
    assert validate(tiny, cache=cache)[0].valid
    descriptor = json.loads((tiny / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["as_of"] = "2026-03-05"
    (tiny / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
    warm = validate(tiny, cache=cache)[0]
    assert codes(warm) == codes(validate(tiny)[0])
    assert "date-after-as-of" in {f.code for f in warm.findings}


def test_a_rule_cannot_read_a_column_it_did_not_declare(tiny_ledger):
    narrow = rl.RuleSpec(rl.issue_date_order, {"issues": ("raised_on", "assigned_on")})
    with pytest.raises(KeyError):
        rl.run_rule(narrow, tiny_ledger)


def test_every_rule_runs_on_its_declared_view(tiny_ledger):
    full = {spec.name: sorted(spec.check(tiny_ledger)) for spec in rl.RULES}
    assert {spec.name: sorted(rl.run_rule(spec, tiny_ledger)) for spec in rl.RULES} == full


# --- frames.DERIVED ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def base(tmp_path_factory):
    from tests.conftest import make_tiny

    package = load(make_tiny(tmp_path_factory.mktemp("derived") / "tiny"))
    return package, {name: fr.read_resource(package, name) for name in package.resource_names}


def derived_columns(package, frames):
    ledger = fr.build_ledger(package, {n: f.copy() for n, f in frames.items()})
    return {(name, column): ledger.frames[name][column] for name, column in fr.DERIVED}


def scrambled(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """The column's values reversed (rows keep their other cells)."""
    out = frame.copy()
    out[column] = pd.Series(frame[column].to_numpy()[::-1], index=frame.index, dtype=frame[column].dtype)
    return out


def test_derived_lists_every_column_build_ledger_adds(base):
    package, frames = base
    ledger = fr.build_ledger(package, {n: f.copy() for n, f in frames.items()})
    added = {(name, c) for name, frame in ledger.frames.items() for c in frame.columns if c not in frames[name].columns}
    assert added == set(fr.DERIVED)


def test_a_derived_column_changes_only_with_its_declared_sources(base):
    package, frames = base
    reference = derived_columns(package, frames)
    changed_by_a_source = set()
    for name, frame in frames.items():
        for column in frame.columns:
            if column in ("_path", "_row") or frame[column].nunique(dropna=False) < 2:
                continue
            after = derived_columns(package, {**frames, name: scrambled(frame, column)})
            for target, values in reference.items():
                sources = fr.DERIVED[target]
                declared = column in sources.get(name, ()) or fr.EVERY in sources.get(name, ())
                if not values.equals(after[target]):
                    assert declared, f"{target} changes with {name}.{column}, which DERIVED does not name"
                    changed_by_a_source.add(target)
    assert len(changed_by_a_source) > len(fr.DERIVED) // 2  # the scrambling does reach the sources

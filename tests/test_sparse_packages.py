"""A valid package with no rows yet in some resources builds: a county's first weeks, before any
inspection, or a fork that has entered only its code lists.

A valid package with no inspections crashed the build (exit 3, "Can only use .str accessor with string
values"): the search index's officer filter read the inspectors of each issue as text, and with no
inspection at all that column held only NaN as floats.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.build import BuildConfig, build
from pipeline.core.package import load
from pipeline.render.issues_search import at_ids
from pipeline.validate import validate

CODE_LISTS = {"regions", "departments", "holidays", "deadline_rules"}  # what a county enters first


def emptied(folder: Path, keep: set[str] | None = None, only: str | None = None) -> Path:
    """Every data file of ``only`` (or of every resource not in ``keep``) cut to its header."""
    for resource in load(folder).descriptor["resources"]:
        if (only is not None and resource["name"] != only) or (keep is not None and resource["name"] in keep):
            continue
        for rel in resource["path"] if isinstance(resource["path"], list) else [resource["path"]]:
            path = folder / rel
            path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    return folder


def api(site: Path, rel: str) -> dict:
    return json.loads((site / "api" / "v1" / rel).read_text(encoding="utf-8"))


def test_no_inspections_yet_builds(tiny, tmp_path):
    data = emptied(tiny, only="inspections")
    report, _ = validate(data)
    assert (report.valid, report.findings) == (True, ())
    build(BuildConfig(data=data, out=tmp_path / "public"))
    search = api(tmp_path / "public", "search/index.json")
    assert (search["officers"], search["issues"]) == ([], 8)  # every issue the tiny package publishes


def test_code_lists_alone_build_a_site_of_zeros(tiny, tmp_path):
    data = emptied(tiny, keep=CODE_LISTS)
    report, _ = validate(data)
    assert (report.valid, report.findings) == (True, ())
    build(BuildConfig(data=data, out=tmp_path / "public"))
    home = (tmp_path / "public" / "index.html").read_text(encoding="utf-8")
    assert "提出问题数" in home
    search = api(tmp_path / "public", "search/index.json")
    assert (search["officers"], search["issues"]) == ([], 0)


def test_issues_looked_up_in_no_inspections_are_text_columns_of_nothing():
    none = pd.DataFrame({"verdict": pd.Series([], dtype=object), "officers": pd.Series([], dtype=object)},
                        index=pd.Index([], dtype=object))
    found = at_ids(none, pd.Series(["Q-1", "Q-2"], dtype="string[pyarrow]"))
    assert [found[c].dtype for c in found.columns] == [np.dtype(object), np.dtype(object)]
    assert found["officers"].str.split(";").explode().dropna().tolist() == []
    assert found.isna().all().all()


def test_issues_looked_up_keep_what_was_found_and_nan_elsewhere():
    frame = pd.DataFrame({"verdict": ["resolved"], "officers": ["A;B"]}, index=pd.Index(["Q-2"], dtype=object))
    found = at_ids(frame, pd.Series(["Q-1", "Q-2", "Q-3"]))
    assert found["officers"].tolist()[1] == "A;B"
    assert found["verdict"].isna().tolist() == [True, False, True]

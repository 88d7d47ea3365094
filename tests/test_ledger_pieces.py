"""A resource in several files becomes one frame whose Arrow-backed columns are each in one piece
(``ledger.in_one_piece``): Arrow's take on text in pieces joins every piece at each call."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from pipeline.core import ledger as fr
from pipeline.core.csv_read import TEXT

FIELDS = [{"name": "id", "type": "string"}, {"name": "title", "type": "string"},
          {"name": "raised_on", "type": "date"}, {"name": "count", "type": "integer"}]


def part(first: int, rows: int, rel: str) -> pd.DataFrame:
    text = pd.DataFrame({"id": [f"Q-{first + i:04d}" for i in range(rows)],
                         "title": [None if i % 3 == 0 else f"标题{first + i}" for i in range(rows)],
                         "raised_on": [f"2025-01-{1 + i % 28:02d}" for i in range(rows)],
                         "count": ["" if i % 4 == 0 else str(i) for i in range(rows)]}, dtype=TEXT)
    return fr.located(fr.typed_frame(text, FIELDS), rel)


def pieces(column: pd.Series) -> int:
    return column.array.__arrow_array__().num_chunks


@pytest.mark.parametrize("files", [2, 3, 7])
def test_files_concatenated_have_every_text_column_in_one_piece(files):
    parts = [part(100 * n, 5 + n, f"issues/2025-{n + 1:02d}.csv") for n in range(files)]
    plain = pd.concat(parts, ignore_index=True)  # what located_concat made before: one piece a file
    assert pieces(plain["title"]) == files

    joined = fr.located_concat(parts, FIELDS)

    text_columns = [c for c in joined.columns if isinstance(joined[c].array, pd.arrays.ArrowExtensionArray)]
    assert text_columns == ["_path", "id", "title"]
    assert {c: pieces(joined[c]) for c in text_columns} == {c: 1 for c in text_columns}
    assert joined.dtypes.to_dict() == plain.dtypes.to_dict()  # "str" with NaN for missing, as before
    pd.testing.assert_frame_equal(joined, plain)
    assert joined["title"].isna().sum() == sum((5 + n + 2) // 3 for n in range(files))


def test_one_file_is_left_as_it_is():
    only = part(0, 4, "issues/2025-01.csv")
    assert fr.located_concat([only], FIELDS) is only


def test_a_take_from_the_joined_frame_gives_the_same_rows():
    parts = [part(100 * n, 50, f"issues/2025-{n + 1:02d}.csv") for n in range(4)]
    joined, plain = fr.located_concat(parts, FIELDS), pd.concat(parts, ignore_index=True)
    rows = np.random.default_rng(7).permutation(len(joined))[:60]
    taken = joined["title"].iloc[rows].reset_index(drop=True)
    pd.testing.assert_series_equal(taken, plain["title"].iloc[rows].reset_index(drop=True))
    assert joined.loc[joined["id"] == "Q-0301", "raised_on"].tolist() == [pd.Timestamp(dt.date(2025, 1, 2))]


# --- validation hands the ledger each resource joined once, from its segments' tables -------------

def frames_validation_hands_over(folder, monkeypatch, cache) -> dict[str, pd.DataFrame]:
    import pipeline.validate as validation

    handed: dict[str, pd.DataFrame] = {}
    build = validation.build_ledger

    def keep(package, frames=None, derived=None):
        handed.update({name: frame.copy() for name, frame in frames.items()})
        return build(package, frames, derived)

    monkeypatch.setattr(validation, "build_ledger", keep)
    validation.validate(folder, cache=cache)
    return handed


@pytest.mark.parametrize("cached", [False, True])
# A resource's rows turned into pandas in one conversion (small), or a column at a time from one piece of the
# segments' rows, or from one piece a segment
@pytest.mark.parametrize(("whole_bytes", "piece_bytes"), [(4 << 20, 256 << 20), (0, 256 << 20), (0, 1)])
@pytest.mark.parametrize("beyond_memory", [False, True])  # the segments' tables held, or loaded from the cache
def test_validation_joins_every_segment_of_every_file_into_the_frame_a_plain_read_gives(
        demo_dir, tmp_path, monkeypatch, cached, whole_bytes, piece_bytes, beyond_memory):
    import pipeline.validate as validation
    import pipeline.validate.scan as scan

    monkeypatch.setattr(validation, "WHOLE_TABLE_BYTES", whole_bytes)
    monkeypatch.setattr(validation, "PIECE_BYTES", piece_bytes)
    monkeypatch.setattr(scan, "HELD_TABLES_BYTES", 0 if beyond_memory else 1 << 30)
    import shutil

    from pipeline.core.cache import FileCache
    from pipeline.core.package import load
    from pipeline.validate import segments

    folder = tmp_path / "data"
    shutil.copytree(demo_dir, folder)
    header = (folder / "issues" / "2026.csv").read_text(encoding="utf-8").splitlines()[0]
    (folder / "issues" / "2024.csv").write_text(header + "\n", encoding="utf-8")  # a file without rows
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    issues = next(r for r in descriptor["resources"] if r["name"] == "issues")
    issues["path"] = ["issues/2024.csv", *issues["path"]]
    (folder / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setattr(segments, "MAX_RECORDS", 7)  # many segments in every file
    cache = FileCache(tmp_path / "cache")
    if cached:
        frames_validation_hands_over(folder, monkeypatch, cache)  # the next run recalls every segment
    handed = frames_validation_hands_over(folder, monkeypatch, cache)

    package = load(folder)
    assert sorted(handed) == sorted(package.resource_names)
    assert len(package.files("issues")) == 3 and len(handed["issues"]) == 600
    assert handed["issues"]["_path"].unique().tolist() == ["issues/2025.csv", "issues/2026.csv"]
    for name in package.resource_names:
        plain = fr.read_resource(package, name)
        assert handed[name].dtypes.to_dict() == plain.dtypes.to_dict(), name
        pd.testing.assert_frame_equal(handed[name], plain, check_exact=True, obj=name)
        text = [c for c in plain.columns if isinstance(handed[name][c].array, pd.arrays.ArrowExtensionArray)]
        assert {c: pieces(handed[name][c]) for c in text} == {c: 1 for c in text}, name
    rows = handed["issues"].groupby("_path")["_row"].agg(["min", "max", "count"])
    assert rows.to_dict("index") == {path: {"min": 2, "max": count + 1, "count": count}
                                     for path, count in handed["issues"]["_path"].value_counts().items()}


def test_a_view_s_columns_are_the_frame_s_own_in_the_order_asked(tiny_ledger):
    """``only_columns`` (by position) gives what ``frame[names]`` gives, for every resource and for names asked
    in any order; a name the frame lacks raises KeyError naming it, as ``frame[names]`` does."""
    import random

    rng = random.Random(7)
    for name, frame in tiny_ledger.frames.items():
        for _ in range(5):
            names = rng.sample(list(frame.columns), rng.randint(0, len(frame.columns)))
            pd.testing.assert_frame_equal(fr.only_columns(frame, names), frame[names])
        with pytest.raises(KeyError, match="no_such_column"):
            fr.only_columns(frame, ["_path", "no_such_column"])
    view = tiny_ledger.view({"issues": ("status", "id")})
    assert list(view.frames) == ["issues"]
    assert list(view.issues.columns) == ["_path", "_row", "status", "id"]

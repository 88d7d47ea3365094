"""What the tests ask of the real data/: that it validates. A fork replaces data/ and `make test` passes.

When data/ holds a demo.json (`ledger demo` writes one, naming its arguments), data/ must also be
exactly what `ledger demo` writes with those arguments: a hand edit, or a generator change without
`make demo-data`, fails here. A fork's own data has no demo.json, and that comparison is skipped.
Every other test builds its own data; conftest.py fails one that reads data/.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from tests.datafolder import DATA, DataReads, demo_arguments


@pytest.mark.reads_data
def test_data_validates():
    """What CI's site job and every data pull request require: `ledger validate --data data` finds no error."""
    result = CliRunner().invoke(cli, ["validate", "--data", str(DATA)])
    assert result.exit_code == 0, result.output
    assert "：0 个错误，" in result.output.splitlines()[-1], result.output


@pytest.mark.reads_data
def test_data_written_by_ledger_demo_is_exactly_what_it_writes(tmp_path):
    arguments = demo_arguments(DATA)
    if arguments is None:
        pytest.skip("data/ has no demo.json: it is a package of its own, not `ledger demo` output, "
                    "so it is not compared with the generator")
    from pipeline.demo.generator import generate

    generate(tmp_path / "data", **arguments)
    fix = ("run `make demo-data` (or `ledger demo` with the arguments in data/demo.json); "
           "if data/ holds your own data, delete data/demo.json")
    bundled = sorted(p.relative_to(DATA) for p in DATA.rglob("*") if p.is_file())
    generated = sorted(p.relative_to(tmp_path / "data") for p in (tmp_path / "data").rglob("*") if p.is_file())
    assert bundled == generated, f"data/ holds other files than `ledger demo` writes: {fix}"
    for rel in bundled:
        assert (DATA / rel).read_bytes() == (tmp_path / "data" / rel).read_bytes(), f"data/{rel} drifted: {fix}"


def test_ledger_demo_names_its_arguments_in_demo_json(tmp_path):
    result = CliRunner().invoke(cli, ["demo", "--out", str(tmp_path / "data"), "--issues", "120", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert demo_arguments(tmp_path / "data") == {"issues": 120, "seed": 3, "as_of": dt.date(2026, 10, 31)}
    marker = json.loads((tmp_path / "data" / "demo.json").read_text(encoding="utf-8"))
    assert marker["note_zh"] == "本文件夹是 ledger demo 按上面的参数生成的合成示例数据。换成自己的数据时删除本文件。"


def test_real_data_is_not_held_to_the_demo(demo_copy):
    """A package without demo.json is a fork's own data; a demo.json that names no arguments is an error."""
    assert demo_arguments(demo_copy) == {"issues": 600, "seed": 7, "as_of": dt.date(2026, 10, 31)}
    (demo_copy / "demo.json").write_text('{"issues": "many"}', encoding="utf-8")
    with pytest.raises(ValueError, match=r"^demo.json does not name the arguments of `ledger demo` .*: "
                                         r"delete it if the folder holds your own data$"):
        demo_arguments(demo_copy)
    (demo_copy / "demo.json").unlink()
    assert demo_arguments(demo_copy) is None


def test_tests_are_watched_for_reads_of_the_real_data():
    from tests.conftest import DATA_READS

    assert DATA_READS.folder == os.path.abspath(DATA)
    assert DATA_READS.watching  # this test is not marked reads_data


def test_reading_the_real_data_folder_fails_the_test(tmp_path, monkeypatch):
    """DataReads records Python opening a file in its folder or listing a folder below it, by any path."""
    folder = tmp_path / "data"
    (folder / "issues").mkdir(parents=True)
    (folder / "issues" / "2026.csv").write_text("id\n", encoding="utf-8")
    (tmp_path / "elsewhere.csv").write_text("id\n", encoding="utf-8")
    watch = DataReads(folder)
    sys.addaudithook(watch.audit)  # stays installed, inert once end() is called
    monkeypatch.chdir(tmp_path)
    watch.begin()
    (folder / "issues" / "2026.csv").read_bytes()
    open("data/issues/2026.csv", encoding="utf-8").close()  # noqa: SIM115 - relative to the working folder
    sorted(Path("data/issues").iterdir())
    sorted(Path("data").iterdir())  # names only, as pkgutil lists every folder on sys.path
    (tmp_path / "elsewhere.csv").read_bytes()
    os.close(os.open("elsewhere.csv", os.O_RDONLY))
    assert watch.end() == [str(folder / "issues"), str(folder / "issues" / "2026.csv")]
    (folder / "issues" / "2026.csv").read_bytes()
    assert watch.end() == []

"""Shared fixtures. Tests never write into the real tree: packages are copied into tmp_path.

Nor do they read the real data/ (a fork replaces it): only tests marked `reads_data` may, and any
other test that does fails (tests/datafolder.py).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.datafolder import BUNDLED_DEMO, DATA, DataReads

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
STANDARD = REPO / "pipeline" / "standard.json"


def write_descriptor(folder: Path, as_of: str, issue_paths: list[str]) -> None:
    descriptor = json.loads(STANDARD.read_text(encoding="utf-8"))
    descriptor["as_of"] = as_of
    for resource in descriptor["resources"]:
        if resource["name"] == "issues":
            resource["path"] = issue_paths
    (folder / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n",
                                             encoding="utf-8")


def make_tiny(target: Path) -> Path:
    """The hand-written tiny package (tests/fixtures/tiny), with a descriptor from the standard."""
    shutil.copytree(FIXTURES / "tiny", target)
    write_descriptor(target, "2026-04-30", ["issues/2026.csv"])
    return target


def made_once(tmp_path_factory, name: str, make: Callable[[Path], object]) -> Path:
    """The folder ``name``, made by ``make(folder)`` once for the whole run (read-only by convention).

    Under pytest-xdist the first worker to ask makes it, holding a lock, in the run's temporary folder that
    every worker shares; the others wait and read the same folder. A build of a demo takes 10–20 s on a busy
    worker: once a run, not once a worker. A worker that failed part-way leaves no mark of being done, so
    the next one starts the folder afresh."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder, done = root / name, root / f"{name}.done"
    with open(root / f"{name}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not done.exists():
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir()
            make(folder)
            done.touch()
    return folder


@pytest.fixture(autouse=True)
def cache_outside_the_tree(tmp_path_factory, monkeypatch):
    """The CLI caches per-file work; in tests that cache, and the secret it is sealed with, live in a
    temporary folder."""
    monkeypatch.setenv("LEDGER_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "ledger-cache"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "user-cache"))


def recorded_calls(monkeypatch, owner, attribute: str, noted) -> list:
    """Every call of ``owner.attribute`` from now on, as ``noted(*args)`` gives it; the calls still run."""
    calls: list = []
    original = getattr(owner, attribute)

    def recorded(*args):
        calls.append(noted(*args))
        return original(*args)

    monkeypatch.setattr(owner, attribute, recorded)
    return calls


@pytest.fixture
def three_record_segments(monkeypatch):
    """Files cut into segments of at most three records: an edit changes some segments of a file."""
    from pipeline.validate import segments

    monkeypatch.setattr(segments, "MAX_RECORDS", 3)


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return make_tiny(tmp_path / "tiny")


@pytest.fixture(scope="session")
def tiny_ledger(tmp_path_factory):
    from pipeline.validate import validate

    folder = make_tiny(tmp_path_factory.mktemp("tiny-ro") / "tiny")
    report, ledger = validate(folder)
    assert report.valid, [f.message_en for f in report.errors]
    return ledger


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    """A small generated demo package (read-only by convention: copy before changing)."""
    from pipeline.demo.generator import generate

    folder = tmp_path_factory.mktemp("demo") / "data"
    generate(folder, issues=600, seed=7)
    return folder


@pytest.fixture(scope="session")
def demo_ledger(demo_dir):
    """The small demo package validated once for the whole run (read-only by convention)."""
    from pipeline.validate import validate

    report, ledger = validate(demo_dir)
    assert report.valid, [f.message_en for f in report.errors]
    return ledger


@pytest.fixture(scope="session")
def bundled_demo(tmp_path_factory) -> Path:
    """The bundled demo as `make demo-data` writes it into data/, generated afresh (read-only by convention).

    Golden files of the whole-site build come from it, never from data/.
    """
    from pipeline.demo.generator import generate

    folder = tmp_path_factory.mktemp("bundled-demo") / "data"
    generate(folder, **BUNDLED_DEMO)
    return folder


@pytest.fixture
def demo_copy(demo_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(demo_dir, target)
    return target


@pytest.fixture(scope="session")
def built_demo_site(demo_dir, tmp_path_factory) -> Path:
    """The site built from the small demo package, once for the whole run (``made_once``). Every worker's
    ``demo_dir`` holds the same bytes (the generator is deterministic), so any worker's build is the site
    of its own."""
    from pipeline.build import BuildConfig, build

    return made_once(tmp_path_factory, "demo-site",
                     lambda folder: build(BuildConfig(data=demo_dir, out=folder / "public"))) / "public"


@pytest.fixture(scope="session")
def chromium():
    from tests.browser import browser

    with browser() as instance:
        yield instance


# --- No test but those marked reads_data reads the real data/ (tests/datafolder.py) ---------------

DATA_READS = DataReads(DATA)
_hooked = []


def pytest_configure(config):
    config.addinivalue_line("markers", "reads_data: may read the real data/ (tests/datafolder.py says what for)")
    if not _hooked:  # an audit hook cannot be removed: add it once per process
        sys.addaudithook(DATA_READS.audit)
        _hooked.append(True)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Watch data/ from before the test's fixtures (session ones included) are set up."""
    DATA_READS.end()
    if item.get_closest_marker("reads_data") is None:
        DATA_READS.begin()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    try:
        return (yield)
    finally:
        paths = DATA_READS.end()
        if paths:
            shown = ", ".join(str(Path(p).relative_to(REPO)) for p in paths[:3])
            pytest.fail(f"{item.nodeid} read the real data/ ({shown}): a fork replaces data/, so tests build "
                        "their own data (tmp_path, the bundled_demo fixture); see tests/datafolder.py", pytrace=False)

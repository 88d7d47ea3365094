"""`pip install .` (not only the editable install) builds the site.

The project is copied to a temporary folder (an in-tree build writes build/ and *.egg-info into
the source), installed non-editably from there with pip into another temporary folder, and the
copy deleted; `python -m pipeline build` then runs from the installed package alone and must build
the tiny package into the same site, byte for byte, as the checkout does.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, make_tiny

SOURCES = ["pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE", "mkdocs.yml"]
FOLDERS = ["pipeline", "site", "changelog"]


def digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("packaging")
    source, target = root / "source", root / "installed"
    source.mkdir()
    for name in SOURCES:
        if (REPO / name).exists():  # setup.py and MANIFEST.in are what ship the site's sources
            shutil.copy(REPO / name, source / name)
    for name in FOLDERS:
        shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
                    "--no-build-isolation", "--no-index", "--target", str(target), str(source)],
                   check=True, cwd=root, timeout=300)
    shutil.rmtree(source)  # nothing may refer back to it
    return target


def run_installed(target: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(target)}  # the installed package only, never the checkout
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_only_the_editable_install_builds_the_site(installed, tmp_path):
    where = run_installed(installed, "-c", "import pipeline.build as b; print(b.__file__); "
                          "print(b.BuildConfig(data='d', out='o').site)", cwd=tmp_path)
    assert where.returncode == 0, where.stderr
    assert where.stdout.splitlines() == [str(installed / "pipeline" / "build.py"),
                                         str(installed / "pipeline" / "project" / "site")]
    for rel in ("project/mkdocs.yml", "project/site/index.md", "project/site/overrides/main.html",
                "project/changelog/releases.json", "demo/reported_claims.csv", "standard.json",
                "render/templates/data.md.j2", "render/site_hooks.py"):
        assert (installed / "pipeline" / rel).is_file(), rel

    tiny = make_tiny(tmp_path / "tiny")
    result = run_installed(installed, "-m", "pipeline", "build", "--data", str(tiny), "--out", "public", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    site = tmp_path / "public"
    for page in ("index.html", "issues/index.html", "data/index.html", "data/changelog/index.html",
                 "data/dictionary/issues/index.html", "methodology/index.html", "404.html",
                 "downloads/SHA256SUMS", "api/v1/downloads.json", "data.json"):
        assert (site / page).is_file(), page

    from pipeline.build import BuildConfig, build

    from_checkout = build(BuildConfig(data=tiny, out=tmp_path / "checkout")).out
    assert digests(site) == digests(from_checkout)

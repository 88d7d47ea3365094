"""Packaging (the metadata is in pyproject.toml): the site's sources go into the package.

``ledger build`` needs mkdocs.yml, site/ and changelog/releases.json, which live at the top of the
repository. A source checkout or an editable install reads them there; ``pip install .`` copies them
into the package as ``pipeline/project/`` so that an installed package builds the same site
(pipeline/core/project.py finds them). MANIFEST.in puts them into a source distribution.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
PROJECT_FILES = ["mkdocs.yml", "site", "changelog/releases.json"]
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".DS_Store")


class BuildPyWithSiteSources(build_py):
    """build_py, then the site's sources copied into ``pipeline/project/`` of the build (not when editable)."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # the checkout's own files are read in place
        target = Path(self.build_lib) / "pipeline" / "project"
        shutil.rmtree(target, ignore_errors=True)
        for rel in PROJECT_FILES:
            source, into = HERE / rel, target / rel
            if not source.exists():
                raise SystemExit(f"{rel} is missing: the package could not build the site without it")
            into.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, into, ignore=IGNORED)
            else:
                shutil.copyfile(source, into)


setup(cmdclass={"build_py": BuildPyWithSiteSources})

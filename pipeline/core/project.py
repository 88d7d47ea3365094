"""Where the site's own sources are: ``mkdocs.yml``, ``site/`` (hand-written pages, theme overrides,
assets) and ``changelog/releases.json``.

In a source checkout (and an editable install) they are read in place, at the top of the
repository. ``pip install .`` copies them into the package as ``pipeline/project/`` (setup.py), so
that an installed package builds the same site without the source tree; that copy, when present,
is the one used. ``ledger build`` can still be given other sources (``BuildConfig.site``).
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent
PACKAGED = PACKAGE / "project"  # written by setup.py's build_py into an installed package only
CHECKOUT = PACKAGE.parent  # the repository, when the package runs from its source tree


def root() -> Path:
    """The folder holding mkdocs.yml, site/ and changelog/: the packaged copy if installed, else the checkout."""
    return PACKAGED if (PACKAGED / "mkdocs.yml").is_file() else CHECKOUT


def site() -> Path:
    return root() / "site"


def mkdocs_yml() -> Path:
    return root() / "mkdocs.yml"


def releases() -> Path:
    return root() / "changelog" / "releases.json"

"""The error every stage raises when the build must stop: the previous site stays untouched.

It lives in core so that a stage (the export checking the bytes it publishes against validation's,
for one) can stop the build without importing the build driver, which imports every stage.
"""

from __future__ import annotations


class BuildError(Exception):
    """The build stopped; the previous output is untouched."""

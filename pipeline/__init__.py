"""Sunshine Ledger (阳光台账): validate, aggregate and publish grassroots-governance data."""

import csv

__version__ = "0.1.0"

# Python's csv module refuses a cell over 128 KiB unless told otherwise, and frictionless raises the
# limit for the whole process when it is imported: without this, whether a long cell (a pasted
# document) crashed a reader would depend on which engine had been loaded. Files over 512 MB are
# never read (pipeline/core/package.py), so no cell can be longer.
csv.field_size_limit(2**31 - 1)

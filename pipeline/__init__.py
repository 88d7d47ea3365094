"""Sunshine Ledger (阳光台账): validate, aggregate and publish grassroots-governance data."""

__version__ = "0.1.0"

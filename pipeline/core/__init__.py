"""The data model and what every stage shares: the package, finding codes, the ledger, CSV reading and writing, the cache."""

"""Connectors, one per kind of source; each yields Polars batches to the same contract."""

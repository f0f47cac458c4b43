"""Ingest: source connectors, source contracts, raw loads, quarantine and load audit."""

from ingest.summary import format_load_summary
from ingest.config import SourceConfig, TableConfig, load_config
from ingest.contract import ContractError
from ingest.runner import run_ingest
from ingest.loader import LoadResult

__all__ = ["ContractError", "LoadResult", "SourceConfig", "TableConfig", "format_load_summary",
           "load_config", "run_ingest"]

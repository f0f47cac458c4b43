"""Ingest: source connectors, source contracts, raw loads, quarantine and load audit."""

from ingest.config import SourceConfig, TableConfig, load_config
from ingest.contract import ContractError
from ingest.runner import run_ingest
from ingest.warehouse import LoadResult

__all__ = ["ContractError", "LoadResult", "SourceConfig", "TableConfig", "load_config",
           "run_ingest"]

"""Serving the data center to analysts: the read-only snapshot and the BI database."""

from orchestration.serving.snapshot import (
    INFO_TABLE,
    SNAPSHOT_SCHEMAS,
    PersonalDataError,
    SnapshotReport,
    TableDoc,
    docs_from_dbt_manifest,
    publish_snapshot,
    read_snapshot_info,
)

__all__ = [
    "INFO_TABLE",
    "SNAPSHOT_SCHEMAS",
    "PersonalDataError",
    "SnapshotReport",
    "TableDoc",
    "docs_from_dbt_manifest",
    "publish_snapshot",
    "read_snapshot_info",
]

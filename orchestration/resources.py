"""Dagster resources: where the sources and outputs are, the analysts' snapshot, dbt."""

from __future__ import annotations

import importlib.metadata
from functools import cached_property
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource
from packaging import version

from orchestration.dbt_project import data_center_project, dbt_executable
from serving.reports import reports_folder, site_base_url
from zhengai.settings import Settings, dbt_target_folder


class ZhengaiPaths(dg.ConfigurableResource):
    jw_url: str
    hr_url: str
    xg_url: str
    state_path: str
    plan_path: str
    warehouse: str
    ledger: str
    outbox: str
    smtp_url: str | None = None
    report_site_url: str | None = None  # digests link to the report site's pages under it

    @classmethod
    def from_settings(cls, settings: Settings) -> "ZhengaiPaths":
        return cls(
            jw_url=settings.jw_url,
            hr_url=settings.hr_url,
            xg_url=settings.xg_url,
            state_path=str(settings.state_path),
            plan_path=str(settings.plan_path),
            warehouse=str(settings.warehouse),
            ledger=str(settings.ledger),
            outbox=str(settings.outbox),
            smtp_url=settings.smtp_url,
            report_site_url=site_base_url(reports_folder(settings), settings.reports_base_url),
        )

    @property
    def source_urls(self) -> dict[str, str]:
        return {"jw": self.jw_url, "hr": self.hr_url, "xg": self.xg_url}

    @property
    def warehouse_path(self) -> Path:
        return Path(self.warehouse)

    @property
    def dbt_target_path(self) -> Path:
        return dbt_target_folder(self.warehouse_path)


class AnalystSnapshot(dg.ConfigurableResource):
    """Where the read-only snapshot for analysts is published (ZHENGAI_SNAPSHOT)."""

    path: str

    @classmethod
    def from_settings(cls, settings: Settings) -> "AnalystSnapshot":
        return cls(path=str(settings.snapshot))


class ReportsRoom(dg.ConfigurableResource):
    """Where the report site, the drafts and the annual tables are written (ZHENGAI_REPORTS)."""

    path: str
    base_url: str

    @classmethod
    def from_settings(cls, settings: Settings) -> "ReportsRoom":
        folder = reports_folder(settings)
        return cls(path=str(folder), base_url=site_base_url(folder, settings.reports_base_url))


class DataCenterDbt(DbtCliResource):
    """Two things dagster-dbt does before each dbt command that cost seconds and give the data
    center nothing: it runs `dbt --version` (about 2.4 s) to tell dbt Core from dbt Fusion, and
    opens a dbt adapter in this process (about 3 s) to fetch row counts and column schemas on
    request, which the data center never asks for. The dbt is dbt Core, beside this interpreter."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):
        return None


def dbt_resource() -> DbtCliResource:
    return DataCenterDbt(
        project_dir=data_center_project(),
        global_config_flags=["--no-use-colors"],
        dbt_executable=dbt_executable(),
    )


def build_resources(settings: Settings) -> dict:
    return {
        "paths": ZhengaiPaths.from_settings(settings),
        "dbt": dbt_resource(),
        "snapshot": AnalystSnapshot.from_settings(settings),
        "reports": ReportsRoom.from_settings(settings),
    }

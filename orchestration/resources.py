"""The one Dagster resource: where the sources, warehouse, ledger and outbox are."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from orchestration.settings import Settings


class ZhengaiPaths(dg.ConfigurableResource):
    jw_url: str
    hr_url: str
    xg_url: str
    state_path: str
    warehouse: str
    ledger: str
    outbox: str
    smtp_url: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> "ZhengaiPaths":
        return cls(
            jw_url=settings.jw_url,
            hr_url=settings.hr_url,
            xg_url=settings.xg_url,
            state_path=str(settings.state_path),
            warehouse=str(settings.warehouse),
            ledger=str(settings.ledger),
            outbox=str(settings.outbox),
            smtp_url=settings.smtp_url,
        )

    @property
    def source_urls(self) -> dict[str, str]:
        return {"jw": self.jw_url, "hr": self.hr_url, "xg": self.xg_url}

    @property
    def warehouse_path(self) -> Path:
        return Path(self.warehouse)

"""When the syncs run, from `sync_schedule.yml`: the nightly sync, and the same-day sync every
hour of the school day."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import yaml


SYNC_SCHEDULE_YML = Path(__file__).with_name("sync_schedule.yml")
WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # cron's numbering: Sunday = 0


@dataclass(frozen=True)
class SyncSchedule:
    timezone: str
    nightly_hour: int
    first_hour: int
    last_hour: int
    weekdays: tuple[str, ...]

    @classmethod
    def load(cls, path: Path = SYNC_SCHEDULE_YML) -> "SyncSchedule":
        config = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        same_day = config["same_day"]
        schedule = cls(
            timezone=str(config["timezone"]),
            nightly_hour=int(config["nightly"]["hour"]),
            first_hour=int(same_day["first_hour"]),
            last_hour=int(same_day["last_hour"]),
            weekdays=tuple(str(day).strip().lower() for day in same_day["weekdays"]),
        )
        unknown = [day for day in schedule.weekdays if day not in WEEKDAYS]
        if unknown or not schedule.weekdays:
            raise ValueError(f"{path}: same_day.weekdays 应为 mon…sun，实际为 {same_day['weekdays']!r}")
        if not 0 <= schedule.first_hour <= schedule.last_hour <= 23 or not 0 <= schedule.nightly_hour <= 23:
            raise ValueError(f"{path}: 小时应在 0–23 之间，且 first_hour ≤ last_hour")
        if schedule.first_hour <= schedule.nightly_hour <= schedule.last_hour:
            raise ValueError(f"{path}: 夜间同步（{schedule.nightly_hour} 点）不应落在白天同步的时段内")
        return schedule

    @property
    def nightly_cron(self) -> str:
        return f"0 {self.nightly_hour} * * *"

    @property
    def same_day_cron(self) -> str:
        days = ",".join(str(WEEKDAYS.index(day)) for day in sorted(set(self.weekdays), key=WEEKDAYS.index))
        return f"0 {self.first_hour}-{self.last_hour} * * {days}"


def build_schedules(nightly_sync, same_day_sync, config: SyncSchedule | None = None) -> list[dg.ScheduleDefinition]:
    config = config or SyncSchedule.load()
    nightly = dg.ScheduleDefinition(
        name="nightly_sync_0200",
        job=nightly_sync,
        cron_schedule=config.nightly_cron,
        execution_timezone=config.timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"每天 {config.nightly_hour:02d}:00（{config.timezone}）运行夜间同步（全部质控点、每日摘要、报告草稿）。",
    )
    hourly = dg.ScheduleDefinition(
        name="same_day_sync_hourly",
        job=same_day_sync,
        cron_schedule=config.same_day_cron,
        execution_timezone=config.timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=(f"上课日 {config.first_hour:02d}:00–{config.last_hour:02d}:00 每小时（{config.timezone}）运行当天同步："
                     "新到数据入仓、重算指标、分析快照与报告网站更新，只判定并通知设为当天通知的质控点。"),
    )
    return [nightly, hourly]

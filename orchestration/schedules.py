"""When the nightly sync runs: 02:00 on the school's clock."""

from __future__ import annotations

import dagster as dg

from orchestration.jobs import nightly_sync
from zhengai.clock import SCHOOL_TIMEZONE_NAME

nightly_schedule = dg.ScheduleDefinition(
    name="nightly_sync_0200",
    job=nightly_sync,
    cron_schedule="0 2 * * *",
    execution_timezone=SCHOOL_TIMEZONE_NAME,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="每天北京时间 02:00 运行夜间同步。",
)

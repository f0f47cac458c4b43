"""The stages of a sync as people name them, heard from the run's step events."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import dagster as dg

# Step key prefixes (or suffix, for the per-layer checks) → the stage they belong to.
STAGES = (
    ("ingest_", "抽取：源系统与工作簿 → raw_*"),
    ("data_center", "构建数据中心：dbt（staging → core → marts）"),
    ("_control_points", "检查：质控点"),
    ("warnings__", "预警：预警台账"),
    ("serving__", "快照：分析快照"),
    ("reports__", "报告：报告网站、诊改报告草稿、质量年报数据表"),
    ("send_warning_digests", "分发：预警邮件"),
)


def stage_of(step_key: str) -> str | None:
    for mark, stage in STAGES:
        if step_key.startswith(mark) or (mark.startswith("_") and step_key.endswith(mark)):
            return stage
    return None


def listened_run_id(instance: dg.DagsterInstance, on_stage: Callable[[str], None] | None) -> str:
    """A run id for the next run, with `on_stage` told once per stage as its first step starts."""
    run_id = str(uuid.uuid4())
    if on_stage is None:
        return run_id
    seen: set[str] = set()

    def heard(entry) -> None:
        event = entry.dagster_event
        if event is None or event.event_type != dg.DagsterEventType.STEP_START:
            return
        stage = stage_of(event.step_key or "")
        if stage and stage not in seen:
            seen.add(stage)
            on_stage(stage)

    instance.add_event_listener(run_id, heard)
    return run_id

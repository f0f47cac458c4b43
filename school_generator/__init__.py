"""Synthetic school generator: writes the source systems of a demo vocational college
(教务 jw.sqlite, 人事 hr.sqlite, 学工 xg.sqlite, 状态数据平台 state/<year>.xlsx, the quality
office's plan/ workbooks) with planted findings listed in planted.json. See
school_generator/README.md."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

from . import hr_activity, people, plan_workbooks, planting, records, registers, state_workbook, student_affairs
from .frame import Frame
from .increment import append_day, append_hour, last_day_present
from .limits import SEEDS, load_limits
from .school import build
from .writer import SourceWriter

__all__ = ["DEMO_YEARS", "append_day", "append_hour", "generate", "last_day_present"]

# School years the demo school spans by default: two, so every indicator has a trend.
DEMO_YEARS = 2


def generate(out_dir: Path, students: int = 3000, seed: int = 42, years: int = DEMO_YEARS, progress: bool = False,
             seeds_dir: Path | None = None) -> dict:
    """Generate the demo school into out_dir (files there are replaced) and return the
    manifest of planted findings (also written to out_dir/planted.json).

    seeds_dir holds departments.csv and quality_control_points.csv (default: the dbt
    project's seeds). Needs about 200 students or more to plant every finding."""
    if years < 1:
        raise ValueError("years must be at least 1")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    frame = Frame(years)
    seeds_dir = Path(seeds_dir or SEEDS)
    departments = people.load_departments(seeds_dir / "departments.csv")
    limits = load_limits(seeds_dir)
    bar = tqdm(total=6 + 2 * len(frame.terms), unit="stage", disable=not progress)
    written = 0

    def on_rows(n: int) -> None:
        nonlocal written
        written += n
        bar.set_postfix_str(f"{written:,} rows", refresh=False)

    def step(name: str, work, *args):
        bar.set_description(name)
        result = work(*args)
        bar.update()
        return result

    school = step("school", build, rng, frame, departments, limits, students)
    plan = planting.choose(rng, school)
    writer = SourceWriter(out_dir, on_rows)
    try:
        step("registers", registers.write_registers, school, writer)
        student_affairs.write_student_file(rng, school, writer)
        for tt in school.teaching:
            step(f"classes {tt.term.name}", records.write_term, rng, school, tt, plan, writer)
            step(f"dorms {tt.term.name}", student_affairs.write_dorm_checks, rng, school, tt.index, plan, writer)
        student_affairs.write_discipline(rng, school, plan, writer)
        student_affairs.write_awards(rng, school, writer)
        destinations = step("student affairs", student_affairs.write_destinations, rng, school, plan, writer)
        step("hr", hr_activity.write_hr_activity, rng, school, writer)
    finally:
        writer.close()
    extra = state_workbook.extra_teacher(rng, school)
    step("state", state_workbook.write_workbooks, rng, school, destinations, extra, out_dir)
    college_students = int(((school.college_of_student() == school.planted_college)
                            & (school.students.status == "01")).sum())
    plan.observed.update(college_students=college_students,
                         college_teachers=len(school.staff.of("专任教师", school.planted_college)))
    manifest = planting.manifest(school, plan, seed, students, years, extra)
    manifest["plan"] = step("plan", plan_workbooks.write_plan_workbooks, seed, school, out_dir, seeds_dir)
    planting.add_task_findings(manifest)
    manifest["row_counts"] = dict(writer.counts)
    (out_dir / "planted.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    bar.close()
    return manifest

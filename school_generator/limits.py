"""Where the background data must stay, and how far the planted findings go, derived from
the control-point registry (quality_control_points.csv) so no threshold is written here.

Background values keep a small margin inside each warning value; planted ones land a
little beyond it."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

SEEDS = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds"


@dataclass(frozen=True)
class Limits:
    # background caps
    max_absent_periods: float       # per student and term
    max_absent_share: float         # of a student's present + absent periods in a term
    max_class_absent_share: float   # of a teaching class's periods in a month
    max_fails: int                  # failed 正常考试 courses per student and term
    min_gpa: float                  # per student and term
    min_class_pass: float           # share of a teaching class's students passing
    min_class_rating: float         # average student rating of a teaching class
    max_late_returns: int           # per student and month
    max_unemployed_share: float     # per major and graduation year
    min_matched_share: float        # of the graduates at work
    min_satisfied_share: float      # survey answers 4-5
    max_dropout_share: float        # per major and year
    students_per_teacher: float     # staffing of the colleges
    # planted findings
    planted_absent_periods: tuple[int, int]   # range of absent periods, above the warning value
    planted_absent_share: float               # for the student who stops coming
    planted_class_absent_share: float         # for the class with low attendance in a month
    planted_fail_share: float                 # failed students in the class with a low pass rate
    planted_late_returns: tuple[int, int]
    planted_fails: tuple[int, int]            # failed courses of the failing students
    planted_gpa: float                        # their GPA stays below this
    planted_rating: float                     # the low-rated teacher's average rating
    planted_class_rating: float               # ... and the most any of their classes averages
    planted_jobless_share: float
    planted_students_per_teacher: float
    min_students_per_teacher: float           # the planted college's ratio must exceed this
    warning: dict[str, float]                 # control point -> warning value (to check the plants)
    min_denominator: dict[str, float]


def load_limits(seeds_dir: Path = SEEDS) -> Limits:
    with open(seeds_dir / "quality_control_points.csv", encoding="utf-8") as f:
        points = {r["code"]: r for r in csv.DictReader(f)}

    def value(code: str, which: str = "warning_value") -> float:
        return float(points[code][which])

    attend = value("STU_ATTEND_RATE") / 100
    class_attend = value("CRS_ATTEND_RATE") / 100
    absent = int(value("STU_ABSENT_PERIODS"))
    fails = int(value("STU_FAILED_COURSES"))
    late = int(value("STU_LATE_RETURNS"))
    ratio = value("COL_STUDENT_TEACHER_RATIO")
    return Limits(
        max_absent_periods=absent,
        max_absent_share=1 - attend - 0.01,
        max_class_absent_share=1 - class_attend - 0.015,
        max_fails=fails,
        min_gpa=value("STU_GPA", "standard_value"),
        min_class_pass=value("CRS_PASS_RATE") / 100 + 0.06,
        min_class_rating=value("CRS_EVAL_SCORE") + 2,
        max_late_returns=late,
        max_unemployed_share=1 - value("MAJ_EMPLOY_RATE", "standard_value") / 100,
        min_matched_share=value("MAJ_MATCH_RATE") / 100 + 0.1,
        min_satisfied_share=value("MAJ_GRAD_SATISFACTION") / 100 + 0.06,
        max_dropout_share=(value("MAJ_DROPOUT_RATE", "standard_value") + value("MAJ_DROPOUT_RATE")) / 200,
        students_per_teacher=value("COL_STUDENT_TEACHER_RATIO", "standard_value") - 1.5,
        planted_absent_periods=(absent + 1, absent + 8),
        planted_absent_share=1 - attend + 0.12,
        planted_class_absent_share=1 - class_attend + 0.03,
        planted_fail_share=1 - value("CRS_PASS_RATE") / 100 + 0.08,
        planted_late_returns=(late + 1, late + 2),
        planted_fails=(fails + 1, fails + 2),
        planted_gpa=value("STU_GPA"),
        planted_rating=value("TCH_EVAL_SCORE") - 7,
        planted_class_rating=value("CRS_EVAL_SCORE") - 3,
        planted_jobless_share=1 - value("MAJ_EMPLOY_RATE") / 100 + 0.1,
        planted_students_per_teacher=ratio + 2,
        min_students_per_teacher=ratio,
        warning={code: value(code) for code in points},
        min_denominator={code: float(r["min_denominator"] or 0) for code, r in points.items()},
    )

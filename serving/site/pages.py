"""Which pages the site has and what each shows; `build.SiteBuilder` renders and writes them.

Links run up the organisation: student → class (班级) → major → college → school, teaching
class → course and teacher → college. Names come from `core.dim_*`; figures from the status mart.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import chain

from serving import charts
from serving.report_data import ACHIEVEMENT_CODES, LAYER_ZH, STATUSES, StatusRow, course_means, group_by_entity
from serving.report_files import content_key
from serving.site.build import SiteBuilder, _latest_by_code, _status_cell
from serving.site.links import page_path

n = charts.number


def _college_crumb(builder: SiteBuilder, code: str | None) -> list[tuple[str, str]]:
    return [(builder.data.department_name(code), page_path("college", code))] if code else []


def _latest_cells(builder: SiteBuilder, codes: list[str], rows: list[StatusRow]) -> list:
    latest = _latest_by_code(rows)
    cells = []
    for code in codes:
        row = latest.get(code)
        cells.append(f"{n(row.value)}（{row.period}）" if row else "—")
        cells.append(_status_cell(row.status) if row else "")
    return cells


def _latest_header(builder: SiteBuilder, codes: list[str]) -> list[str]:
    header = []
    for code in codes:
        header += [builder.points[code].name_zh, "状态"]
    return header


def school_pages(builder: SiteBuilder) -> None:
    data = builder.data
    rows = data.status_rows("school")
    colleges = data.table("select department_code, department_name_zh from core.dim_department where kind = 'college' order by department_code")
    college_rows = defaultdict(list)
    for row in data.status_rows("college"):
        college_rows[row.entity_id].append(row)
    college_codes = data.codes_of("college")
    related = [{
        "title": "二级学院",
        "header": ["学院", *_latest_header(builder, college_codes)],
        "rows": [[builder.link(c["department_name_zh"], "college", c["department_code"]),
                  *_latest_cells(builder, college_codes, college_rows.get(c["department_code"], []))] for c in colleges],
    }]
    for entity_id, entity_rows in group_by_entity(rows) if rows else [("SCHOOL", [])]:
        builder.entity_page("school", entity_id, entity_rows[0].entity_name if entity_rows else builder.school_name,
                            entity_rows, related=related, facts=[("学校代码", entity_id, None)])


def college_pages(builder: SiteBuilder) -> None:
    data = builder.data
    rows_by_college = {entity_id: rows for entity_id, rows in group_by_entity(data.status_rows("college"))}
    majors = defaultdict(list)
    for m in data.table("select major_code, major_name, department_code from core.dim_major order by major_code"):
        majors[m["department_code"]].append(m)
    teachers = defaultdict(list)
    for t in data.table("select staff_id, staff_name, department_code, title from core.dim_staff "
                        "where is_full_time_teacher order by staff_id"):
        teachers[t["department_code"]].append(t)
    courses = defaultdict(list)
    for c in data.table("select course_id, course_code, course_name, offering_department_code from core.dim_course "
                        "order by course_code"):
        courses[c["offering_department_code"]].append(c)
    school = data.table("select distinct entity_id from marts.mart_quality__status where entity_type = 'school' "
                        "and entity_id <> 'ALL' limit 1")
    school_crumb = [("学校", page_path("school", school[0]['entity_id']))] if school else []
    # Every department gets a page (a teacher's department may be an office), colleges and offices alike.
    for college in data.table("select department_code, department_name_zh, kind from core.dim_department order by department_code"):
        code = college["department_code"]
        related = [
            {"title": "专业", "header": ["专业代码", "专业"],
             "rows": [[m["major_code"], builder.link(m["major_name"], "major", m["major_code"])] for m in majors.get(code, [])]},
            {"title": "专任教师", "header": ["工号", "姓名", "职称"],
             "rows": [[t["staff_id"], builder.link(t["staff_name"], "staff", t["staff_id"]), t["title"] or ""] for t in teachers.get(code, [])]},
            {"title": "开设课程", "header": ["课程代码", "课程"],
             "rows": [[c["course_code"], builder.link(c["course_name"], "course", c["course_id"])] for c in courses.get(code, [])]},
        ]
        builder.entity_page("college", code, college["department_name_zh"], rows_by_college.get(code, []),
                            crumbs=school_crumb, related=related, type_label="二级学院" if college["kind"] == "college" else "部门",
                            facts=[("单位代码", code, None), ("专业", len(majors.get(code, [])), None),
                                   ("专任教师", len(teachers.get(code, [])), None)])


def major_pages(builder: SiteBuilder) -> None:
    data = builder.data
    rows_by_major = {entity_id: rows for entity_id, rows in group_by_entity(data.status_rows("major"))}
    classes = defaultdict(list)
    for c in data.table("select c.class_id, c.class_name, c.cohort_year, m.major_code from core.dim_class as c "
                        "join core.dim_major as m using (major_id) order by c.class_id"):
        classes[c["major_code"]].append(c)
    for major in data.table("select major_code, major_name, department_code, years_of_study from core.dim_major order by major_code"):
        code = major["major_code"]
        related = [{"title": "班级", "header": ["班级代码", "班级", "年级"],
                    "rows": [[c["class_id"], builder.link(c["class_name"], "class", c["class_id"]), c["cohort_year"]]
                             for c in classes.get(code, [])]}]
        builder.entity_page("major", code, major["major_name"], rows_by_major.get(code, []),
                            crumbs=_college_crumb(builder, major["department_code"]), related=related,
                            facts=[("专业代码", code, None),
                                   ("学院", data.department_name(major["department_code"]), page_path("college", major["department_code"]) if major["department_code"] else None),
                                   ("学制", f"{major['years_of_study']} 年" if major["years_of_study"] else "—", None)])


def teacher_pages(builder: SiteBuilder) -> None:
    data = builder.data
    rows_by_staff = {entity_id: rows for entity_id, rows in group_by_entity(data.status_rows("staff"))}
    taught = defaultdict(list)
    for t in data.table("select teaching_class_id, teaching_class_name, course_name, term_name, teacher_staff_id "
                        "from core.dim_teaching_class order by term_name desc, teaching_class_id"):
        taught[t["teacher_staff_id"]].append(t)
    staff = data.table("select staff_id, staff_name, department_code, title, is_dual_qualified from core.dim_staff "
                       "where is_full_time_teacher or staff_id in (select unnest(?::varchar[])) order by staff_id",
                       [sorted(set(rows_by_staff) | {s for s in taught if s})])
    for person in staff:
        staff_id = person["staff_id"]
        related = [{"title": "任教的教学班", "header": ["学期", "教学班", "课程"],
                    "rows": [[t["term_name"], builder.link(t["teaching_class_name"] or t["teaching_class_id"], "teaching_class", t["teaching_class_id"]),
                              t["course_name"]] for t in taught.get(staff_id, [])]}]
        builder.entity_page("staff", staff_id, person["staff_name"], rows_by_staff.get(staff_id, []),
                            crumbs=_college_crumb(builder, person["department_code"]), related=related,
                            facts=[("工号", staff_id, None),
                                   ("部门", data.department_name(person["department_code"]),
                                    page_path("college", person["department_code"]) if person["department_code"] else None),
                                   ("职称", person["title"] or "—", None),
                                   ("双师型", "是" if person["is_dual_qualified"] else "否", None)])


def teaching_class_and_course_pages(builder: SiteBuilder) -> None:
    """Teaching classes one offering college at a time (in worker processes); a course page shows
    the mean of its classes."""
    data = builder.data
    builder.run_units(teaching_class_unit_pages, [unit for unit in data.units_of("teaching_class") if unit is not None])
    classes = {t["teaching_class_id"]: t for t in data.table(
        "select teaching_class_id, teaching_class_name, course_id, course_code, course_name, term_name, teacher_staff_id, "
        "teacher_name, offering_department_code from core.dim_teaching_class")}
    codes = data.codes_of("teaching_class")
    courses = {c["course_id"]: c for c in data.table(
        "select course_id, course_code, course_name, offering_department_code, course_type_zh, credits "
        "from core.dim_course order by course_code")}
    by_course = defaultdict(list)
    for info in classes.values():
        by_course[info["course_id"]].append(info)
    # The courses with rows as their rows stream in (one course's rows in memory at a time), then the others.
    for course_id, rows in chain(data.teaching_class_rows_by_course(), ((c, []) for c in list(courses))):
        course = courses.pop(course_id, None)
        if course is None:  # not in the course dimension, or already built
            continue
        latest = defaultdict(list)
        for row in rows:
            latest[row.entity_id].append(row)
        related = [{"title": "教学班", "header": ["学期", "教学班", "任课教师", *_latest_header(builder, codes)],
                    "rows": [[t["term_name"], builder.link(t["teaching_class_name"] or t["teaching_class_id"], "teaching_class", t["teaching_class_id"]),
                              builder.link(t["teacher_name"] or t["teacher_staff_id"], "staff", t["teacher_staff_id"]) if t["teacher_staff_id"] else "—",
                              *_latest_cells(builder, codes, latest.get(t["teaching_class_id"], []))]
                             for t in sorted(by_course.get(course_id, []), key=lambda t: (t["term_name"] or "", t["teaching_class_id"]), reverse=True)]}]
        builder.entity_page(
            "course", course_id, course["course_name"], rows,
            crumbs=_college_crumb(builder, course["offering_department_code"]), related=related,
            facts=[("课程代码", course["course_code"], None), ("类型", course["course_type_zh"] or "—", None),
                   ("学分", n(course["credits"]), None),
                   ("开课学院", data.department_name(course["offering_department_code"]), page_path("college", course["offering_department_code"]) if course["offering_department_code"] else None)],
            note="课程的每个质控点画的是其各教学班该周期的平均值（未判定的“数据不足”教学班不计），阈值为质控点登记表的学校值。",
            sections=lambda rows=rows: course_sections(builder, rows),
        )


def teaching_class_unit_pages(builder: SiteBuilder, unit: str) -> None:
    """The teaching classes of one offering college that have values."""
    data = builder.data
    classes = {t["teaching_class_id"]: t for t in data.table(
        "select teaching_class_id, teaching_class_name, course_id, course_name, term_name, teacher_staff_id, teacher_name, "
        "offering_department_code from core.dim_teaching_class where teaching_class_id in (select distinct entity_id "
        "from marts.mart_quality__status where entity_type = 'teaching_class' and unit_id = ?)", [unit])}
    for entity_id, entity_rows in group_by_entity(data.status_rows("teaching_class", unit_id=unit)):
        info = classes.get(entity_id, {})
        offering = info.get("offering_department_code") or unit
        facts = [("教学班", entity_id, None), ("学期", info.get("term_name") or "—", None)]
        crumbs = _college_crumb(builder, offering)
        if info.get("course_id"):
            facts.append(("课程", info["course_name"], page_path("course", info["course_id"])))
            crumbs = crumbs + [(info["course_name"], page_path("course", info["course_id"]))]
        if info.get("teacher_staff_id"):
            facts.append(("任课教师", info.get("teacher_name") or info["teacher_staff_id"], builder.href("staff", info["teacher_staff_id"])))
        facts.append(("开课学院", data.department_name(offering), page_path("college", offering)))
        name = info.get("teaching_class_name") or entity_rows[0].entity_name or entity_id
        builder.entity_page("teaching_class", entity_id, name, entity_rows, crumbs=crumbs, facts=facts)


def course_sections(builder: SiteBuilder, rows: list[StatusRow]) -> list[dict]:
    """A course's series: per control point and period, the mean of its judged teaching classes."""
    return builder.sections("course", course_means(rows, builder.points), unit_label=False)


def student_and_class_pages(builder: SiteBuilder) -> None:
    """Students one college at a time (in worker processes when the builder has them)."""
    units = {unit for unit in builder.data.units_of("student") if unit is not None}
    units |= {r["department_code"] for r in builder.data.table(
        "select department_code from core.dim_student where department_code is not null "
        "union select department_code from core.dim_class where department_code is not null")}
    builder.run_units(student_unit_pages, sorted(units))


def student_unit_pages(builder: SiteBuilder, unit: str) -> None:
    """Every student of one college (a page says so when a student has no value yet), and every
    class (班级) of it, listing its students' latest values."""
    data = builder.data
    codes = data.codes_of("student")
    class_info = {c["class_id"]: c for c in data.table(
        "select c.class_id, c.class_name, c.cohort_year, c.department_code, m.major_code, m.major_name "
        "from core.dim_class as c left join core.dim_major as m using (major_id) where c.department_code = ? or c.class_id in "
        "(select class_id from core.dim_student where department_code = ?)", [unit, unit])}
    students = {s["student_number"]: s for s in data.students(unit)}
    # The unit's rows are read as a stream in student order, one student's rows in memory at a time.
    with_rows = data.entities_of_unit("student", unit)
    stream = group_by_entity(data.stream_status_rows("student", unit))
    upcoming = next(stream, None)
    class_members: dict[str, list[list]] = {class_id: [] for class_id in class_info}
    for entity_id in sorted(set(students) | with_rows):
        entity_rows: list[StatusRow] = []
        if upcoming is not None and upcoming[0] == entity_id:
            entity_rows = upcoming[1]
            upcoming = next(stream, None)
        student = students.get(entity_id, {})
        if not entity_rows:  # no value yet (or any more): listed in its class, no page of its own
            if student.get("class_id") in class_members:
                class_members[student["class_id"]].append(
                    [entity_id, student.get("student_name") or entity_id, *_latest_cells(builder, codes, [])])
            continue
        class_id = student.get("class_id")
        crumbs = _college_crumb(builder, unit)
        facts = [("学号", entity_id, None), ("学院", data.department_name(unit), page_path("college", unit))]
        if student.get("major_code"):
            crumbs.append((student["major_name"], page_path("major", student["major_code"])))
            facts.append(("专业", student["major_name"], page_path("major", student["major_code"])))
        if class_id and class_id in class_info:
            info = class_info[class_id]
            crumbs.append((info.get("class_name") or class_id, page_path("class", class_id)))
            facts.append(("班级", info.get("class_name") or class_id, page_path("class", class_id)))
            class_members[class_id].append(
                [entity_id, builder.link(student.get("student_name") or entity_id, "student", entity_id),
                 *_latest_cells(builder, codes, entity_rows)])
        facts.append(("学籍状态", student.get("register_status_zh") or "—", None))
        name = student.get("student_name") or (entity_rows[0].entity_name if entity_rows else "") or entity_id
        builder.entity_page("student", entity_id, name, entity_rows, crumbs=crumbs, facts=facts)
    if upcoming is not None:
        raise RuntimeError(f"学生 {upcoming[0]} 的行未按学号顺序读出")  # the stream and the ids disagree on order
    for class_id, members in class_members.items():
        info = class_info[class_id]
        if info.get("department_code") not in (unit, None):
            continue  # another college's class: built with that college
        crumbs = _college_crumb(builder, info.get("department_code") or unit)
        if info.get("major_code"):
            crumbs.append((info["major_name"], page_path("major", info["major_code"])))
        builder.entity_page(
            "class", class_id, info.get("class_name") or class_id, [], crumbs=crumbs,
            facts=[("班级代码", class_id, None), ("年级", info.get("cohort_year") or "—", None),
                   ("专业", info.get("major_name") or "—", page_path("major", info["major_code"]) if info.get("major_code") else None),
                   ("学生", len(members), None)],
            related=[{"title": "学生（各质控点最近一期）", "header": ["学号", "姓名", *_latest_header(builder, codes)],
                      "rows": sorted(members, key=lambda m: m[0])}],
        )


def overview(builder: SiteBuilder) -> None:
    """驾驶舱: latest status counts of every control point, 达成度, open warnings, the school's trends."""
    data = builder.data
    counts = {row["indicator_code"]: row for row in data.latest_status_counts()}
    layers = []
    for layer, label in LAYER_ZH.items():
        points = []
        for code, point in data.control_points.items():
            if point.layer != layer or code in ACHIEVEMENT_CODES:
                continue
            row = counts.get(code)
            statuses = [(s, int(row[f"s{i}"]) if row else 0) for i, s in enumerate(STATUSES)]
            points.append({"code": code, "name": point.name_zh, "entity": point.entity_type, "period": row["period"] if row else "—",
                           "entities": int(row["entities"]) if row else 0, "statuses": statuses,
                           "owner": data.department_name(point.owner_department_code)})
        layers.append({"layer": layer, "label": label, "points": points})
    achievement = [
        {"code": r.indicator_code, "name": data.control_points[r.indicator_code].name_zh, "entity": r.entity_name or r.entity_id,
         "period": r.period, "value": n(r.value), "target": n(r.target_value), "standard": n(r.standard_value),
         "warning": n(r.warning_value), "status": r.status}
        for code in ACHIEVEMENT_CODES if code in data.control_points
        for r in _latest_rows(data.status_rows_for_code(code))
    ]
    open_by_owner: dict[str, int] = defaultdict(int)
    open_by_unit: dict[str, int] = defaultdict(int)
    for warning in data.warnings:
        if warning.state in ("新预警", "已通知", "已确认"):
            point = data.control_points.get(warning.indicator_code)
            open_by_owner[data.department_name(point.owner_department_code if point else warning.owner_department_code)] += 1
            if warning.unit_name:
                open_by_unit[warning.unit_name] += 1
    school_rows = data.status_rows("school")
    sections = builder.sections("school", school_rows)
    trend = defaultdict(list)
    for row in data.status_trend():
        trend[row["indicator_code"]].append(row)
    trends = [{"code": code, "name": data.control_points[code].name_zh if code in data.control_points else code,
               "cells": [(r["period"], int(r["in_warning"]), int(r["judged"])) for r in rows[-6:]]}
              for code, rows in trend.items() if code in data.control_points
              and data.control_points[code].entity_type not in ("school",)]
    key_parts = (layers, achievement, sorted(open_by_owner.items()), sorted(open_by_unit.items()), school_rows, trends,
                 builder._comparison_inputs(school_rows), builder._reference_key(builder._by_code(school_rows)), builder.school_name)
    key = content_key(*key_parts)
    if builder.writer.is_current("index.html", key):
        return
    html = builder.templates["overview"].render(
        **builder._common("驾驶舱", root=""), layers=layers, achievement=achievement,
        open_by_owner=sorted(open_by_owner.items(), key=lambda kv: -kv[1]),
        open_by_unit=sorted(open_by_unit.items(), key=lambda kv: -kv[1]), sections=sections, trends=trends,
    )
    builder.writer.write("index.html", html, key)


def _latest_rows(rows: list[StatusRow]) -> list[StatusRow]:
    if not rows:
        return []
    latest = max(r.period for r in rows)
    return [r for r in rows if r.period == latest]


def layer_indexes(builder: SiteBuilder) -> None:
    """One index per kind of page: the entities in 预警 in the latest period first, then every entity."""
    data = builder.data
    warned = defaultdict(list)
    for warning in data.warnings:
        if warning.state in ("新预警", "已通知", "已确认"):
            point = data.control_points.get(warning.indicator_code)
            if point:
                warned[point.entity_type].append(warning)

    def warned_block(entity_type: str) -> dict:
        rows = sorted(warned.get(entity_type, []), key=lambda w: (w.indicator_code, w.period, w.entity_id))
        return {"title": "未解除的预警", "header": ["质控点", "周期", "编号", "名称", "所属单位", "当前值"],
                "rows": [[data.control_points[w.indicator_code].name_zh, w.period, w.entity_id,
                          builder.link(w.entity_name or w.entity_id, entity_type, w.entity_id if entity_type != "school" or w.entity_id != "ALL" else None),
                          w.unit_name or "", n(w.last_value)]
                         for w in rows]}

    schools = data.table("select distinct entity_id, entity_name from marts.mart_quality__status where entity_type = 'school' and entity_id <> 'ALL'")
    colleges = data.table("select department_code, department_name_zh from core.dim_department where kind = 'college' order by department_code")
    builder.index_page("school", "学校层面", [
        {"title": "学校", "header": ["学校"], "rows": [[builder.link(s["entity_name"] or s["entity_id"], "school", s["entity_id"])] for s in schools]},
        {"title": "二级学院", "header": ["单位代码", "学院"],
         "rows": [[c["department_code"], builder.link(c["department_name_zh"], "college", c["department_code"])] for c in colleges]},
        warned_block("college"), warned_block("school")])
    majors = data.table("select major_code, major_name, department_code from core.dim_major order by department_code, major_code")
    builder.index_page("major", "专业层面", [
        warned_block("major"),
        {"title": "全部专业", "header": ["专业代码", "专业", "学院"],
         "rows": [[m["major_code"], builder.link(m["major_name"], "major", m["major_code"]),
                   builder.link(data.department_name(m["department_code"]), "college", m["department_code"])] for m in majors]}])
    courses = data.table("select course_id, course_code, course_name, offering_department_code from core.dim_course order by offering_department_code, course_code")
    builder.index_page("course", "课程层面", [
        warned_block("teaching_class"),
        {"title": "全部课程（课程页列出其各教学班）", "header": ["课程代码", "课程", "开课学院"],
         "rows": [[c["course_code"], builder.link(c["course_name"], "course", c["course_id"]),
                   data.department_name(c["offering_department_code"])] for c in courses]}])
    staff = data.table("select staff_id, staff_name, department_code, title from core.dim_staff where is_full_time_teacher order by department_code, staff_id")
    builder.index_page("staff", "教师层面", [
        warned_block("staff"),
        {"title": "全部专任教师", "header": ["工号", "姓名", "部门", "职称"],
         "rows": [[s["staff_id"], builder.link(s["staff_name"], "staff", s["staff_id"]), data.department_name(s["department_code"]),
                   s["title"] or ""] for s in staff]}])
    classes = data.table("select c.class_id, c.class_name, c.cohort_year, c.department_code, m.major_name "
                         "from core.dim_class as c left join core.dim_major as m using (major_id) order by c.department_code, c.class_id")
    builder.index_page("student", "学生层面", [
        warned_block("student"),
        {"title": "按班级浏览（班级页列出其学生）", "header": ["学院", "专业", "班级", "年级"],
         "rows": [[data.department_name(c["department_code"]), c["major_name"] or "", builder.link(c["class_name"], "class", c["class_id"]),
                   c["cohort_year"]] for c in classes]}])


# The students' and teaching classes' units go to the worker processes first; this process
# builds the rest meanwhile.
STEPS = (student_and_class_pages, teaching_class_and_course_pages, school_pages, college_pages, major_pages,
         teacher_pages, overview, layer_indexes)

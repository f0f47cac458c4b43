"""Snapshot tables: organisations, majors, classes, the student register, courses, HR
departments and the staff register."""

from __future__ import annotations

import numpy as np

from .frame import day_strings, timestamp_strings
from .school import School

UNIT_KIND = {"college": "教学单位", "office": "职能部门"}


def write_registers(school: School, writer) -> None:
    depts = {d.code: d for d in school.departments}
    writer.write("ZFTAL_XTGL_JGDMB", ((d.jg_id, d.code, d.name, UNIT_KIND[d.kind], None) for d in school.departments))
    writer.write("ZFTAL_XTGL_ZYDMB", ((m.zyh_id, m.code, m.name, depts[m.college].jg_id, 3, int(m.enrolling))
                                      for m in school.majors))
    writer.write("ZFTAL_XTGL_BJDMB", ((c.bh_id, c.name, school.majors[c.major].zyh_id, c.cohort,
                                       depts[school.majors[c.major].college].jg_id) for c in school.classes))
    s = school.students
    major_zyh = np.array([m.zyh_id for m in school.majors], dtype=object)
    major_jg = np.array([depts[m.college].jg_id for m in school.majors], dtype=object)
    class_bh = np.array([c.bh_id for c in school.classes], dtype=object)
    births = np.char.replace(day_strings(s.birth_day).astype("U10"), "-", "").tolist()
    changed = timestamp_strings(s.status_day * 86400 + 10 * 3600 + np.arange(len(s)) % 20000)
    writer.write("JW_XJGL_XSJBXXB", zip(
        s.xh_id.tolist(), s.xh.tolist(), s.name.tolist(), np.where(s.female, 2, 1).tolist(), births,
        s.sfzh.tolist(), s.phone.tolist(), major_zyh[s.major].tolist(), class_bh[s.klass].tolist(),
        s.cohort.tolist(), major_jg[s.major].tolist(), s.status.tolist(), day_strings(s.entry_day).tolist(),
        changed))
    writer.write("JW_JH_KCDMB", ((c.kch_id, c.kch, c.name, c.credits, float(c.periods), c.kind,
                                  depts[c.offering].jg_id) for c in school.courses))
    writer.write("RS_BMXX", ((d.hr_code, d.name, None) for d in school.departments))
    writer.write("RS_JZGJBXX", school.staff.rows)

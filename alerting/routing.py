"""Who hears about a warning.

A warning goes to its control point's owner department and, when the control point says
`to_unit`, also to the unit that owns the entity (the student's college …) and, for a
student, to the student's counsellor (学工 FDYGH → 人事 e-mail, read from core.dim_student
and core.dim_staff). A recipient without an address is covered by the quality office, and
the dispatch report says so.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import duckdb

from alerting.ledger import WarningRow
from expectations.registry import QUALITY_OFFICE_ROLE, ControlPoint, Department, RegistryError, department_with_role

STUDENT_ENTITY = "student"  # registry entity_type whose warnings also reach the counsellor
COUNSELLOR_KEY = "counsellor:"  # recipient keys of counsellors: counsellor:<staff id>
UNKNOWN_COUNSELLOR_KEY = COUNSELLOR_KEY + "?"
COUNSELLOR_SQL = """
    select student.student_number, student.counsellor_staff_id, staff.staff_name, staff.email,
           staff.staff_id is not null as staff_found
    from core.dim_student as student
    left join core.dim_staff as staff on staff.staff_id = student.counsellor_staff_id
    where student.student_number in (select unnest(?::varchar[]))
"""


@dataclass(frozen=True)
class Recipient:
    key: str  # department_code, or counsellor:<staff id>
    name: str  # shown in the greeting and the subject
    address: str


@dataclass(frozen=True)
class Counsellor:
    staff_id: str
    name: str
    email: str
    staff_found: bool


def load_counsellors(warehouse: Path, student_numbers: list[str]) -> dict[str, Counsellor]:
    """Counsellor of each student (by student number) found in the warehouse."""
    if not student_numbers:
        return {}
    try:
        with duckdb.connect(str(warehouse), read_only=True) as connection:
            rows = connection.execute(COUNSELLOR_SQL, [sorted(set(student_numbers))]).fetchall()
    except duckdb.CatalogException as error:
        raise RuntimeError(f"仓库 {warehouse} 中没有 core.dim_student / core.dim_staff，无法找到学生的辅导员：请先运行 dbt build（{error}）") from error
    return {
        student: Counsellor((staff_id or "").strip(), (name or "").strip(), (email or "").strip(), bool(found))
        for student, staff_id, name, email, found in rows
    }


class Router:
    """Who hears about a warning, remembering which recipient each address stands in for."""

    def __init__(self, points: dict[str, ControlPoint], departments: list[Department], counsellors: dict[str, Counsellor]):
        self.points = points
        self.by_code = {department.department_code: department for department in departments}
        self.counsellors = counsellors
        self.quality_office = department_with_role(departments, QUALITY_OFFICE_ROLE)
        if not self.quality_office.email:
            raise RegistryError(f"角色为 quality_office 的部门（{self.quality_office.department_code}）必须配置邮箱：它是所有预警的兜底收件人")
        self.recipients: dict[str, Recipient] = {}  # by address; departments first, so they win a shared address
        for department in departments:
            if department.email:
                self.recipients.setdefault(department.email, Recipient(department.department_code, department.name_zh, department.email))
        self.meant_for: dict[tuple[int, str], list[str]] = defaultdict(list)
        self.names: dict[str, str] = {code: department.name_zh for code, department in self.by_code.items()}
        self.fallback_reasons: dict[str, str] = {}

    def _counsellor_target(self, student_number: str) -> tuple[str, str | None]:
        """(recipient key, address or None); a missing address records why."""
        counsellor = self.counsellors.get(student_number)
        if counsellor is None or not counsellor.staff_id:
            key = UNKNOWN_COUNSELLOR_KEY
            self.names[key] = "未登记辅导员的学生"
            self.fallback_reasons[key] = "学工系统未登记辅导员（FDYGH 为空）" if counsellor else "学生不在数据中心学生维度中"
            return key, None
        key = COUNSELLOR_KEY + counsellor.staff_id
        self.names[key] = f"辅导员{counsellor.name or counsellor.staff_id}"
        if not counsellor.email:
            self.fallback_reasons[key] = "人事系统中该辅导员无邮箱（DZYX 为空）" if counsellor.staff_found else "人事系统中无此工号"
            return key, None
        self.recipients.setdefault(counsellor.email, Recipient(key, self.names[key], counsellor.email))
        return key, counsellor.email

    def targets(self, warning: WarningRow) -> list[tuple[str, str | None]]:
        """(recipient key, address or None) of everyone who should hear about the warning."""
        point = self.points.get(warning.indicator_code)
        owner = point.owner_department_code if point else warning.owner_department_code
        codes = [owner] if owner else []
        if point and point.to_unit and warning.unit_id and warning.unit_id in self.by_code and warning.unit_id not in codes:
            codes.append(warning.unit_id)
        if not codes:
            codes = [self.quality_office.department_code]
        targets = []
        for code in codes:
            department = self.by_code.get(code)
            if department is None or not department.email:
                self.fallback_reasons[code] = "部门未配置邮箱" if department is not None else "部门代码不在 departments 中"
            targets.append((code, department.email if department is not None and department.email else None))
        if point and point.to_unit and point.entity_type == STUDENT_ENTITY:
            targets.append(self._counsellor_target(warning.entity_id))
        return targets

    def __call__(self, warning: WarningRow) -> list[str]:
        addresses: list[str] = []
        for key, address in self.targets(warning):
            address = address or self.quality_office.email
            if key not in self.meant_for[(warning.id, address)]:
                self.meant_for[(warning.id, address)].append(key)
            if address not in addresses:
                addresses.append(address)
        return addresses

    def recipient(self, address: str) -> Recipient:
        return self.recipients[address]

    def forwarded_from(self, warning_id: int, address: str) -> list[str]:
        """Recipients this address receives the warning for although it is not theirs."""
        own_key = self.recipient(address).key
        return [key for key in self.meant_for[(warning_id, address)] if key != own_key]

    def name_of(self, key: str) -> str:
        return self.names.get(key, key)

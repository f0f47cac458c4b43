"""Helpers of tests/serving: personal-data scans, the PostgreSQL server, the README's questions."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from decimal import Decimal
from pathlib import Path

import duckdb
import psycopg2
import pytest

from serving.snapshot import publish_snapshot

REPO_ROOT = Path(__file__).resolve().parents[2]
# An account allowed to create a database and roles; the local server by default.
POSTGRES_URL = os.environ.get("ZHENGAI_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
NATIONAL_ID = "110101200001011234"
PHONE = "13800000000"
# Runs of 11 or more digits/X: every national id (18) and phone number (11) inside a value.
TOKEN = "[0-9Xx]{11,}"


def personal_data_values(sources: Path) -> set[str]:
    """Every SFZH and SJHM value of the generated school's student and staff registers."""
    values: set[str] = set()
    for database, table in (("jw.sqlite", "JW_XJGL_XSJBXXB"), ("hr.sqlite", "RS_JZGJBXX")):
        with sqlite3.connect(sources / database) as con:
            for sfzh, sjhm in con.execute(f"select SFZH, SJHM from {table}"):
                values.update(v for v in (sfzh, sjhm) if v)
    return values


def duckdb_personal_data_hits(con, personal: set[str], schemas: list[str] | None = None) -> dict[str, int]:
    """schema.table.column → how many personal-data values its text values contain."""
    columns = con.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where data_type = 'VARCHAR' order by 1, 2, 3"
    ).fetchall()
    hits = {}
    for schema, table, column in columns:
        if schemas is not None and schema not in schemas:
            continue
        tokens = con.execute(
            f'select distinct unnest(regexp_extract_all("{column}", \'{TOKEN}\')) from "{schema}"."{table}"'
        ).fetchall()
        found = {token for (token,) in tokens} & personal
        if found:
            hits[f"{schema}.{table}.{column}"] = len(found)
    return hits


def postgres_personal_data_hits(cur, schema: str, personal: set[str]) -> dict[str, int]:
    cur.execute(
        "select table_name, column_name from information_schema.columns "
        "where table_schema = %s and data_type in ('text', 'character varying') order by 1, 2",
        [schema],
    )
    hits = {}
    for table, column in cur.fetchall():
        cur.execute(
            f'select distinct (regexp_matches("{column}", %s, \'g\'))[1] from "{schema}"."{table}"', [TOKEN]
        )
        found = {token for (token,) in cur.fetchall()} & personal
        if found:
            hits[f"{schema}.{table}.{column}"] = len(found)
    return hits


def postgres_or_skip() -> str:
    """The admin URL, when the server answers; otherwise skip (or fail where services are required)."""
    try:
        psycopg2.connect(POSTGRES_URL, connect_timeout=5).close()
    except psycopg2.OperationalError as exc:
        if os.environ.get("ZHENGAI_REQUIRE_SERVICES") == "1":
            pytest.fail(f"PostgreSQL server required but unreachable at {POSTGRES_URL}: {exc}")
        pytest.skip(f"PostgreSQL server not reachable at {POSTGRES_URL}")
    return POSTGRES_URL


def with_database(url: str, database: str) -> str:
    """The same server and account, another database."""
    base, _, query = url.partition("?")
    scheme, _, rest = base.partition("://")
    server = rest.split("/", 1)[0]
    return f"{scheme}://{server}/{database}" + (f"?{query}" if query else "")


def readme_questions(readme: Path = REPO_ROOT / "README.md") -> list[tuple[int, str, str]]:
    """(number, question heading, SQL) of every question in the README's analyst section."""
    text = readme.read_text(encoding="utf-8")
    section = text.split("\n## Questions analysts ask\n", 1)[1].split("\n## ", 1)[0]
    return [
        (int(number), heading.strip(), sql.strip())
        for number, heading, sql in re.findall(
            r"^### (\d+)\. (.+?)$.*?^```sql\n(.*?)^```$", section, flags=re.MULTILINE | re.DOTALL
        )
    ]


def for_month(sql: str, month: str) -> str:
    """README question 2 asks about one month, chosen in its first lines."""
    return re.sub(r"select '[^']*' as month", f"select '{month}' as month", sql)


def plain(value):
    """Rounded figures come back as decimals (numeric on PostgreSQL too): compared as floats."""
    return float(value) if isinstance(value, Decimal) else value


def build_small_warehouse(path: Path) -> Path:
    """A warehouse as ingest and dbt leave it, in miniature, with personal data in raw."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        for schema in ("raw_jw", "staging", "core", "marts", "registry", "meta"):
            con.execute(f"create schema {schema}")
        con.execute('create table raw_jw."JW_XJGL_XSJBXXB" ("XH" varchar, "SFZH" varchar, "SJHM" varchar)')
        con.execute(f"insert into raw_jw.\"JW_XJGL_XSJBXXB\" values ('2024001', '{NATIONAL_ID}', '{PHONE}')")
        con.execute(f'create view staging.stg_students as select "XH" as student_number '
                    f'from {path.stem}.raw_jw."JW_XJGL_XSJBXXB"')
        # a restricted core may keep the national id; the snapshot must not
        con.execute("create table core.dim_student (student_number varchar, student_name varchar, national_id varchar)")
        con.execute(f"insert into core.dim_student values ('2024001', '张三', '{NATIONAL_ID}')")
        con.execute("create table core.fct_attendance as select 'K1' as check_in_id, '2024001' as student_number, "
                    "true as is_present")
        con.execute("create table marts.mart_student__indicators (indicator_code varchar, entity_id varchar, value double)")
        con.execute("insert into marts.mart_student__indicators values ('STU_GPA', '2024001', 2.5)")
        con.execute("create table marts.mart_quality__status as select *, '达标' as status "
                    "from marts.mart_student__indicators")
        # dbt writes views with the warehouse's catalog name in them
        con.execute(
            "create view marts.mart_student__indicators_wide as select entity_id as student_number, "
            "max(value) filter (where indicator_code = 'STU_GPA') as stu_gpa "
            f"from {path.stem}.marts.mart_student__indicators group by entity_id"
        )
        con.execute("create table registry.quality_control_points as select 'STU_GPA' as code, 2.0 as standard_value")
        con.execute(f"create table meta.quarantine as select '{{\"SFZH\": \"{NATIONAL_ID}\"}}' as raw_values")
    return path


# --- a warehouse whose big facts carry _classified_at (the nightly snapshot delta) ---------

T0 = "2025-07-01 02:00:00"  # the first build
STUDENTS = [("2024001", "张三"), ("2024002", "李四"), ("2024003", "王五")]


def build_classified_warehouse(path: Path, check_ins: int = 3000, dorm_checks: int = 1000,
                               stamp: str = T0) -> Path:
    """A warehouse as the incremental dbt build leaves it, in miniature: the two big facts
    are views over their intermediates (one row per key, `exclusion_reason` null = in the
    fact, `_classified_at` = the build that last wrote the row), beside small core tables,
    marts (a view among them) and the registry; personal data only in raw."""
    path.parent.mkdir(parents=True, exist_ok=True)
    catalog = path.stem
    with duckdb.connect(str(path)) as con:
        for schema in ("raw_jw", "raw_hr", "core", "marts", "registry", "intermediate", "meta"):
            con.execute(f"create schema {schema}")
        con.execute('create table raw_jw."JW_XJGL_XSJBXXB" ("XH" varchar, "SFZH" varchar, "SJHM" varchar)')
        con.execute(f"insert into raw_jw.\"JW_XJGL_XSJBXXB\" values ('2024001', '{NATIONAL_ID}', '{PHONE}')")
        con.execute('create table raw_hr."RS_JZGJBXX" ("GH" varchar, "SFZH" varchar, "SJHM" varchar)')
        con.execute("insert into raw_hr.\"RS_JZGJBXX\" values ('T001', null, '13911112222')")
        con.execute("create table core.dim_student (student_number varchar, student_name varchar, national_id varchar)")
        con.executemany("insert into core.dim_student values (?, ?, null)", STUDENTS)
        con.execute(
            "create table intermediate.int_jw__check_ins_classified as "
            "select i::bigint as check_in_id, 'JXB' || lpad((i % 7)::varchar, 8, '0') as teaching_class_id, "
            f"'202400' || (1 + i % 3)::varchar as student_number, (1 + i % 5)::integer as status_code, "
            f"date '2025-03-01' + (i // 100)::integer as session_date, "
            "case when i % 997 = 0 then 'session_not_found' end as exclusion_reason, "
            f"timestamp '{stamp}' as _classified_at "
            f"from range(1, {check_ins + 1}) t(i)")
        con.execute(
            "create view core.fct_attendance as select * exclude (exclusion_reason) "
            f"from {catalog}.intermediate.int_jw__check_ins_classified where exclusion_reason is null")
        con.execute(
            "create table intermediate.int_xg__dorm_checks_classified as "
            f"select i::bigint as dorm_check_id, '202400' || (1 + i % 3)::varchar as student_number, "
            "case when i % 10 = 0 then '晚归' else '在寝' end as dorm_status, "
            "null::varchar as exclusion_reason, "
            f"timestamp '{stamp}' as _classified_at from range(1, {dorm_checks + 1}) t(i)")
        # the other big fact is a table (as an incremental model would be)
        con.execute(
            "create table core.fct_dorm_check as select * exclude (exclusion_reason) "
            "from intermediate.int_xg__dorm_checks_classified where exclusion_reason is null")
        con.execute("create table core.fct_grade as select i as grade_id, '2024001' as student_number, "
                    "60 + i % 40 as score from range(200) t(i)")
        con.execute(
            "create table marts.mart_student__indicators as select 'STU_ATTENDANCE' as indicator_code, "
            "student_number as entity_id, avg(case when status_code in (1, 2, 3) then 1 else 0 end) as value "
            "from core.fct_attendance group by student_number")
        con.execute(
            "create view marts.mart_student__indicators_wide as select entity_id as student_number, "
            "max(value) filter (where indicator_code = 'STU_ATTENDANCE') as stu_attendance "
            f"from {catalog}.marts.mart_student__indicators group by entity_id")
        con.execute("create table registry.quality_control_points as select 'STU_ATTENDANCE' as code, 0.9 as standard_value")
        con.execute(f"create table meta.quarantine as select '{{\"SFZH\": \"{NATIONAL_ID}\"}}' as raw_values")
    return path


class Night:
    """One nightly incremental build of build_classified_warehouse's warehouse, by hand:
    each change restamps the rows it writes with the night's `_classified_at`."""

    def __init__(self, warehouse: Path, stamp: str):
        self.warehouse, self.stamp = warehouse, stamp

    def _execute(self, *statements: str) -> None:
        with duckdb.connect(str(self.warehouse)) as con:
            for statement in statements:
                con.execute(statement)

    def new_check_ins(self, first: int, count: int, student_number: str = "2024002") -> None:
        self._execute(
            "insert into intermediate.int_jw__check_ins_classified "
            f"select i, 'JXB00000001', '{student_number}', 1, date '2025-07-01', null, timestamp '{self.stamp}' "
            f"from range({first}, {first + count}) t(i)")

    def leave_fact(self, check_in_ids: list[int]) -> None:
        """Check-ins that leave the fact (their student left the register)."""
        ids = ", ".join(map(str, check_in_ids))
        self._execute(
            "update intermediate.int_jw__check_ins_classified set exclusion_reason = 'student_not_in_register', "
            f"_classified_at = timestamp '{self.stamp}' where check_in_id in ({ids})")

    def reclassify(self, check_in_ids: list[int], status_code: int = 4) -> None:
        ids = ", ".join(map(str, check_in_ids))
        self._execute(
            f"update intermediate.int_jw__check_ins_classified set status_code = {status_code}, "
            f"_classified_at = timestamp '{self.stamp}' where check_in_id in ({ids})")

    def new_dorm_checks(self, first: int, count: int) -> None:
        values = (f"select i, '2024003', '夜不归宿', null, timestamp '{self.stamp}' "
                  f"from range({first}, {first + count}) t(i)")
        self._execute(f"insert into intermediate.int_xg__dorm_checks_classified {values}",
                      f"insert into core.fct_dorm_check select * exclude (exclusion_reason) from ({values}) "
                      "as t(dorm_check_id, student_number, dorm_status, exclusion_reason, _classified_at)")

    def rebuild_marts(self) -> None:
        self._execute(
            "create or replace table marts.mart_student__indicators as select 'STU_ATTENDANCE' as indicator_code, "
            "student_number as entity_id, avg(case when status_code in (1, 2, 3) then 1 else 0 end) as value "
            "from core.fct_attendance group by student_number")

    def regrade(self, grade_ids: list[int]) -> None:
        """Grades changed in the source: rows of a small table change, the rest stays."""
        ids = ", ".join(map(str, grade_ids))
        self._execute(f"update core.fct_grade set score = score + 1 where grade_id in ({ids})")

    def repeat_grades(self, grade_ids: list[int]) -> None:
        """A table whose rows repeat (no key): copies of rows added."""
        ids = ", ".join(map(str, grade_ids))
        self._execute(f"insert into core.fct_grade select * from core.fct_grade where grade_id in ({ids})")

    def full_refresh(self) -> None:
        """`dbt build --full-refresh`: every row rewritten, every stamp new."""
        self._execute(
            f"update intermediate.int_jw__check_ins_classified set _classified_at = timestamp '{self.stamp}'",
            f"update intermediate.int_xg__dorm_checks_classified set _classified_at = timestamp '{self.stamp}'",
            f"update core.fct_dorm_check set _classified_at = timestamp '{self.stamp}'")


def snapshot_contents(snapshot: Path) -> dict[str, list[tuple]]:
    """Every published table of a snapshot (not its bookkeeping), rows sorted."""
    with duckdb.connect(str(snapshot), read_only=True) as con:
        names = con.execute("select table_schema || '.' || table_name from information_schema.tables "
                            "where table_schema <> 'main' order by 1").fetchall()
        return {name: con.execute(f"select * from {name} order by all").fetchall() for (name,) in names}


def full_copy(warehouse: Path, tmp_path: Path) -> Path:
    """What a full copy of the warehouse as it is now holds."""
    reference = tmp_path / "reference" / "snapshot.duckdb"
    shutil.rmtree(reference.parent, ignore_errors=True)
    report = publish_snapshot(warehouse, reference, run_id="reference", full=True)
    assert report.mode == "full" and report.reason == "要求全量复制"
    return reference

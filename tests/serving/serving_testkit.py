"""Helpers of tests/serving: personal-data scans, the PostgreSQL server, the README's questions."""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path

import duckdb
import psycopg2
import pytest

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

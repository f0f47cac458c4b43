"""`zhengai publish` against this machine's PostgreSQL: the marts and the tables the README's
questions join them with, the read-only role, one transaction, and the README's questions
answered on the published copy as on the snapshot.

Server: ZHENGAI_TEST_POSTGRES_URL (an account allowed to create databases and roles), by
default postgresql://postgres@127.0.0.1:5432/postgres. An absent server skips these tests,
unless ZHENGAI_REQUIRE_SERVICES=1, where it fails them. Each test run works in its own
database and role, dropped afterwards; the database sorts text bytewise (collation C), as
DuckDB does, so ordered aggregates read the same on both.
"""

from __future__ import annotations

import math
import re
import uuid

import duckdb
import psycopg2
import pytest
from click.testing import CliRunner

from zhengai.cli import main
from serving import publish as serving_postgres
from serving.publish import PUBLISHED, publish_to_postgres
from tests.serving.serving_testkit import (for_month, personal_data_values, plain, postgres_or_skip,
                                           postgres_personal_data_hits, readme_questions, with_database)

SCHEMA = "zhengai_marts"
PASSWORD = "reader-secret"


@pytest.fixture(scope="module")
def server():
    admin_url = postgres_or_skip()
    suffix = uuid.uuid4().hex[:10]
    database, role = f"zhengai_serving_{suffix}", f"zhengai_reader_{suffix}"
    admin = psycopg2.connect(admin_url)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {database} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'")
    try:
        yield {"url": with_database(admin_url, database), "admin_url": admin_url, "database": database, "role": role}
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            cur.execute(f"DROP ROLE IF EXISTS {role}")
        admin.close()


@pytest.fixture(scope="module")
def published(server, synced_school):
    return publish_to_postgres(
        synced_school.settings.snapshot, server["url"], schema=SCHEMA, role=server["role"], role_password=PASSWORD
    )


def snapshot_published_tables(snapshot) -> dict[str, int]:
    """Rows of every snapshot table `publish` carries (serving.publish.PUBLISHED)."""
    with duckdb.connect(str(snapshot), read_only=True) as con:
        tables = [(schema, t) for schema, pattern in PUBLISHED for (t,) in con.execute(
            "select table_name from information_schema.tables where table_schema = ? and table_name like ? escape '\\'",
            [schema, pattern]).fetchall()]
        return {t: con.execute(f"select count(*) from {schema}.{t}").fetchone()[0] for schema, t in tables}


def query(url: str, sql: str, params=None, **connect) -> list[tuple]:
    with psycopg2.connect(url, **connect) as con, con.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    con.close()
    return rows


def test_every_mart_and_dimension_is_published_whole(published, server, synced_school):
    expected = snapshot_published_tables(synced_school.settings.snapshot)
    assert {"mart_quality__status", "mart_student__indicators_wide", "dim_period", "dim_student", "dim_staff",
            "dim_teaching_class", "dim_term", "quality_control_points", "departments",
            "dq_state_teachers_vs_hr"} <= set(expected)
    assert not {t for t in expected if t.startswith("fct_")}  # the big facts stay in the snapshot
    assert published.tables == expected
    tables = {name for (name,) in query(
        server["url"], "select table_name from information_schema.tables where table_schema = %s", [SCHEMA])}
    assert tables == set(expected) | {"publish_info"}
    for table, rows in expected.items():
        assert query(server["url"], f"select count(*) from {SCHEMA}.{table}") == [(rows,)], table

    # values and types survive the trip: the status mart, checked aggregate by aggregate
    aggregates = ("select count(*), count(value), round(sum(value)::numeric, 4), count(distinct entity_id), "
                  "count(*) filter (where status = '预警'), count(*) filter (where entity_name = ''), "
                  "count(*) filter (where to_unit) from {}.mart_quality__status")
    with duckdb.connect(str(synced_school.settings.snapshot), read_only=True) as con:
        in_snapshot = con.execute(aggregates.replace("::numeric", "::decimal(38,6)").format("marts")).fetchone()
    in_postgres = query(server["url"], aggregates.format(SCHEMA))[0]
    assert [float(v) for v in in_postgres] == pytest.approx([float(v) for v in in_snapshot])
    types = dict(query(server["url"], "select column_name, data_type from information_schema.columns "
                       "where table_schema = %s and table_name = 'mart_quality__status'", [SCHEMA]))
    assert types["value"] == "double precision" and types["entity_id"] == "text" and types["to_unit"] == "boolean"

    # the dbt documentation arrives as comments, which BI tools show as descriptions
    (table_comment, column_comment), = query(
        server["url"], f"select obj_description('{SCHEMA}.mart_quality__status'::regclass), "
        f"col_description('{SCHEMA}.mart_quality__status'::regclass, 1)")
    assert table_comment.startswith("zhengai: 质控点状态") and column_comment == "质控点代码 · indicator code"

    (info,) = query(server["url"], f"select run_id, tables, total_rows, snapshot_published_at from {SCHEMA}.publish_info")
    assert info[1:3] == (len(expected), sum(expected.values()))
    assert info[3] == published.snapshot_published_at


def test_the_reader_role_reads_and_cannot_write(published, server):
    role, url = server["role"], server["url"]
    table = f"{SCHEMA}.mart_quality__status"
    attempts = [
        f"insert into {table} (indicator_code) values ('X')",
        f"update {table} set value = 0",
        f"delete from {table}",
        f"truncate {table}",
        f"drop table {table}",
        f"alter table {table} add column x int",
        f"create table {SCHEMA}.analyst_table (a int)",
        "create table public.analyst_table (a int)",
        "create schema analyst_schema",
    ]
    with psycopg2.connect(url) as con, con.cursor() as cur:
        cur.execute(f"set role {role}")
        cur.execute(f"select count(*) from {table}")
        assert cur.fetchone()[0] == published.tables["mart_quality__status"]
        for statement in attempts:
            cur.execute("savepoint attempt")
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cur.execute(statement)
            cur.execute("rollback to savepoint attempt")
    con.close()

    # logging in as the role (what a BI tool does): every session is read-only besides
    login = {"user": role, "password": PASSWORD}
    assert query(url, "show default_transaction_read_only", **login) == [("on",)]
    assert query(url, f"select count(*) from {SCHEMA}.publish_info", **login) == [(1,)]
    with psycopg2.connect(url, **login) as con, con.cursor() as cur:
        with pytest.raises(psycopg2.errors.ReadOnlySqlTransaction):
            cur.execute("create temporary table scratch (a int)")
    con.close()


def test_no_personal_data_in_the_serving_tables(published, server, synced_school):
    personal = personal_data_values(synced_school.sources)
    with psycopg2.connect(server["url"]) as con, con.cursor() as cur:
        assert postgres_personal_data_hits(cur, SCHEMA, personal) == {}
        # the scan would see one: plant a value in a scratch table and look again
        cur.execute("create temporary table probe (note text)")
        cur.execute("insert into probe values (%s)", [f"电话 {sorted(personal)[0]}"])
        cur.execute("select nspname from pg_namespace where oid = pg_my_temp_schema()")
        temporary = cur.fetchone()[0]
        assert postgres_personal_data_hits(cur, temporary, personal) == {f"{temporary}.probe.note": 1}
    con.close()


def test_publishing_again_replaces_marts_and_drops_only_stale_ones(published, server, synced_school):
    url, role = server["url"], server["role"]
    with psycopg2.connect(url) as con, con.cursor() as cur:
        # a mart that is gone from the dbt project, and a table zhengai does not own
        cur.execute(f"create table {SCHEMA}.mart_retired__indicators (a int)")
        cur.execute(f"comment on table {SCHEMA}.mart_retired__indicators is 'zhengai: marts.mart_retired__indicators'")
        cur.execute(f"create table {SCHEMA}.bi_team_notes (a int)")
        cur.execute(f"delete from {SCHEMA}.mart_major__indicators")
    con.close()

    again = publish_to_postgres(synced_school.settings.snapshot, url, schema=SCHEMA, role=role)

    assert again.dropped == ["mart_retired__indicators"]
    tables = {t for (t,) in query(url, "select table_name from information_schema.tables where table_schema = %s",
                                  [SCHEMA])}
    assert "mart_retired__indicators" not in tables and "bi_team_notes" in tables
    assert query(url, f"select count(*) from {SCHEMA}.mart_major__indicators") == [
        (published.tables["mart_major__indicators"],)]
    # the role still reads every published table, and the password given before still works
    for table in again.tables:
        query(url, f"select 1 from {SCHEMA}.{table} limit 1", user=role, password=PASSWORD)


def test_a_failed_publish_leaves_the_previous_marts(published, server, synced_school, monkeypatch):
    url = server["url"]
    before = query(url, f"select published_at from {SCHEMA}.publish_info")

    def broken_grant(*args):
        raise RuntimeError("connection lost while granting")

    monkeypatch.setattr(serving_postgres, "_grant_read_only", broken_grant)
    with pytest.raises(RuntimeError):
        publish_to_postgres(synced_school.settings.snapshot, url, schema=SCHEMA, role=server["role"])

    assert query(url, f"select published_at from {SCHEMA}.publish_info") == before
    assert query(url, f"select count(*) from {SCHEMA}.mart_quality__status") == [
        (published.tables["mart_quality__status"],)]


def test_zhengai_publish_command(published, server, synced_school):
    result = CliRunner().invoke(
        main,
        ["publish", "--to", server["url"], "--schema", SCHEMA, "--role", server["role"]],
        env={"ZHENGAI_DATA_DIR": str(synced_school.settings.warehouse.parent)},
    )
    assert result.exit_code == 0, result.output
    assert f"已发布到 PostgreSQL 模式 {SCHEMA}" in result.output
    assert f"mart_quality__status：{published.tables['mart_quality__status']:,} 行" in result.output
    assert f"只读角色 {server['role']} 可查询" in result.output
    seconds = float(result.output.rsplit("用时 ", 1)[1].split(" 秒")[0])
    assert 0 < seconds and not math.isnan(seconds)

    failed = CliRunner().invoke(main, ["publish", "--to", "mysql://root@localhost/x"],
                                env={"ZHENGAI_DATA_DIR": str(synced_school.settings.warehouse.parent)})
    assert failed.exit_code != 0 and "不是 PostgreSQL 连接地址" in failed.output


# README questions that read what is not published, and why
NOT_PUBLISHED = {4: "core.fct_attendance"}  # the check-in log: millions of rows, read in the snapshot
SNAPSHOT_SCHEMA = re.compile(r"\b(marts|core|registry|data_quality)\.")


def normalised(rows) -> list[tuple]:
    """Rows as comparable values, in a fixed order (ties may come in any order on either engine)."""
    values = [tuple(round(v, 6) if isinstance(v, float) else v for v in map(plain, row)) for row in rows]
    return sorted(values, key=repr)


def test_the_readme_questions_answer_the_same_on_the_published_copy(published, server, synced_school):
    """Every question of the README, its schema prefixes read as the one published schema,
    gives on PostgreSQL the rows it gives on the snapshot."""
    month = next(e["period"] for f in synced_school.planted["findings"] if f["indicator_code"] == "CRS_ATTEND_RATE"
                 for e in f["entities"])
    questions = readme_questions()
    assert len(questions) == 12
    with duckdb.connect(str(synced_school.settings.snapshot), read_only=True) as con, \
            psycopg2.connect(server["url"]) as pg, pg.cursor() as cur:
        for number, _, text in questions:
            if number in NOT_PUBLISHED:
                assert NOT_PUBLISHED[number] in text
                continue
            text = for_month(text, month)
            on_snapshot = con.execute(text)
            expected_names = [d[0] for d in on_snapshot.description]
            expected = normalised(on_snapshot.fetchall())
            cur.execute(SNAPSHOT_SCHEMA.sub(f"{SCHEMA}.", text))
            assert [d[0] for d in cur.description] == expected_names, number
            assert expected, f"question {number} found nothing"
            assert normalised(cur.fetchall()) == expected, number
    pg.close()

"""`zhengai doctor` and `zhengai publish` against the real PostgreSQL and MariaDB servers:
a database not created yet, and a wrong password, each named in Chinese with what to do."""

from __future__ import annotations

import os
import socket

import duckdb
import psycopg2
import pytest
from click.testing import CliRunner

from zhengai.cli import main

from tests.serving.serving_testkit import postgres_or_skip, with_database
from tests.zhengai.zhengai_testkit import good_configuration

MARIADB_SERVER = ("127.0.0.1", 3306)


@pytest.fixture
def missing_database():
    """The name of a database that does not exist on the test server; dropped again afterwards."""
    admin = postgres_or_skip()
    name = f"zhengai_missing_{os.getpid()}"
    yield admin, name
    connection = psycopg2.connect(admin)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f"drop database if exists {name} with (force)")
    connection.close()


def tiny_snapshot(path):
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.mart_quality__status as select 'STU_GPA' as indicator_code, 2.1 as value")
        con.execute("create table main.snapshot_info as select now()::timestamp as published_at, 'run-1' as run_id")
    return path


def test_publish_to_a_missing_database_says_how_to_create_it_and_creates_it_when_asked(tmp_path, missing_database):
    admin, name = missing_database
    url = with_database(admin, name)
    env = {"ZHENGAI_SNAPSHOT": str(tiny_snapshot(tmp_path / "snapshot.duckdb"))}
    refused = CliRunner().invoke(main, ["publish", "--to", url], env=env)
    assert refused.exit_code == 1
    assert f"发布失败：数据库 {name} 不存在" in refused.output
    assert f"createdb -h 127.0.0.1 -p 5432 -U postgres {name}" in refused.output and "--create-database" in refused.output

    created = CliRunner().invoke(main, ["publish", "--to", url, "--create-database"], env=env)
    assert created.exit_code == 0, created.output
    assert f"数据库 {name} 不存在，正在创建" in created.output and "已发布到 PostgreSQL 模式 zhengai_marts" in created.output


def test_doctor_names_a_missing_bi_database(tmp_path, missing_database):
    admin, name = missing_database
    env = good_configuration(tmp_path) | {"ZHENGAI_PUBLISH_URL": with_database(admin, name)}
    result = CliRunner().invoke(main, ["doctor"], env=env)
    assert result.exit_code == 1
    assert f"✗ BI 数据库（zhengai publish）：数据库 {name} 不存在" in result.output and "createdb" in result.output

    env["ZHENGAI_PUBLISH_URL"] = admin
    assert CliRunner().invoke(main, ["doctor"], env=env).exit_code == 0


def test_doctor_names_a_wrong_source_password(tmp_path):
    with socket.socket() as probe:
        probe.settimeout(3)
        if probe.connect_ex(MARIADB_SERVER) != 0:
            if os.environ.get("ZHENGAI_REQUIRE_SERVICES") == "1":
                pytest.fail(f"MariaDB server required but not listening on {MARIADB_SERVER}")
            pytest.skip(f"MariaDB server not listening on {MARIADB_SERVER}")
    env = good_configuration(tmp_path) | {"ZHENGAI_JW_URL": "mysql+pymysql://zhengai:wrong-password@127.0.0.1:3306/jw"}
    result = CliRunner().invoke(main, ["doctor"], env=env)
    assert result.exit_code == 1
    assert "✗ 教务系统（jw）：用户名或密码错误：服务器 127.0.0.1:3306 拒绝了用户 zhengai 的登录" in result.output

"""`zhengai doctor` against real SQLite sources, workbook folders and a real SMTP server."""

from __future__ import annotations

import sqlite3

from click.testing import CliRunner

from zhengai.cli import main

from tests.expectations.expectations_testkit import free_port
from tests.zhengai.zhengai_testkit import SMTP_PASSWORD, SMTP_USER, good_configuration, smtp_server_with_login


def doctor(env: dict[str, str]):
    return CliRunner().invoke(main, ["doctor"], env=env)


def test_a_good_configuration_passes_and_sends_no_mail(tmp_path):
    with smtp_server_with_login() as (host, port):
        env = good_configuration(tmp_path) | {"ZHENGAI_SMTP_URL": f"smtp://{SMTP_USER}:{SMTP_PASSWORD}@{host}:{port}"}
        result = doctor(env)
    assert result.exit_code == 0, result.output
    assert "✗" not in result.output
    for line in ("教务系统（jw）：已连接", "人事系统（hr）：已连接", "学工系统（xg）：已连接", "状态数据平台工作簿目录",
                 f"SMTP 邮件服务器：{host}:{port} 可连接（EHLO、登录成功，未发送邮件）", "调度时区：夜间同步按 Asia/Shanghai",
                 "配置检查通过"):
        assert line in result.output, line


def test_a_wrong_smtp_password_is_named(tmp_path):
    with smtp_server_with_login() as (host, port):
        env = good_configuration(tmp_path) | {"ZHENGAI_SMTP_URL": f"smtp://{SMTP_USER}:wrong@{host}:{port}"}
        result = doctor(env)
    assert result.exit_code == 1
    assert f"✗ SMTP 邮件服务器：{host}:{port} 拒绝了用户 {SMTP_USER} 的登录：用户名或密码错误" in result.output
    assert "发现 1 个问题" in result.output


def test_an_unreachable_smtp_server_is_named(tmp_path):
    port = free_port()  # nothing listens there
    result = doctor(good_configuration(tmp_path) | {"ZHENGAI_SMTP_URL": f"smtp://127.0.0.1:{port}"})
    assert result.exit_code == 1
    assert f"✗ SMTP 邮件服务器：无法连接 127.0.0.1:{port}" in result.output


def test_a_source_missing_a_contract_table_and_a_missing_folder_are_named(tmp_path):
    env = good_configuration(tmp_path)
    with sqlite3.connect(env["ZHENGAI_HR_URL"].removeprefix("sqlite:///")) as connection:
        connection.execute('drop table "RS_PXJL"')
    env["ZHENGAI_STATE_PATH"] = str(tmp_path / "no-such-folder")
    env["ZHENGAI_XG_URL"] = f"sqlite:///{tmp_path / 'missing.sqlite'}"
    result = doctor(env)
    assert result.exit_code == 1
    assert "✗ 人事系统（hr）：已连接" in result.output and "缺少合同（ingest/sources.yml）中的 1 张表：RS_PXJL" in result.output
    assert f"✗ 状态数据平台工作簿目录：{tmp_path / 'no-such-folder'} 不存在" in result.output
    assert f"✗ 学工系统（xg）：SQLite 文件 {tmp_path / 'missing.sqlite'} 不存在" in result.output
    assert "发现 3 个问题" in result.output


def test_a_dagster_home_without_its_configuration_is_named(tmp_path):
    env = good_configuration(tmp_path)
    env["DAGSTER_HOME"] = str(tmp_path / "empty_home")
    result = doctor(env)
    assert result.exit_code == 1
    assert f"✗ Dagster 实例目录（DAGSTER_HOME）：{tmp_path / 'empty_home'} 中没有 dagster.yaml" in result.output

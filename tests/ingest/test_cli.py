"""`zhengai ingest`: progress bars for long tables, then the load audit in Chinese."""

from __future__ import annotations

from click.testing import CliRunner

from zhengai.cli import main


def invoke(school, warehouse, *extra):
    args = ["ingest", "--warehouse", str(warehouse), "--state-path", str(school.state), *extra]
    for source, url in school.urls.items():
        args += ["--url", f"{source}={url}"]
    return CliRunner().invoke(main, args)


def test_cli_shows_a_progress_bar_per_long_table_and_the_load_summary(school, warehouse):
    result = invoke(school, warehouse, "--batch-size", "8")

    assert result.exit_code == 0, result.output
    assert "数据加载摘要" in result.stdout
    check_ins = next(line for line in result.stdout.splitlines() if "jw.JW_KQ_XSKQB" in line)
    assert check_ins.split()[1:5] == ["追加", "23", "20", "3"]  # read, loaded, quarantined
    assert "合计 35 张表" in result.stdout and "失败 0 张" in result.stdout
    # bars only for the tables longer than one batch (23 check-ins; 10 dorm checks)
    bars = result.stderr.replace("\r", "\n")
    assert "jw.JW_KQ_XSKQB:" in bars and "23/23" in bars
    assert "xg.XG_CQJL:" in bars and "hr.RS_BMXX:" not in bars


def test_cli_exits_non_zero_and_names_the_failed_table(school, warehouse):
    school.execute("jw", "ALTER TABLE JW_KQ_XSKQB DROP COLUMN KQZT")

    result = invoke(school, warehouse, "--source", "jw", "--no-progress")

    assert result.exit_code == 1
    assert "加载失败 jw.JW_KQ_XSKQB（保留上次数据）" in result.stdout
    assert "KQZT" in result.stdout and result.stderr == ""


def test_cli_refuses_a_url_without_source_name(school, warehouse):
    result = CliRunner().invoke(main, ["ingest", "--warehouse", str(warehouse), "--url",
                                                 "sqlite:///x.sqlite"])
    assert result.exit_code == 2 and "数据源=连接串" in result.output

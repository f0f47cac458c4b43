"""`zhengai backup` makes a copy a new installation can be restored from: the ledger's rows and
the Dagster home's runs and their event logs read back the same, while the ledger is held for writing."""

from __future__ import annotations

import sqlite3

import dagster as dg
from click.testing import CliRunner

from zhengai.cli import main
from zhengai.settings import REPO_ROOT


@dg.op
def count_to_three() -> int:
    return 3


@dg.job
def small_job():
    count_to_three()


def test_backup_restores_ledger_runs_and_cursors(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO_ROOT / "orchestration" / "dagster.yaml").read_text(encoding="utf-8"))
    ledger = tmp_path / "ledger.sqlite"
    with sqlite3.connect(ledger) as connection:
        connection.execute("create table warnings (id integer primary key, indicator_code text, state text)")
        connection.executemany("insert into warnings (indicator_code, state) values (?, ?)",
                               [("STU_ABSENT_PERIODS", "已通知"), ("CRS_PASS_RATE", "已确认")])
    with dg.DagsterInstance.from_config(str(home)) as instance:
        run_ids = sorted(small_job.execute_in_process(instance=instance).run_id for _ in range(2))
    # the ledger stays open for writing while the backup runs, as under a running daemon
    writer = sqlite3.connect(ledger)
    writer.execute("begin immediate")
    try:
        result = CliRunner().invoke(main, ["backup", "--to", str(tmp_path / "backups")],
                                    env={"ZHENGAI_LEDGER": str(ledger), "DAGSTER_HOME": str(home)})
    finally:
        writer.rollback()
        writer.close()
    assert result.exit_code == 0, result.output
    (folder,) = (tmp_path / "backups").iterdir()
    assert f"到 {folder}" in result.output

    with sqlite3.connect(folder / "ledger.sqlite") as copy:
        assert copy.execute("select indicator_code, state from warnings order by id").fetchall() == [
            ("STU_ABSENT_PERIODS", "已通知"), ("CRS_PASS_RATE", "已确认")]
    restored = tmp_path / "restored_home"
    (folder / "dagster_home").rename(restored)
    with dg.DagsterInstance.from_config(str(restored)) as instance:
        assert sorted(run.run_id for run in instance.get_runs()) == run_ids
        assert all(run.status == dg.DagsterRunStatus.SUCCESS for run in instance.get_runs())
        for run_id in run_ids:  # each run's event log came along
            assert instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_SUCCESS)


def test_backup_without_a_ledger_says_so(tmp_path):
    result = CliRunner().invoke(main, ["backup", "--to", str(tmp_path)],
                                env={"ZHENGAI_LEDGER": str(tmp_path / "none.sqlite"), "DAGSTER_HOME": ""})
    assert result.exit_code == 1
    assert f"备份失败：预警台账 {tmp_path / 'none.sqlite'} 不存在" in result.output

"""The README as a script, on a fresh clone: `make demo`, then every command of the shell blocks
the README marks `<!-- readme-test: runs after make demo … -->`, each of which must exit 0.

The clone gets its own .venv from uv's cache (no download: UV_OFFLINE) and a small demo school
(DEMO_SCHOOL), so the whole module takes a few minutes; it is slow-marked in tests/conftest.py.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from zhengai.settings import REPO_ROOT

MARK = re.compile(r"^<!-- readme-test: runs after make demo(?P<needs>, needs PostgreSQL)? -->$")
SCREENFUL = 50  # lines `make demo` may print, summary included
TIMEOUT_SECONDS = 1500
POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass
class Block:
    needs_postgres: bool
    commands: list[str]


def runnable_blocks(readme: str) -> list[Block]:
    """The shell blocks marked runnable, one command a line (comments stay: the shell drops them)."""
    blocks, lines = [], readme.splitlines()
    for number, line in enumerate(lines):
        marked = MARK.match(line.strip())
        if not marked:
            continue
        assert lines[number + 1].strip() == "```bash", f"README line {number + 2}: a marked block must follow its mark"
        end = lines.index("```", number + 2)
        commands = [command for command in lines[number + 2:end] if command.strip()]
        blocks.append(Block(bool(marked.group("needs")), commands))
    return blocks


def clean_environment() -> dict[str, str]:
    """A new user's shell: none of this machine's zhengai or Dagster settings, uv found as it would be."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("ZHENGAI_", "DAGSTER_", "VIRTUAL_ENV", "UV_", "PYTEST", "MAKE"))}
    uv = REPO_ROOT / ".tools" / "bin" / "uv"
    uv_dir = str(uv.parent) if uv.exists() else str(Path(shutil.which("uv") or "uv").parent)
    env["PATH"] = os.pathsep.join([uv_dir, env.get("PATH", "")])
    env["UV_OFFLINE"] = "1"  # installs from uv's cache: nothing is downloaded
    env["DEMO_SCHOOL"] = "--students 300 --years 1 --seed 11"
    return env


def run(command: str | list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(command if isinstance(command, list) else ["bash", "-c", command], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT_SECONDS)


@dataclass
class Clone:
    path: Path
    env: dict[str, str]
    demo: subprocess.CompletedProcess


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Clone:
    path = tmp_path_factory.mktemp("fresh") / "zhengai"
    subprocess.run(["git", "clone", "--quiet", str(REPO_ROOT), str(path)], check=True, timeout=300)
    env = clean_environment()
    return Clone(path, env, run(["make", "demo"], path, env))


def test_make_demo_prints_a_screenful_and_puts_the_rest_in_its_log(clone):
    demo = clone.demo
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    lines = demo.stdout.splitlines()
    assert len(lines) <= SCREENFUL, demo.stdout
    log = re.search(r"完整日志（uv、Dagster、dbt）写入 (\S+\.log)", lines[0])
    assert log, lines[0]
    text = (clone.path / log.group(1)).read_text(encoding="utf-8")
    assert "STEP_START" in text and "Running with dbt" in text  # Dagster's event log and dbt are there …
    assert "STEP_START" not in demo.stdout and "Running with dbt" not in demo.stdout  # … not on screen
    for stage in ("生成示例学校", "抽取", "构建数据中心", "检查", "预警", "快照", "报告", "分发"):
        assert any(stage in line for line in lines[:16]), stage
    assert "══ zhengai 夜间同步摘要 ══" in demo.stdout and "邮件：" in demo.stdout


@pytest.fixture(scope="module")
def quick_start(clone) -> dict[str, subprocess.CompletedProcess]:
    assert clone.demo.returncode == 0, clone.demo.stdout[-3000:]
    blocks = runnable_blocks((clone.path / "README.md").read_text(encoding="utf-8"))
    return {command: run(command, clone.path, clone.env)
            for block in blocks if not block.needs_postgres for command in block.commands}


def test_the_readme_marks_its_quick_start(clone):
    blocks = runnable_blocks((clone.path / "README.md").read_text(encoding="utf-8"))
    commands = [command for block in blocks for command in block.commands]
    assert any("zhengai sql" in c for c in commands) and any("zhengai doctor" in c for c in commands)
    assert any(c.startswith("make sync") for c in commands) and any("zhengai publish" in c for c in commands)


def test_every_quick_start_command_runs(quick_start):
    failed = {command: (result.returncode, result.stdout[-1500:], result.stderr[-1500:])
              for command, result in quick_start.items() if result.returncode != 0}
    assert failed == {}


def test_the_snapshot_query_prints_a_table(quick_start):
    result = next(r for c, r in quick_start.items() if "zhengai sql -c" in c)
    assert "published_at" in result.stdout and "run_id" in result.stdout


def test_an_unchanged_rerun_reads_every_source_and_changes_nothing(quick_start):
    result = next(r for c, r in quick_start.items() if c.startswith("make sync"))
    sources = re.findall(r"（(\w+)）：读取 ([\d,]+) 行，新增或变更 ([\d,]+) 行", result.stdout)
    assert {source for source, _, _ in sources} == {"jw", "hr", "xg", "state", "plan"}, result.stdout
    for source, read, changed in sources:
        assert int(read.replace(",", "")) > 0 and changed == "0", source
    assert "本次无新增预警需要通知" in result.stdout and "邮件：0 封" in result.stdout
    assert len(result.stdout.splitlines()) <= SCREENFUL


@pytest.mark.services
def test_the_publish_command_runs_against_postgresql(clone):
    import psycopg2

    try:
        server = psycopg2.connect(POSTGRES_SERVER, connect_timeout=5)
    except psycopg2.OperationalError as error:
        if os.environ.get("ZHENGAI_REQUIRE_SERVICES") == "1":
            pytest.fail(f"PostgreSQL server required but unreachable: {error}")
        pytest.skip(f"PostgreSQL server not reachable at {POSTGRES_SERVER}")
    server.autocommit = True
    with server.cursor() as cursor:
        cursor.execute("select 1 from pg_database where datname = 'zhengai'")
        existed = cursor.fetchone() is not None
    try:
        for block in runnable_blocks((clone.path / "README.md").read_text(encoding="utf-8")):
            for command in block.commands if block.needs_postgres else []:
                result = run(command, clone.path, clone.env)
                assert result.returncode == 0, (command, result.stdout[-2000:], result.stderr[-2000:])
                assert "已发布到 PostgreSQL 模式 zhengai_marts" in result.stdout
    finally:
        if not existed:
            with server.cursor() as cursor:
                cursor.execute("drop database if exists zhengai with (force)")
        server.close()

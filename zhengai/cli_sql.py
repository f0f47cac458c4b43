"""`zhengai sql`: an SQL prompt on the analysts' snapshot, read-only, with the DuckDB the product ships.

No separate DuckDB CLI to install: statements end with `;` and may span lines; the result of
the last statement is printed as a table. `-c` runs statements once and exits.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click

from zhengai.settings import Settings, school_timezone_name

PROMPT, CONTINUATION = "zhengai sql> ", "        ...> "
MAX_ROWS = 200
QUIT = {".quit", ".exit", "\\q", "quit", "exit"}
HELP = ("输入以分号结尾的 SQL 语句（可跨行）；.tables 列出表；.quit 或 Ctrl-D 退出。"
        "例如：select * from snapshot_info;")


def _show(con, statements: str) -> None:
    relation = con.sql(statements)
    if relation is not None:
        # A terminal gets what fits its width; a pipe or a file gets every column.
        width = shutil.get_terminal_size().columns if sys.stdout.isatty() else 100_000
        relation.show(max_width=width, max_rows=MAX_ROWS)


def _tables(con) -> str:
    return ("select table_schema as 模式, string_agg(table_name, '  ' order by table_name) as 表 "
            "from information_schema.tables group by 1 order by 1")


def _prompt(con) -> None:
    try:
        import readline  # noqa: F401 — line editing and history for input()
    except ImportError:
        pass
    click.echo(HELP)
    buffer: list[str] = []
    while True:
        try:
            line = input(CONTINUATION if buffer else PROMPT)
        except EOFError:
            click.echo()
            return
        except KeyboardInterrupt:
            click.echo()
            buffer.clear()
            continue
        if not buffer and line.strip() in QUIT:
            return
        if not buffer and line.strip() == ".tables":
            _show(con, _tables(con))
            continue
        buffer.append(line)
        if not line.rstrip().endswith(";"):
            continue
        statements = "\n".join(buffer)
        buffer.clear()
        try:
            _show(con, statements)
        except Exception as error:  # a wrong query is reported and the prompt goes on
            click.echo(f"错误：{error}", err=True)


@click.command("sql", help="打开分析快照（只读）的 SQL 交互界面；-c 执行给定语句后退出。无需另装 DuckDB 命令行。")
@click.option("-c", "--command", "command", default=None, metavar="SQL",
              help="执行这些语句（分号分隔）并打印最后一条的结果，然后退出")
@click.option("--db", "database", type=click.Path(path_type=Path), default=None,
              help="DuckDB 文件（默认分析快照 $ZHENGAI_SNAPSHOT）")
def sql(command: str | None, database: Path | None) -> None:
    import duckdb

    database = database or Settings.from_env().snapshot
    if not database.exists():
        raise click.ClickException(f"找不到 {database}：分析快照在夜间同步成功后生成，请先运行 make demo（或 zhengai sync）。")
    with duckdb.connect(str(database), read_only=True) as con:
        zone = school_timezone_name().replace("'", "")
        con.execute(f"set TimeZone = '{zone}'")  # times shown as the school reads them
        if command is None and not sys.stdin.isatty():
            command = sys.stdin.read()  # statements piped in: run them like -c
        if command is None:
            _prompt(con)
            return
        try:
            _show(con, command)
        except duckdb.Error as error:
            raise click.ClickException(f"SQL 执行失败：{error}") from error

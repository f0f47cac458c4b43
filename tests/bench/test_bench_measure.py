"""The benchmark's measuring pieces: process-tree memory, the report block, the peer's URL."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bench.measure import measure_command
from bench.peer import PostgresTarget
from bench.report import BLOCK_END, BLOCK_START, INGEST_BLOCK_END, INGEST_BLOCK_START, update_markdown

# A parent that starts a child holding ~300 MB, waits for it, then exits.
PARENT = (
    "import subprocess, sys; "
    "subprocess.run([sys.executable, '-c', "
    "'import time; b = bytearray(300 * 2**20); b[::4096] = b\"x\" * len(b[::4096]); time.sleep(1.0)'], check=True)"
)


def test_peak_memory_counts_the_children_of_the_measured_process(tmp_path: Path):
    m = measure_command([sys.executable, "-c", PARENT], {}, tmp_path / "run.log")
    assert m.returncode == 0
    assert m.max_process_rss >= 300 * 2**20
    # the whole tree: the child's 300 MB plus the parent interpreter
    assert m.peak_tree_rss >= m.max_process_rss + 5 * 2**20
    assert 1.0 <= m.seconds < 30


def test_a_failing_command_reports_its_exit_code(tmp_path: Path):
    m = measure_command([sys.executable, "-c", "print('boom'); raise SystemExit(3)"], {}, tmp_path / "fail.log")
    assert m.returncode == 3
    assert "boom" in (tmp_path / "fail.log").read_text()


def test_the_report_block_is_replaced_and_other_sections_kept(tmp_path: Path):
    md = tmp_path / "BENCHMARKS.md"
    md.write_text("# Benchmarks\n\n## Ingest\n\ningest figures\n", encoding="utf-8")
    update_markdown(md, "## End-to-end benchmark\n\nfirst\n")
    update_markdown(md, "## End-to-end benchmark\n\nsecond\n")
    text = md.read_text(encoding="utf-8")
    assert text.count(BLOCK_START) == 1 and text.count(BLOCK_END) == 1
    assert "## Ingest\n\ningest figures\n" in text
    assert "second" in text and "first" not in text
    # a section written after the block stays after it
    md.write_text(text + "\n## Later\n\nkept\n", encoding="utf-8")
    update_markdown(md, "## End-to-end benchmark\n\nthird\n")
    text = md.read_text(encoding="utf-8")
    assert text.index("third") < text.index("## Later") and "kept" in text


def test_a_block_under_another_note_is_replaced_not_repeated(tmp_path: Path):
    """The start marker is found by its tag, whatever its note says; the note is rewritten."""
    md = tmp_path / "BENCHMARKS.md"
    md.write_text("# Benchmarks\n\n<!-- bench:start (some other note) -->\nold\n<!-- bench:end -->\n\n"
                  "<!-- ingest-bench:start (another note) -->\n## Ingest\n\n<!-- ingest-bench:end -->\n",
                  encoding="utf-8")
    update_markdown(md, "new\n")
    update_markdown(md, "## Ingest\n\nfigures\n", INGEST_BLOCK_START, INGEST_BLOCK_END)
    text = md.read_text(encoding="utf-8")
    assert text.count("<!-- bench:start") == 1 and BLOCK_START in text and "old" not in text
    assert text.count("<!-- ingest-bench:start") == 1 and INGEST_BLOCK_START in text
    assert text.index("new") < text.index("figures")


def test_the_peer_target_comes_from_a_url():
    pg = PostgresTarget.from_url("postgresql://bench:s%40cret@db.local:6543/peer")
    assert pg == PostgresTarget("db.local", 6543, "bench", "s@cret", "peer")
    assert pg.dbt_env()["ZHENGAI_PG_DATABASE"] == "peer"
    with pytest.raises(ValueError):
        PostgresTarget.from_url("mysql://root@localhost/test")

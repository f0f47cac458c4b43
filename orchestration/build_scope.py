"""What the same-day dbt build has to rebuild: the nodes downstream of what changed since the
last good build of the data center.

Changed means: raw tables that received or lost rows (meta.load_audit), the quarantine when
a row was set aside that it did not hold yet, nodes whose own file changed (a registry seed
edited, a model deployed) and nodes built for another month than the school's current one
(the task board runs to the current month). Everything else was built from the same inputs
and is left as it is. With no build recorded, or a node never built, the scope is the whole
project.

Three things wait for the nightly build, which builds the whole project: the models whose dbt
config sets `meta: {same_day_build: false}` (the engineers' data-quality findings,
dbt_project.yml: they read whole logs, and nobody reads them before the next morning), the
model layers' data tests (below) and, when a workbook is read again and refuses the same rows,
the time of that refusal in dq_plan_refusals (the plan workbooks are read every run: rebuilding
for that alone would start dbt every school hour).

The model layers' data tests are left to the nightly build: each reads its whole table, every
one warns (it never stops a build, dbt_project.yml) and what they find reaches only the
engineers' alert after the nightly run. The registry seeds' tests, which do stop a build, run
whenever their seed is rebuilt. The nightly build runs them all.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb

BUILT_TYPES = ("model", "seed", "snapshot")
# The data tests written beside the models (dbt's path of a test is the YAML file declaring it).
MODELS_FOLDER = "models"
MODEL_LAYER_TESTS = f"resource_type:test,path:{MODELS_FOLDER}"
# Macros whose output depends on the month the build runs to (dbt var as_of_month).
MONTH_MACROS = ("macro.zhengai.as_of_month",)

BUILD_LOG_DDL = """
CREATE SCHEMA IF NOT EXISTS meta;
CREATE TABLE IF NOT EXISTS meta.data_center_builds (
    run_id VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP, scope VARCHAR,
    nodes_selected INTEGER, changed_sources VARCHAR);
CREATE TABLE IF NOT EXISTS meta.data_center_nodes (
    unique_id VARCHAR PRIMARY KEY, checksum VARCHAR, as_of_date DATE, run_id VARCHAR, built_at TIMESTAMP);
"""


@dataclass(frozen=True)
class BuildScope:
    full: bool
    reason: str                                 # for the log, in Chinese
    nodes: frozenset[str] = frozenset()         # unique ids built when not full
    changed_sources: tuple[str, ...] = ()       # "raw_jw.JW_KQ_XSKQB", …
    modified: tuple[str, ...] = ()              # nodes changed themselves (file, month)
    excluded_names: tuple[str, ...] = field(default=(), repr=False)

    def exclude_args(self) -> list[str]:
        """dbt's `--exclude` for this scope (none for a full build)."""
        return [] if self.full else ["--exclude", " ".join((MODEL_LAYER_TESTS, *self.excluded_names))]

    @property
    def empty(self) -> bool:
        return not self.full and not self.nodes


def _descendants(child_map: Mapping[str, list[str]], roots: Iterable[str]) -> set[str]:
    seen, stack = set(), list(roots)
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(child_map.get(node, []))
    return seen


def _uses_macro(manifest: dict, node: dict, wanted: tuple[str, ...]) -> bool:
    macros, stack = set(), list(node.get("depends_on", {}).get("macros", []))
    while stack:
        name = stack.pop()
        if name in macros:
            continue
        macros.add(name)
        stack.extend(manifest["macros"].get(name, {}).get("depends_on", {}).get("macros", []))
    return any(name in macros for name in wanted)


def source_ids(manifest: dict, tables: Iterable[tuple[str, str]]) -> list[str]:
    """dbt source ids of (warehouse schema, table) pairs; tables dbt does not read are left out."""
    by_relation = {(source["schema"].lower(), source["name"].lower()): uid for uid, source in manifest["sources"].items()}
    return sorted({by_relation[(schema.lower(), name.lower())] for schema, name in tables
                   if (schema.lower(), name.lower()) in by_relation})


def runs_in_a_scope(node: dict) -> bool:
    """Built, or a test that is not one of the model layers' (MODEL_LAYER_TESTS)."""
    return node["resource_type"] in BUILT_TYPES or (
        node["resource_type"] == "test" and not node["original_file_path"].startswith(f"{MODELS_FOLDER}/"))


def built_the_same_day(node: dict) -> bool:
    return node.get("config", {}).get("meta", {}).get("same_day_build", True) is not False


def select_nodes(manifest: dict, roots: Iterable[str]) -> frozenset[str]:
    """The roots and everything downstream of them that a scoped `dbt build` runs (a seed's
    tests run when it is rebuilt, as dbt's eager selection does), but what waits for the night."""
    wanted = _descendants(manifest["child_map"], roots)
    return frozenset(uid for uid in wanted if uid in manifest["nodes"] and runs_in_a_scope(manifest["nodes"][uid])
                     and built_the_same_day(manifest["nodes"][uid]))


def excluded_names(manifest: dict, nodes: frozenset[str]) -> tuple[str, ...]:
    """Names of every node a scoped build could run outside `nodes`: dagster-dbt always adds
    the asset definition's own `--select`, and dbt unions repeated selects, so the scope is
    given as what to leave out."""
    return tuple(sorted(node["name"] for uid, node in manifest["nodes"].items()
                        if runs_in_a_scope(node) and uid not in nodes))


def _has_build_log(con: duckdb.DuckDBPyConnection) -> bool:
    return con.execute("select count(*) from information_schema.tables where table_schema = 'meta' "
                       "and table_name in ('data_center_builds', 'data_center_nodes', 'load_audit', 'quarantine')"
                       ).fetchone()[0] == 4


def changed_tables(con: duckdb.DuckDBPyConnection, since: datetime) -> list[tuple[str, str]]:
    """(schema, table) of raw tables written to or removed from by loads after `since`, and
    the quarantine when those loads set aside a row it did not hold yet."""
    rows = con.execute("""
        select 'raw_' || source, table_name,
               bool_or(coalesce(rows_written, rows_loaded) > 0 or coalesce(rows_removed, 0) > 0
                       or coalesce(rows_deleted, 0) > 0)
        from meta.load_audit where started_at > ? and status = 'ok'
        group by all order by all""", [since]).fetchall()
    tables = [(schema, table) for schema, table, written in rows if written]
    if _new_refusals(con, since):
        tables.append(("meta", "quarantine"))
    return tables


def _new_refusals(con: duckdb.DuckDBPyConnection, since: datetime) -> bool:
    """Did a load after `since` set aside a row (table, key, rule, detail) no earlier load did?"""
    return con.execute("""
        with recent as (select run_id from meta.load_audit where started_at > ? and status = 'ok')
        select exists (
            select 1 from meta.quarantine as new
            where new.run_id in (select run_id from recent)
              and not exists (
                  select 1 from meta.quarantine as old
                  where old.run_id not in (select run_id from recent)
                    and old.source = new.source and old.table_name = new.table_name
                    and old.row_key is not distinct from new.row_key and old.rule is not distinct from new.rule
                    and old.detail is not distinct from new.detail))""", [since]).fetchone()[0]


def plan_build(warehouse: Path, manifest: dict, as_of: date) -> BuildScope:
    """The nodes the next build has to run so the warehouse equals a full build on the same raw."""
    if not Path(warehouse).exists():
        return BuildScope(full=True, reason="仓库尚不存在，完整构建")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        if not _has_build_log(con):
            return BuildScope(full=True, reason="仓库中没有构建记录，完整构建")
        last = con.execute("select max(started_at) from meta.data_center_builds").fetchone()[0]
        if last is None:
            return BuildScope(full=True, reason="仓库中没有成功的构建记录，完整构建")
        built = {uid: (checksum, as_of_date) for uid, checksum, as_of_date in
                 con.execute("select unique_id, checksum, as_of_date from meta.data_center_nodes").fetchall()}
        tables = changed_tables(con, last)
    modified = []
    for uid, node in manifest["nodes"].items():
        if node["resource_type"] not in BUILT_TYPES:
            continue
        if uid not in built or built[uid][0] != node["checksum"]["checksum"]:
            modified.append(uid)
        elif (_uses_macro(manifest, node, MONTH_MACROS)
              and (built[uid][1] is None or built[uid][1].strftime("%Y-%m") != as_of.strftime("%Y-%m"))):
            modified.append(uid)
    sources = source_ids(manifest, tables)
    nodes = select_nodes(manifest, [*sources, *modified])
    changed = tuple(f"{schema}.{table}" for schema, table in tables)
    if not nodes:
        return BuildScope(full=False, reason="上次构建后没有新数据或改动，无需构建", changed_sources=changed)
    reason = (f"只构建受影响的 {len(nodes)} 个节点：" + ("、".join(changed) or "无新数据")
              + (f"；自身改动或跨月的节点 {len(modified)} 个" if modified else ""))
    return BuildScope(full=False, reason=reason, nodes=nodes, changed_sources=changed, modified=tuple(sorted(modified)),
                      excluded_names=excluded_names(manifest, nodes))


def record_build(warehouse: Path, manifest: dict, scope: BuildScope, *, run_id: str, started_at: datetime,
                 as_of: date) -> None:
    """After a good build: when it started (loads after it are the next build's news) and
    the version of each node it built."""
    built = [uid for uid, node in manifest["nodes"].items() if node["resource_type"] in BUILT_TYPES
             and (scope.full or uid in scope.nodes)]
    now = datetime.now()
    with duckdb.connect(str(warehouse)) as con:
        con.execute(BUILD_LOG_DDL)
        con.begin()
        con.execute("insert into meta.data_center_builds values (?, ?, ?, ?, ?, ?)",
                    [run_id, started_at, now, "full" if scope.full else ("none" if scope.empty else "changed"), len(built),
                     json.dumps(list(scope.changed_sources), ensure_ascii=False)])
        if built:  # none when nothing changed: the build is still recorded, the next one starts from it
            con.executemany("insert or replace into meta.data_center_nodes values (?, ?, ?, ?, ?)",
                            [[uid, manifest["nodes"][uid]["checksum"]["checksum"], as_of, run_id, now] for uid in built])
        con.commit()

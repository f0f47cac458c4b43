"""The reports room as assets: the report site, the annual tables and the drafts due, after each good build.

Downstream of the judged status and the warnings ledger, so Dagster runs them only when the
build before them succeeded; each writes only what changed since the last night.
"""

from pathlib import Path

import dagster as dg

from orchestration.assets.data_center import STATUS_MART
from orchestration.assets.warnings_ledger import WARNINGS_LEDGER
from orchestration.resources import ReportsRoom, ZhengaiPaths
from serving.annual_tables import build_annual_tables
from serving.drafts.build import build_drafts
from serving.report_data import LAYER_ZH, ReportData
from serving.reports import annual_dir, drafts_dir, due_reports, report_period, site_dir
from serving.site.build import build_site
from zhengai.clock import school_now

REPORT_SITE = dg.AssetKey(["reports", "site"])
ANNUAL_TABLES = dg.AssetKey(["reports", "annual_tables"])
REPORT_DRAFTS = dg.AssetKey(["reports", "drafts"])
UPSTREAM = [STATUS_MART, WARNINGS_LEDGER]


@dg.asset(
    key=REPORT_SITE, deps=UPSTREAM, group_name="reports", kinds={"html"},
    # It reads the warehouse in the process that writes it: never next to a writing step.
    pool="warehouse_writer",
    description="报告网站：驾驶舱、各层面索引与每个实体的画像页（静态 HTML，可离线打开），只重写有变化的页面 · the report site",
)
def report_site(context: dg.AssetExecutionContext, paths: ZhengaiPaths, reports: ReportsRoom) -> dg.MaterializeResult:
    report = build_site(paths.warehouse_path, Path(paths.ledger), site_dir(Path(reports.path)))
    context.log.info(f"报告网站：{report.pages:,} 页，重写 {report.written:,}，未变 {report.unchanged:,}，"
                     f"删除 {report.removed:,}，{report.seconds:.1f} 秒；入口 {report.index}")
    return dg.MaterializeResult(metadata={
        "index": dg.MetadataValue.path(str(report.index)), "url": reports.base_url + "index.html",
        "pages": report.pages, "written": report.written, "unchanged": report.unchanged, "removed": report.removed,
        "seconds": round(report.seconds, 2), **{f"pages_{k}": v for k, v in sorted(report.by_type.items())},
    })


@dg.asset(
    key=ANNUAL_TABLES, deps=UPSTREAM, group_name="reports", kinds={"excel"}, pool="warehouse_writer",
    description="质量年报数据表：每个学年一份 .xlsx（生师比、双师素质比例、生均指标、各专业毕业去向落实率……），每个数值可追溯到状态表的一行",
)
def annual_tables(context: dg.AssetExecutionContext, paths: ZhengaiPaths, reports: ReportsRoom) -> dg.MaterializeResult:
    made = build_annual_tables(paths.warehouse_path, annual_dir(Path(reports.path)))
    for workbook in made:
        context.log.info(f"质量年报数据表：{workbook.path}，{workbook.values} 个数值，{workbook.missing} 个数据不足")
    return dg.MaterializeResult(metadata={"workbooks": len(made), "files": ", ".join(w.path.name for w in made)})


@dg.asset(
    key=REPORT_DRAFTS, deps=UPSTREAM, group_name="reports", kinds={"docx"}, pool="warehouse_writer",
    description="诊改报告草稿（.docx）：报告日历中处于准备期的层面，按层面与实体生成，数据部分已填写、叙述部分为提纲 · report drafts due",
)
def report_drafts(context: dg.AssetExecutionContext, paths: ZhengaiPaths, reports: ReportsRoom) -> dg.MaterializeResult:
    today = school_now().date()
    wanted = report_period(today)
    with ReportData(paths.warehouse_path) as data:
        due = due_reports(data.calendar, today)
        known = sorted(r["school_year"] for r in data.table(
            "select school_year from core.dim_school_year where has_teaching_data and school_year <= ?", [wanted]))
    # The year the report covers, or the latest one the data center has before it (and the log says so).
    period = known[-1] if known else None
    if due and period != wanted:
        context.log.warning(f"报告应覆盖 {wanted} 学年，数据中心最近的学年是 {period or '无'}：草稿按 {period or '—'} 学年生成")
    made, pending = {}, {}
    for entry in due:
        if period is None:
            context.log.info(f"{entry.report_name_zh}：数据中心没有 {wanted} 及以前学年的教学数据，不生成草稿")
            continue
        report = build_drafts(paths.warehouse_path, Path(paths.ledger), drafts_dir(Path(reports.path)), entry.layer, period,
                              entity_drafts=entry.entity_drafts, site_base_url=reports.base_url,
                              at_most=entry.entity_drafts_per_night)
        made[entry.layer] = report.drafts
        pending[entry.layer] = report.pending
        later = (f"；另有 {report.pending} 份待更新或待生成，留待之后的夜间（每晚至多 {entry.entity_drafts_per_night} 份，"
                 f"见 report_calendar.entity_drafts_per_night）" if report.pending else "")
        context.log.info(f"{entry.report_name_zh}（{period}）：{report.drafts} 份草稿，重写 {report.written}，"
                         f"{report.seconds:.1f} 秒；目录 {report.path}{later}")
    if not due:
        context.log.info(f"{today:%Y-%m} 没有处于准备期的诊改报告（见报告日历 report_calendar）")
    return dg.MaterializeResult(metadata={
        "period": period, "layers": ", ".join(LAYER_ZH[layer] for layer in made) or "无",
        **{f"drafts_{layer}": count for layer, count in made.items()},
        **{f"pending_{layer}": count for layer, count in pending.items() if count},
    })

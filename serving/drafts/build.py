"""诊改报告 drafts (.docx) per layer and per entity, for the people who must write them.

A draft fills the data: each control point's values of the school year with their own
target, standard and warning values, status, the previous period and the change, the unit's
and the school's means and the reference figures, the charts (the site's, as PNG), and the
warnings of the year from the ledger with what was done about them. The narrative sections
of the college template (`narrative.yml`) are headings with short prompts. Every draft says
on its first page that it is a draft and not a diagnosis.
"""

from __future__ import annotations

import io
import multiprocessing
import re
import tempfile
import time
from collections import defaultdict
from xml.sax.saxutils import escape
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterator

import yaml
from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Emu, Pt, RGBColor

from alerting.ledger import OPEN_STATES, WarningRow
from serving import charts
from serving.report_data import (
    ENTITY_ZH, LAYER_ZH, STATUSES, ReportData, StatusRow, course_means, group_by_entity, school_year_of, shown_fields,
)
from serving.report_files import ContentWriter, code_version, content_key
from serving.site.links import page_url

HERE = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def narrative() -> dict:
    """The narrative parts of each layer's report (narrative.yml), read on first use."""
    return yaml.safe_load((HERE / "narrative.yml").read_text(encoding="utf-8"))


# The entity types whose drafts a layer's report asks for; a course is the mean of its teaching classes.
LAYER_ENTITIES = {
    "school": ("school", "college"), "major": ("major",), "course": ("course",), "teacher": ("staff",), "student": ("student",),
}
DRAFT_NOTICE = (
    "草稿：本文件由诊改数据平台根据数据中心 {built_at} 的数据自动生成，只填写了数据部分。"
    "现状分析、原因与改进措施须由撰写人完成；未经撰写与审核，不是诊断结论，不得作为诊改报告上报。"
)
PROMPT_COLOUR = RGBColor(0x80, 0x80, 0x80)
NOTICE_COLOUR = RGBColor(0xC6, 0x28, 0x28)
BODY_FONT = "宋体"
n = charts.number


@dataclass
class DraftsReport:
    path: Path
    layer: str
    period: str
    drafts: int = 0
    written: int = 0
    unchanged: int = 0
    charts: int = 0
    seconds: float = 0.0
    files: list[Path] = field(default_factory=list)
    # entity drafts out of date or missing left for a later night (the per-night limit)
    pending: int = 0


def _file_name(text: str) -> str:
    return re.sub(r'[\\/:*?"<>|\s]+', "_", text).strip("_")[:80] or "draft"


def in_school_year(period: str, school_year: str) -> bool:
    return school_year_of(period) == school_year


def shown_rows(rows: list[StatusRow], school_year: str) -> list[StatusRow]:
    """The values a draft of `school_year` shows: that year's and the years before it (the trend).
    Later years are left out, so the nights of a new year leave a closed year's drafts as they are."""
    return [r for r in rows if (year := school_year_of(r.period)) is not None and year <= school_year]


class DraftWriter:
    """python-docx with the styles of a Chinese report: 宋体 body, headings, plain tables."""

    def __init__(self, title: str, built_at: str):
        self.document = Document()
        normal = self.document.styles["Normal"]
        normal.font.size = Pt(10.5)
        normal.font.name = BODY_FONT
        normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
        for section in self.document.sections:
            section.left_margin = section.right_margin = Cm(2.2)
        # Style ids looked up once and set on the paragraph directly: python-docx searches every
        # style by name on each `style=` (a third of a draft's time otherwise).
        styles = self.document.styles
        self.headings = {level: styles["Title" if level == 0 else f"Heading {level}"].style_id for level in range(4)}
        self.table_style = styles["Table Grid"]
        self.table_text = styles.add_style("Table Text", WD_STYLE_TYPE.PARAGRAPH)
        self.table_text.base_style = normal
        self.table_text.font.size = Pt(9)
        self.table_text_id = self.table_text.style_id
        heading = self._styled(title + "（草稿）", self.headings[0])
        heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
        notice = self.document.add_paragraph()
        run = notice.add_run(DRAFT_NOTICE.format(built_at=built_at))
        run.bold = True
        run.font.color.rgb = NOTICE_COLOUR

    def _styled(self, text: str, style_id: str):
        paragraph = self.document.add_paragraph(text)
        paragraph._p.style = style_id
        return paragraph

    def heading(self, text: str, level: int = 1) -> None:
        self._styled(text, self.headings[level])

    def paragraph(self, text: str, prompt: bool = False) -> None:
        paragraph = self.document.add_paragraph()
        run = paragraph.add_run(text)
        if prompt:
            run.italic = True
            run.font.color.rgb = PROMPT_COLOUR

    def table(self, header: list[str], rows: list[list[str]], widths: list[float] | None = None) -> None:
        """The table python-docx's add_table makes (its style, grid and cell widths), written as one
        piece of XML: filled cell by cell through python-docx it took a fifth of a draft's time."""
        twips = ([Cm(w).twips for w in widths] if widths
                 else [Emu(self.document._block_width // len(header)).twips] * len(header))
        grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in twips)
        body = "".join(
            "<w:tr>" + "".join(
                f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{width}"/></w:tcPr><w:p><w:pPr><w:pStyle w:val="{self.table_text_id}"/>'
                f'</w:pPr><w:r>{"<w:rPr><w:b/></w:rPr>" if index == 0 else ""}{_run_text(str(text))}</w:r></w:p></w:tc>'
                for text, width in zip(values, twips)) + "</w:tr>"
            for index, values in enumerate([header, *rows]))
        self.document.element.body._insert_tbl(parse_xml(
            f'<w:tbl {nsdecls("w")}><w:tblPr><w:tblStyle w:val="{self.table_style.style_id}"/><w:tblW w:type="auto" w:w="0"/>'
            f'<w:tblLook w:firstColumn="1" w:firstRow="1" w:lastColumn="0" w:lastRow="0" w:noHBand="0" w:noVBand="1" '
            f'w:val="04A0"/></w:tblPr><w:tblGrid>{grid}</w:tblGrid>{body}</w:tbl>'))

    def picture(self, png: bytes, width_cm: float = 14.0) -> None:
        self.document.add_picture(io.BytesIO(png), width=Cm(width_cm))

    def narrative(self, contents: list[str]) -> None:
        """The headings and prompts of the layer's narrative: the same in every draft of the layer,
        so written once as XML (through python-docx, paragraph by paragraph, a tenth of a draft)."""
        for paragraph in list(parse_xml(_narrative_xml(tuple(contents), self.headings[2], self.headings[3]))):
            self.document.element.body._insert_p(paragraph)

    def save(self) -> bytes:
        buffer = io.BytesIO()
        self.document.save(buffer)
        return buffer.getvalue()


@lru_cache(maxsize=8)
def _narrative_xml(contents: tuple[str, ...], item_style: str, column_style: str) -> str:
    """DraftWriter.narrative's paragraphs, as heading() and paragraph(prompt=True) write them."""
    def styled(text: str, style: str) -> str:
        return f'<w:p><w:pPr><w:pStyle w:val="{style}"/></w:pPr><w:r>{_run_text(text)}</w:r></w:p>'
    prompt = f'<w:rPr><w:i/><w:color w:val="{PROMPT_COLOUR}"/></w:rPr>'
    paragraphs = []
    for index, item in enumerate(contents, start=1):
        paragraphs.append(styled(f"{index}. {item}", item_style))
        for column, text in narrative()["columns"].items():
            paragraphs += [styled(column, column_style), f"<w:p><w:r>{prompt}{_run_text(f'（请撰写：{text}）')}</w:r></w:p>"]
    return f'<w:body {nsdecls("w")}>{"".join(paragraphs)}</w:body>'


def _run_text(text: str) -> str:
    """A run's text as WordprocessingML, line breaks and tabs as python-docx writes them."""
    parts = re.split(r"(\n|\t)", text)
    return "".join("<w:br/>" if part == "\n" else "<w:tab/>" if part == "\t" else
                   (f'<w:t xml:space="preserve">{escape(part)}</w:t>' if part else "") for part in parts)


class ChartRasteriser:
    """PNG of the site's SVG charts; resvg loads the packaged font once per build as a small subset."""

    def __init__(self, vocabulary: str) -> None:
        self._font_dir = tempfile.TemporaryDirectory(prefix="zhengai-font-")
        self._vocabulary = vocabulary
        self._font: Path | None = None
        self.count = 0

    def png(self, spec: charts.ChartSpec) -> bytes:
        import resvg_py

        chart = charts.render_svg(spec, standalone=True)
        if self._font is None:
            self._font = Path(self._font_dir.name) / "chart-font.otf"
            self._font.write_bytes(charts.font_subset(self._vocabulary))
        font = self._font
        self.count += 1
        return bytes(resvg_py.svg_to_bytes(
            svg_string=chart.svg, skip_system_fonts=True, font_files=[str(font)], font_family=charts.FONT_FAMILY,
            sans_serif_family=charts.FONT_FAMILY, zoom=1.4, background="#ffffff",
        ))

    def close(self) -> None:
        self._font_dir.cleanup()


class DraftsBuilder:
    def __init__(self, data: ReportData, out_dir: Path, site_base_url: str | None, shared: dict | None = None):
        self.data = data
        self.out_dir = Path(out_dir)
        self.site_base_url = site_base_url
        self.points = data.control_points
        if shared is None:  # a worker process gets these from the parent rather than querying again
            shared = {"comparisons": data.comparisons(), "built_at": data.built_at()}
        self.shared = shared
        self.comparisons = shared["comparisons"]
        self.built_at = shared["built_at"]
        labels = ["本值", "学院平均", "全校平均", *(p.unit for p in self.points.values()),
                  *(r.label_zh for refs in data.references.values() for r in refs)]
        self.rasteriser = ChartRasteriser("".join(labels))
        self.version = drafts_version()

    def _mean(self, code: str, unit_id: str | None, period: str) -> float | None:
        found = self.comparisons.get((code, unit_id, period))
        return found[0] if found else None

    def _chart_spec(self, entity_type: str, code: str, series: list[StatusRow], with_unit: bool) -> charts.ChartSpec:
        comparisons = []
        if with_unit:
            comparisons.append(charts.Comparison("unit", "学院平均", tuple(self._mean(code, r.unit_id, r.period) for r in series)))
        comparisons.append(charts.Comparison("school", "全校平均", tuple(self._mean(code, None, r.period) for r in series)))
        references = self.data.references_for(code, [r.period for r in series])
        return charts.ChartSpec(
            code, self.points[code].unit,
            tuple(charts.Point(r.period, r.value, r.status, r.target_value, r.standard_value, r.warning_value) for r in series),
            entity_label="本值", comparisons=tuple(comparisons),
            references=tuple(charts.Reference(ref.value, ref.label_zh) for ref in references),
        )

    # One entity ---------------------------------------------------------------------------------
    def has_value_in(self, rows: list[StatusRow], period: str) -> bool:
        """Whether an entity has a value of a control point in school year `period`: one without
        gets no draft."""
        return any(in_school_year(r.period, period) and r.indicator_code in self.points for r in rows)

    def entity_draft(self, layer: str, entity_type: str, entity_id: str, name: str, unit_name: str,
                     rows: list[StatusRow], warnings: list[WarningRow], period: str, owner: str) -> tuple[str, bytes]:
        """The draft of one entity (`has_value_in` the year) from its `shown_rows` and its warnings of the year."""
        title = narrative()["layers"][layer]["title"].format(name=name, period=period)
        by_code: dict[str, list[StatusRow]] = defaultdict(list)
        for row in rows:
            by_code[row.indicator_code].append(row)
        with_unit = entity_type in ("student", "staff", "major")
        doc = DraftWriter(title, self.built_at)
        meta = [[ENTITY_ZH.get(entity_type, entity_type), f"{name}（{entity_id}）"], ["所属单位", unit_name or "—"],
                ["学年", period], ["数据截至", self.built_at], ["牵头部门", owner or "—"]]
        if self.site_base_url:
            meta.append(["画像页", page_url(self.site_base_url, entity_type, entity_id)])
        doc.table(["项目", "内容"], meta, widths=[3, 13])

        doc.heading("一、质控点数据", level=1)
        doc.paragraph("下表列出本学年各周期的值及该行自身的目标值、标准值、预警值与判定；“上期”为紧前一个周期。"
                      "平均值为同一周期已判定实体的平均（数据不足的不计）。", prompt=True)
        table_rows = []
        for code in [c for c in self.points if c in by_code]:
            series = sorted(by_code[code], key=lambda r: r.period)
            point = self.points[code]
            for index, row in enumerate(series):
                if not in_school_year(row.period, period):
                    continue
                previous = series[index - 1] if index > 0 else None
                change = (row.value - previous.value) if previous and row.value is not None and previous.value is not None else None
                references = "；".join(f"{r.label_zh} {n(r.value)}" for r in self.data.references_for(code, [row.period]))
                table_rows.append([
                    f"{point.name_zh}（{point.unit}）" if point.unit else point.name_zh, row.period, n(row.value),
                    n(row.target_value), n(row.standard_value), n(row.warning_value), row.status,
                    n(previous.value) if previous else "—", ("+" if change and change > 0 else "") + n(change),
                    n(self._mean(code, row.unit_id, row.period)) if with_unit else "—",
                    n(self._mean(code, None, row.period)), references or "—",
                ])
        doc.table(["质控点", "周期", "值", "目标值", "标准值", "预警值", "状态", "上期", "变化", "学院平均", "全校平均", "参考值"],
                  table_rows)
        doc.heading("二、趋势图", level=1)
        for code in [c for c in self.points if c in by_code]:
            series = sorted(by_code[code], key=lambda r: r.period)
            if not any(in_school_year(r.period, period) for r in series):
                continue
            doc.paragraph(f"{self.points[code].name_zh}（{code}）")
            doc.picture(self.rasteriser.png(self._chart_spec(entity_type, code, series, with_unit)))
        doc.heading("三、预警及处理情况", level=1)
        self._warnings_table(doc, warnings)
        doc.heading("四、自我诊断与改进（由撰写人填写）", level=1)
        doc.narrative(narrative()["layers"][layer]["contents"])
        return title, doc.save()

    def _warnings_table(self, doc: DraftWriter, warnings: list[WarningRow]) -> None:
        rows = [
            [self.points[w.indicator_code].name_zh if w.indicator_code in self.points else w.indicator_code, w.period,
             w.first_seen[:10], n(w.last_value), n(w.worst_value), n(w.warning_value), w.state,
             (w.resolved_at or "")[:10] or "—", w.resolution or ("跟进中" if w.state in OPEN_STATES else "—")]
            for w in warnings
        ]
        if rows:
            doc.table(["质控点", "周期", "首次发现", "当前值", "最差值", "预警值", "状态", "解除时间", "处理说明"], rows)
        else:
            doc.paragraph("本学年没有预警记录。")

    # A whole layer ------------------------------------------------------------------------------
    def layer_draft(self, layer: str, period: str, owner: str) -> tuple[str, bytes]:
        title = narrative()["layer_reports"]["title"].format(layer=LAYER_ZH[layer], period=period)
        doc = DraftWriter(title, self.built_at)
        codes = [code for code, point in self.points.items() if point.layer == layer]
        doc.table(["项目", "内容"], [["层面", LAYER_ZH[layer]], ["学年", period], ["数据截至", self.built_at], ["牵头部门", owner or "—"]],
                  widths=[3, 13])
        doc.heading("一、质控点达成情况", level=1)
        doc.paragraph("每个质控点在本学年各周期的实体数与各状态的实体数（来自 marts.mart_quality__status）。", prompt=True)
        counts = self.data.table(f"""
            select indicator_code, period, count(*) as entities,
                   {', '.join(f"count(*) filter (where status = '{s}') as s{i}" for i, s in enumerate(STATUSES))}
            from marts.mart_quality__status
            where indicator_code in (select unnest(?::varchar[])) and entity_id <> 'ALL'
            group by indicator_code, period order by indicator_code, period""", [codes])
        rows = [[self.points[r["indicator_code"]].name_zh, r["period"], str(r["entities"]), *[str(r[f"s{i}"]) for i in range(len(STATUSES))]]
                for r in counts if in_school_year(r["period"], period)]
        doc.table(["质控点", "周期", "实体数", *STATUSES], rows)
        references = [r for code in codes for r in self.data.references_for(code, [])] + [
            r for code in codes for r in self.data.references.get(code, []) if r.period and in_school_year(r.period, period)]
        if references:
            doc.heading("横向比较参考值", level=2)
            doc.table(["质控点", "参考值", "适用周期", "来源"], [
                [self.points[r.indicator_code].name_zh, f"{r.label_zh} {n(r.value)}", r.period or "各周期", r.source_zh]
                for r in references])
        doc.heading("二、预警分布（按单位）", level=1)
        by_unit = self.data.table(f"""
            select indicator_code, coalesce(unit_name, '—') as unit_name, period, count(*) as in_warning
            from marts.mart_quality__status
            where indicator_code in (select unnest(?::varchar[])) and status = '预警'
            group by indicator_code, unit_name, period order by indicator_code, period, in_warning desc""", [codes])
        rows = [[self.points[r["indicator_code"]].name_zh, r["period"], r["unit_name"], str(r["in_warning"])]
                for r in by_unit if in_school_year(r["period"], period)]
        if rows:
            doc.table(["质控点", "周期", "单位", "预警实体数"], rows)
        else:
            doc.paragraph("本学年没有处于预警的实体。")
        doc.heading("三、预警处理情况（预警台账）", level=1)
        raised = defaultdict(lambda: [0, 0, 0, 0])
        for w in self.data.warnings:
            if w.indicator_code in codes and in_school_year(w.period, period):
                counts_row = raised[w.indicator_code]
                counts_row[0] += 1
                if w.state in OPEN_STATES:
                    counts_row[3] += 1
                elif w.resolution_kind == "note":
                    counts_row[2] += 1
                else:
                    counts_row[1] += 1
        if raised:
            doc.table(["质控点", "预警数", "指标恢复解除", "填写改进说明后关闭", "仍未解除"],
                      [[self.points[c].name_zh, *map(str, v)] for c, v in sorted(raised.items())])
        else:
            doc.paragraph("本学年台账中没有该层面的预警。")
        doc.heading("四、诊断与改进（由撰写部门填写）", level=1)
        doc.narrative(narrative()["layer_reports"]["contents"])
        return title, doc.save()


def drafts_version() -> str:
    return code_version(HERE, Path(charts.__file__), HERE.parent / "report_data.py")


# What the drafts read besides the status mart, the registry and the ledger.
DRAFT_TABLES = ("core.dim_school_year", "core.dim_course", "core.dim_teaching_class")
# The ledger's fields a draft shows or counts by.
DRAFT_WARNING_FIELDS = ("id", "indicator_code", "entity_id", "period", "first_seen", "last_value", "worst_value",
                        "warning_value", "state", "resolved_at", "resolution", "resolution_kind")


def _entities(data: ReportData, entity_type: str, entity_ids: list[str] | None):
    """(entity id, name, unit name, rows) of every entity of a type, one unit at a time for students."""
    if entity_type == "course":
        classes = data.table("select teaching_class_id, course_id from core.dim_teaching_class")
        course_of = {c["teaching_class_id"]: c["course_id"] for c in classes}
        rows_by_course: dict[str, list[StatusRow]] = defaultdict(list)
        for row in data.status_rows("teaching_class"):
            if course_of.get(row.entity_id):
                rows_by_course[course_of[row.entity_id]].append(row)
        for course in data.table("select course_id, course_name, offering_department_code from core.dim_course order by course_id"):
            if entity_ids is not None and course["course_id"] not in entity_ids:
                continue
            rows = course_means(rows_by_course.get(course["course_id"], []), data.control_points)
            rows = [StatusRow(r.indicator_code, course["course_id"], course["course_name"], course["offering_department_code"],
                              data.department_name(course["offering_department_code"]), r.period, r.value, r.numerator,
                              r.denominator, r.target_value, r.standard_value, r.warning_value, r.status) for r in rows]
            yield course["course_id"], course["course_name"], data.department_name(course["offering_department_code"]), rows
        return
    units = data.units_of(entity_type) if entity_type == "student" and entity_ids is None else [None]
    for unit in units:
        rows = data.status_rows(entity_type, unit_id=unit, entity_ids=entity_ids)
        for entity_id, entity_rows in group_by_entity(rows):
            yield entity_id, entity_rows[0].entity_name or entity_id, entity_rows[0].unit_name or "", entity_rows


# Below this many drafts to render, starting worker processes (imports, a connection each) costs
# more than it saves.
WORKERS_FROM = 24
_WORKER: DraftsBuilder | None = None


def _start_worker(database: str, out_dir: str, site_base_url: str | None, shared: dict) -> None:
    global _WORKER
    _WORKER = DraftsBuilder(ReportData(Path(database)), Path(out_dir), site_base_url, shared=shared)


def _render_one(builder: DraftsBuilder, task: tuple) -> tuple[tuple[str, bytes], int]:
    """entity_draft(*task) and the number of charts it drew."""
    before = builder.rasteriser.count
    made = builder.entity_draft(*task)
    return made, builder.rasteriser.count - before


def _render_in_worker(task: tuple) -> tuple[tuple[str, bytes], int]:
    return _render_one(_WORKER, task)


def _render(builder: DraftsBuilder, tasks: list[tuple], workers: int) -> Iterator[tuple[tuple[str, bytes], int]]:
    """Each task's draft and its chart count, in task order: in this process, or in `workers`
    processes when there are enough drafts to render (each draft is independent; the parent only
    writes the files)."""
    if workers <= 1 or len(tasks) < WORKERS_FROM:
        yield from (_render_one(builder, task) for task in tasks)
        return
    context = multiprocessing.get_context("spawn")  # no fork of a process that may run threads (Dagster)
    arguments = (str(builder.data.database), str(builder.out_dir), builder.site_base_url, builder.shared)
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=arguments) as pool:
        yield from pool.map(_render_in_worker, tasks, chunksize=4)


def build_drafts(database: Path, ledger: Path | None, out_dir: Path, layer: str, period: str, *,
                 entity_ids: list[str] | None = None, entity_drafts: bool = True, site_base_url: str | None = None,
                 progress: Callable[[str], None] | None = None, workers: int = 2,
                 at_most: int | None = None) -> DraftsReport:
    """The layer's draft and (unless entity_drafts is False) one draft per entity, for school year `period`,
    into `out_dir/<period>/<layer>/`; only the drafts whose data changed are written again.

    `at_most` (at night, the calendar's entity_drafts_per_night) renders at most that many entity drafts:
    the missing ones first, then those out of date the longest. The others stay as they are (each
    says when its data was taken) and are counted in `pending`; the next build takes them up."""
    if layer not in LAYER_ENTITIES:
        raise ValueError(f"未知的层面 {layer}，应为 {'、'.join(LAYER_ENTITIES)} 之一")
    started = time.perf_counter()
    folder = Path(out_dir) / period / layer
    report = DraftsReport(folder, layer, period)
    with ReportData(database, ledger) as data:
        known = {r["school_year"] for r in data.table("select school_year from core.dim_school_year")}
        if period not in known:
            raise ValueError(f"数据中心没有学年 {period}（已有：{'、'.join(sorted(known)) or '无'}）")
        owner = next((data.department_name(c.owner_department_code) for c in data.calendar if c.layer == layer), "")
        whole_layer = entity_ids is None and entity_drafts
        inputs = content_key(data.fingerprint(DRAFT_TABLES, DRAFT_WARNING_FIELDS), layer, period, owner, site_base_url)
        writer = ContentWriter.open(folder, drafts_version())
        if whole_layer and writer.up_to_date(inputs):  # nothing a draft of this layer reads has changed
            report.drafts = report.unchanged = len(writer.previous)
            report.files = [folder / relative for relative in writer.previous]
            report.seconds = time.perf_counter() - started
            return report
        builder = DraftsBuilder(data, folder, site_base_url)
        charts_drawn = 0
        try:
            if entity_ids is None:
                relative = f"00_{_file_name(LAYER_ZH[layer] + '层面诊改报告')}_{period}.docx"
                counts = data.table("select indicator_code, period, status, unit_name, count(*) from marts.mart_quality__status "
                                    "where layer = ? group by all order by all", [layer])
                key = content_key("layer", layer, period, [r for r in counts if in_school_year(r["period"], period)],
                                  shown_fields([w for w in data.warnings if in_school_year(w.period, period)
                                                and data.control_points.get(w.indicator_code)
                                                and data.control_points[w.indicator_code].layer == layer],
                                               DRAFT_WARNING_FIELDS),
                                  owner, {c: data.references.get(c) for c in data.control_points})
                report.drafts += 1
                if not writer.is_current(relative, key):
                    _, content = builder.layer_draft(layer, period, owner)
                    writer.write(relative, content, key)
                report.files.append(folder / relative)
            if entity_drafts or entity_ids is not None:
                warnings = data.warnings_by_entity()
                to_render: list[tuple[str, str, tuple]] = []  # (file, key, entity_draft's arguments)
                for entity_type in LAYER_ENTITIES[layer]:
                    if progress:
                        progress(f"{layer}/{entity_type}")
                    for entity_id, name, unit_name, rows in _entities(data, entity_type, entity_ids):
                        rows = shown_rows(rows, period)
                        if not builder.has_value_in(rows, period):
                            continue  # no draft, nor a turn in the night's limit
                        entity_warnings = [w for w in warnings.get((entity_type, entity_id), []) if in_school_year(w.period, period)]
                        relative = f"{entity_type}/{_file_name(entity_id + '_' + name)}.docx"
                        key = content_key(layer, entity_type, entity_id, name, unit_name, rows, period, owner,
                                          shown_fields(entity_warnings, DRAFT_WARNING_FIELDS), site_base_url,
                                          [(builder._mean(r.indicator_code, r.unit_id, r.period), builder._mean(r.indicator_code, None, r.period)) for r in rows],
                                          [data.references.get(r.indicator_code) for r in rows[:1]])
                        if writer.is_current(relative, key):
                            report.drafts += 1
                            report.files.append(folder / relative)
                            continue
                        to_render.append((relative, key, (layer, entity_type, entity_id, name, unit_name, rows,
                                                          entity_warnings, period, owner)))
                if at_most is not None and len(to_render) > at_most:
                    to_render.sort(key=lambda item: writer.age(item[0]))  # stable: entity order among equals
                    for relative, _, _ in to_render[at_most:]:
                        writer.keep(relative)
                        if relative in writer.current:  # an earlier version stays on disk
                            report.drafts += 1
                            report.files.append(folder / relative)
                    report.pending = len(to_render) - at_most
                    to_render = to_render[:at_most]
                for (relative, key, _), (made, drawn) in zip(to_render, _render(builder, [t for _, _, t in to_render], workers)):
                    charts_drawn += drawn
                    writer.write(relative, made[1], key)
                    report.drafts += 1
                    report.files.append(folder / relative)
            if whole_layer and not report.pending:  # pending drafts: the next build must look again
                writer.inputs = inputs
            writer.finish(prune=whole_layer)
        finally:
            builder.rasteriser.close()
    report.written, report.unchanged, report.charts = writer.written, writer.unchanged, charts_drawn
    report.seconds = time.perf_counter() - started
    return report

"""The charts module, the page paths, the report calendar and the write-only-what-changed record."""

from __future__ import annotations

import re
import struct
from datetime import date

from fontTools.ttLib import TTFont

from serving import charts
from serving.report_data import CalendarEntry, school_year_of
from serving.report_files import ContentWriter
from serving.reports import due_reports, in_window, report_period
from serving.site.links import page_path, page_url

POINTS = (
    charts.Point("2024-2025-1", 91.5, "未达标", 98, 95, 90),
    charts.Point("2024-2025-2", None, "数据不足", 98, 95, 90),
    charts.Point("2025-2026-1", 88.0, "预警", 97, 94, 89),  # an own target: the row's thresholds differ
)
SPEC = charts.ChartSpec(
    "STU_ATTEND_RATE", "%", POINTS, "本人",
    comparisons=(charts.Comparison("unit", "学院平均", (95.0, 96.0, None)),),
    references=(charts.Reference(84.0, "省均"),),
)


def test_a_chart_has_a_mark_per_value_and_each_period_s_own_thresholds():
    svg = charts.render_svg(SPEC).svg
    marks = re.findall(r'<circle class="mark (s\d)" data-period="([^"]+)" data-value="([^"]+)" data-status="([^"]*)"', svg)
    assert [(period, value, status) for _, period, value, status in marks] == [
        ("2024-2025-1", "91.5", "未达标"), ("2025-2026-1", "88", "预警")]  # no mark where there is no value
    assert marks[0][0] != marks[1][0]  # coloured by status
    thresholds = dict(re.findall(r'<path class="threshold (\w+)" data-values="([^"]+)"', svg))
    assert thresholds == {"target": "98|98|97", "standard": "95|95|94", "warning": "90|90|89", "reference": "84"}
    # Each threshold is a step per period's band; equal neighbours make one segment: 98, 98 | 97.
    target = re.search(r'<path class="threshold target"[^>]* d="([^"]+)"', svg).group(1)
    assert target.count("M") == 2
    assert re.search(r'<path class="series unit" data-values="95\|96\|—"', svg)
    assert "预警 89" in svg and "目标 97" in svg and "省均 84" in svg  # labelled at the latest row's value


def test_the_standalone_svg_carries_its_style_and_the_png_is_drawn_with_the_packaged_font_only():
    standalone = charts.render_svg(SPEC, standalone=True).svg
    assert "<style>" in standalone and charts.CHART_CSS in standalone
    assert "<style>" not in charts.render_svg(SPEC).svg  # inline in a page: the site's stylesheet styles it
    png = charts.render_png(SPEC, zoom=1.0)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (charts.WIDTH, charts.HEIGHT)
    # The font is the locked package's Noto Sans SC (OFL), and the site's subset keeps its licence notice.
    assert TTFont(charts.font_path())["name"].getDebugName(1) == "Noto Sans SC"
    css = charts.font_face_css("学院平均省均")
    assert css.startswith("@font-face") and "data:font/otf;base64," in css and "http" not in css


def test_the_font_subset_has_every_character_a_chart_draws():
    import io

    text = charts.render_svg(SPEC).text
    subset = TTFont(io.BytesIO(charts.font_subset(text)))
    cmap = subset.getBestCmap()
    assert all(ord(ch) in cmap for ch in set(text))
    assert "SIL Open Font License" in (subset["name"].getDebugName(13) or "")


def test_numbers_read_as_people_write_them():
    assert [charts.number(v) for v in (None, float("nan"), 90.0, 91.456, -0.001, 12000.0)] == ["—", "—", "90", "91.46", "0", "12000"]


def test_periods_belong_to_school_years_from_their_names():
    assert school_year_of("2024-2025-2") == "2024-2025"
    assert school_year_of("2024-2025") == "2024-2025"
    assert school_year_of("2024-09") == "2024-2025" and school_year_of("2025-08") == "2024-2025"
    assert school_year_of("2025") == "2024-2025"  # a graduation year
    assert school_year_of("ALL") is None


def test_page_paths_are_safe_file_names_and_urls():
    assert page_path("student", "202210110101") == "student/202210110101.html"
    odd = page_path("teaching_class", "(2024-2025-1)/A 01")
    assert odd.startswith("teaching_class/") and re.fullmatch(r"teaching_class/[0-9A-Za-z_.-]+\.html", odd)
    assert odd != page_path("teaching_class", "(2024-2025-1)/A_01")  # told apart by a hash
    assert page_path("department", "201") == "index.html#achievement"
    assert page_url("https://zg.school.edu.cn/reports/", "major", "460104") == "https://zg.school.edu.cn/reports/major/460104.html"


def test_the_report_calendar_windows():
    december = CalendarEntry("school", "学校层面诊改报告", 12, 10, "206", True)
    august = CalendarEntry("major", "专业层面诊改报告", 8, 6, "201", True)
    over_new_year = CalendarEntry("teacher", "教师层面", 1, 11, "203", True)
    assert [in_window(december, m) for m in (9, 10, 12, 1)] == [False, True, True, False]
    assert [in_window(over_new_year, m) for m in (10, 11, 12, 1, 2)] == [False, True, True, True, False]
    assert due_reports([december, august], date(2025, 7, 3)) == [august]
    assert report_period(date(2025, 12, 1)) == "2024-2025" and report_period(date(2025, 8, 1)) == "2024-2025"


def test_only_changed_files_are_written_and_files_no_longer_made_are_removed(tmp_path):
    writer = ContentWriter.open(tmp_path, "v1")
    for name, key in (("a.html", "1"), ("b.html", "1"), ("c.html", "1")):
        writer.write(name, name, key)
    writer.finish()
    again = ContentWriter.open(tmp_path, "v1")
    assert again.is_current("a.html", "1") and not again.is_current("b.html", "2")
    again.write("b.html", "b2", "2")
    again.finish()  # c.html was not produced this time
    assert again.written == 1 and again.unchanged == 1 and again.removed == 1
    assert sorted(p.name for p in tmp_path.glob("*.html")) == ["a.html", "b.html"]
    assert not ContentWriter.open(tmp_path, "v2").is_current("a.html", "1")  # a new renderer rebuilds all

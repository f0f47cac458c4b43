"""The report site as a reader sees it, in a real headless Chromium over file:// (no server).

For sampled entities of every kind the numbers on the page equal the mart, every chart has
its marks and its target, standard and warning lines, every link resolves, and no request
leaves the machine. Screenshots go to the test's folder.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from alerting.ledger import OPEN_STATES, acknowledge_warning, find_warnings
from serving import charts
from serving.report_data import STATUSES
from serving.site.build import TABLE_PERIODS, build_site
from serving.site.links import page_path
from tests.serving.conftest import SyncedSchool
from tests.serving.reports_testkit import CHROMIUM_ARGS, chromium_or_skip, local_path, mart_rows



@pytest.fixture(scope="module")
def site(synced_school: SyncedSchool) -> Path:
    folder = synced_school.settings.reports / "site"
    assert (folder / "index.html").exists(), "the nightly sync builds the report site"
    return folder


@pytest.fixture(scope="module")
def browser():
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def samples(synced_school: SyncedSchool) -> list[tuple[str, str]]:
    """Per kind of entity: the one with the most rows and, where there is one, one with an open warning."""
    picked: list[tuple[str, str]] = []
    with duckdb.connect(str(synced_school.settings.snapshot), read_only=True) as con:
        for entity_type in ("school", "college", "major", "teaching_class", "staff", "student"):
            busiest = con.execute(
                "select entity_id from marts.mart_quality__status where entity_type = ? and entity_id <> 'ALL' "
                "group by entity_id order by count(*) desc, entity_id limit 1", [entity_type]).fetchone()
            assert busiest, f"no {entity_type} in the mart"
            picked.append((entity_type, busiest[0]))
    for warning in find_warnings(synced_school.settings.ledger, states=OPEN_STATES):
        with duckdb.connect(str(synced_school.settings.snapshot), read_only=True) as con:
            entity_type = con.execute("select entity_type from registry.quality_control_points where code = ?",
                                      [warning.indicator_code]).fetchone()[0]
        if (entity_type, warning.entity_id) not in picked and entity_type in ("student", "staff", "teaching_class", "major"):
            picked.append((entity_type, warning.entity_id))
    return picked


def open_page(browser, url: str, screenshot: Path | None = None):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(url)
    page.wait_for_load_state("load")
    if screenshot:
        page.screenshot(path=str(screenshot), full_page=False)
    return page, requests


def assert_links_resolve(page, site: Path) -> int:
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    for href in hrefs:
        assert href.startswith("file://"), f"a link leaves the site: {href}"
        target = local_path(href.split("#", 1)[0])
        assert target.exists(), f"broken link {href}"
        assert site.resolve() in target.resolve().parents, f"a link leaves the site folder: {href}"
    return len(hrefs)


def test_pages_show_the_mart_s_numbers_charts_with_their_lines_and_links_that_resolve(
        browser, site, synced_school, samples, tmp_path):
    assert {t for t, _ in samples} >= {"school", "college", "major", "teaching_class", "staff", "student"}
    for entity_type, entity_id in samples:
        url = (site / page_path(entity_type, entity_id)).as_uri()
        page, requests = open_page(browser, url, tmp_path / f"{entity_type}-{entity_id}.png")
        assert page.get_attribute("h1", "data-entity-id") == entity_id
        rows = mart_rows(synced_school.settings.snapshot, entity_type, entity_id)
        by_code: dict[str, list[dict]] = {}
        for row in rows:
            by_code.setdefault(row["indicator_code"], []).append(row)
        assert sorted(page.eval_on_selector_all("section.indicator", "s => s.map(x => x.dataset.code)")) == sorted(by_code)
        for code, series in by_code.items():
            card = page.locator(f"section.indicator[data-code='{code}']")
            # The table: the latest periods, each cell equal to the mart row.
            for row in series[::-1][:TABLE_PERIODS]:
                cells = card.locator(f"tr[data-period='{row['period']}']")
                assert cells.locator("td.value").inner_text() == charts.number(row["value"]), (entity_id, code, row)
                assert cells.locator("td.denominator").inner_text() == charts.number(row["denominator"])
                assert cells.locator("td.target").inner_text() == charts.number(row["target_value"])
                assert cells.locator("td.standard").inner_text() == charts.number(row["standard_value"])
                assert cells.locator("td.warning").inner_text() == charts.number(row["warning_value"])
                assert cells.locator("td.status-cell").inner_text() == row["status"]
            # The chart: a mark per value, a threshold line per kind with each period's own value.
            chart = card.locator("svg.chart")
            marks = chart.locator("circle.mark")
            assert marks.count() == sum(r["value"] is not None for r in series)
            assert [marks.nth(i).get_attribute("data-value") for i in range(marks.count())] == [
                charts.number(r["value"]) for r in series if r["value"] is not None]
            for kind, column in (("target", "target_value"), ("standard", "standard_value"), ("warning", "warning_value")):
                if any(r[column] is not None for r in series):
                    line = chart.locator(f"path.threshold.{kind}")
                    assert line.count() == 1, (entity_id, code, kind)
                    assert line.get_attribute("data-values") == "|".join(charts.number(r[column]) for r in series)
            box = chart.bounding_box()
            assert box and box["width"] > 200 and box["height"] > 80  # drawn, not collapsed
        assert assert_links_resolve(page, site) > 3
        assert requests and all(r.startswith(("file://", "data:")) for r in requests), requests
        page.close()


def test_the_overview_counts_equal_the_mart_and_nothing_is_fetched_from_outside(browser, site, synced_school, tmp_path):
    page, requests = open_page(browser, (site / "index.html").as_uri(), tmp_path / "overview.png")
    with duckdb.connect(str(synced_school.settings.snapshot), read_only=True) as con:
        latest = con.execute(
            "select q.indicator_code, q.period, q.status, count(*) from marts.mart_quality__status as q "
            "join (select indicator_code, max(period) as period from marts.mart_quality__status group by 1) as l "
            "using (indicator_code, period) where q.entity_id <> 'ALL' group by 1, 2, 3").fetchall()
    expected: dict[str, dict[str, int]] = {}
    periods = {}
    for code, period, status, count in latest:
        expected.setdefault(code, {})[status] = count
        periods[code] = period
    shown = page.locator("table.status-counts tr[data-code]")
    assert shown.count() >= len(expected) - 2  # the target-achievement points have their own table
    for i in range(shown.count()):
        row = shown.nth(i)
        code = row.get_attribute("data-code")
        if code not in expected:
            continue
        assert row.get_attribute("data-period") == periods[code]
        for status in STATUSES:
            assert row.locator(f"td.count[data-status='{status}']").inner_text() == str(expected[code].get(status, 0)), (code, status)
    assert page.locator("svg.chart").count() >= 5  # the school's trends
    assert all(page.locator("svg.chart").nth(i).locator("circle.mark").count() >= 1 for i in range(page.locator("svg.chart").count()))
    assert assert_links_resolve(page, site) > 5
    # The stylesheet and the chart font come from the site folder; the font is the packaged subset.
    assert requests and all(r.startswith(("file://", "data:")) for r in requests), requests
    assert page.evaluate("document.fonts.check(\"10px 'zhengai-chart'\")")
    page.close()


def test_a_reader_walks_up_from_a_student_to_the_college(browser, site, synced_school):
    with duckdb.connect(str(synced_school.settings.snapshot), read_only=True) as con:
        student, class_id, major, college = con.execute(
            "select s.student_number, s.class_id, s.major_code, s.department_code from core.dim_student as s "
            "where s.student_number in (select entity_id from marts.mart_quality__status where entity_type = 'student') "
            "order by s.student_number limit 1").fetchone()
    page, _ = open_page(browser, (site / page_path("student", student)).as_uri())
    for scope, entity_type, entity_id in ((".facts", "class", class_id), (".crumbs", "major", major), (".facts", "college", college)):
        page.locator(f"{scope} a[href$='{page_path(entity_type, entity_id)}']").first.click()
        page.wait_for_load_state("load")
        assert page.get_attribute("h1", "data-entity-type") == entity_type
        assert page.get_attribute("h1", "data-entity-id") == entity_id
        if entity_type == "class":
            assert page.locator(f"a[href$='{page_path('student', student)}']").count() == 1  # the class lists the student
    page.close()


def test_digests_link_to_the_pages_of_what_they_list(synced_school, site):
    import email
    import email.header
    import re

    linked = 0
    for eml in sorted(synced_school.settings.outbox.glob("*.eml")):
        message = email.message_from_bytes(eml.read_bytes())
        html = next((part.get_payload(decode=True).decode() for part in message.walk()
                     if part.get_content_type() == "text/html"), None)
        if html is None:  # the engineers' data-quality alert is plain text and links to no page
            assert "数据质量" in str(email.header.make_header(email.header.decode_header(message["Subject"]))), eml.name
            continue
        for href in re.findall(r'<a href="([^"]+)"', html):
            target = local_path(href.split("#", 1)[0])
            assert target.exists() and site.resolve() in target.resolve().parents, href
            linked += 1
    assert linked > 0


def test_a_rebuild_without_change_writes_nothing_and_a_changed_warning_rewrites_its_page(synced_school, tmp_path):
    settings = synced_school.settings
    site = tmp_path / "site"
    shutil.copytree(settings.reports / "site", site)
    ledger = tmp_path / "ledger.sqlite"
    shutil.copy(settings.ledger, ledger)
    # The site was built before the dispatch marked its warnings 已通知: only those entities' pages change.
    notified = build_site(settings.snapshot, ledger, site, workers=1)
    assert notified.written <= len({w.entity_id for w in find_warnings(ledger)})
    unchanged = build_site(settings.snapshot, ledger, site, workers=1)
    assert unchanged.written == 0 and unchanged.removed == 0 and unchanged.unchanged > unchanged.pages
    warning = next(w for w in find_warnings(ledger, states=OPEN_STATES) if w.state != "已确认")
    acknowledge_warning(ledger, warning.id, datetime(2026, 1, 5, 9, 0), by="质量办 张老师")
    with duckdb.connect(str(settings.snapshot), read_only=True) as con:
        entity_type = con.execute("select entity_type from registry.quality_control_points where code = ?",
                                  [warning.indicator_code]).fetchone()[0]
    before = {p: p.stat().st_mtime_ns for p in site.rglob("*.html")}
    changed = build_site(settings.snapshot, ledger, site, workers=2)
    rewritten = sorted(str(p.relative_to(site)) for p in site.rglob("*.html") if p.stat().st_mtime_ns != before[p])
    assert rewritten == [page_path(entity_type, warning.entity_id)]
    assert changed.written == 1
    assert "已确认" in (site / page_path(entity_type, warning.entity_id)).read_text(encoding="utf-8")


def _rewritten(site: Path, before: dict[Path, int]) -> list[str]:
    return sorted(str(p.relative_to(site)) for p in site.rglob("*.html") if p.stat().st_mtime_ns != before.get(p))


def test_a_rebuild_renders_nothing_without_change_and_only_the_pages_showing_a_changed_entity(synced_school, tmp_path):
    settings = synced_school.settings
    snapshot, ledger, site = tmp_path / "snapshot.duckdb", tmp_path / "ledger.sqlite", tmp_path / "site"
    shutil.copy(settings.snapshot, snapshot)
    shutil.copy(settings.ledger, ledger)
    first = build_site(snapshot, ledger, site, workers=2)
    assert first.written > first.pages > 0
    again = build_site(snapshot, ledger, site, workers=2)
    assert (again.written, again.removed, again.pages) == (0, 0, first.pages)

    with duckdb.connect(str(snapshot)) as con:
        # A student in a class, and the latest row of one of its control points: its numerator is
        # shown in that student's own table and nowhere else.
        student, class_id, code, period = con.execute("""
            select q.entity_id, s.class_id, q.indicator_code, q.period from marts.mart_quality__status as q
            join core.dim_student as s on s.student_number = q.entity_id
            where q.entity_type = 'student' and q.numerator is not null and s.class_id is not null
            qualify q.period = max(q.period) over (partition by q.entity_id, q.indicator_code)
            order by q.entity_id, q.indicator_code limit 1""").fetchone()
        con.execute("update marts.mart_quality__status set numerator = numerator + 1 where entity_type = 'student' "
                    "and entity_id = ? and indicator_code = ? and period = ?", [student, code, period])
    before = {p: p.stat().st_mtime_ns for p in site.rglob("*.html")}
    changed = build_site(snapshot, ledger, site, workers=2)
    assert _rewritten(site, before) == [page_path("student", student)]
    assert changed.written == 1 and changed.pages == first.pages

    # The student's name is on its page and in its class's list of students.
    with duckdb.connect(str(snapshot)) as con:
        con.execute("update core.dim_student set student_name = '改名测试' where student_number = ?", [student])
    before = {p: p.stat().st_mtime_ns for p in site.rglob("*.html")}
    renamed = build_site(snapshot, ledger, site, workers=1)
    assert _rewritten(site, before) == sorted([page_path("class", class_id), page_path("student", student)])
    assert renamed.written == 2
    assert "改名测试" in (site / page_path("class", class_id)).read_text(encoding="utf-8")


def test_the_sync_says_where_the_site_is(synced_school):
    from orchestration.run_once import format_summary

    index = synced_school.settings.reports / "site" / "index.html"
    assert synced_school.summary.report_site == index.resolve().as_uri()
    assert f"报告网站（画像、驾驶舱）：{index.resolve().as_uri()}" in format_summary(synced_school.summary)

"""The parts of a page written without Jinja (serving/site/fragments.py) are the markup the
templates wrote, escaped the way Jinja's autoescape escapes; the reports room's parameters
written into its SQL stay values."""

from __future__ import annotations

import duckdb
import pytest
from jinja2 import Environment

from serving.report_data import bind
from serving.site import fragments

# The templates' text before the cards and related tables moved to fragments.py.
STATUS_MACRO = """{% macro status(value) -%}
{%- if value %}<span class="status status-{{ value }}">{{ value }}</span>{% endif -%}
{%- endmacro %}
"""
CARD = """{% for section in sections %}
<section class="card indicator" id="{{ section.code }}" data-code="{{ section.code }}">
<h3>{{ section.name }} <span class="note">{{ section.code }} · {{ section.unit or "—" }} · {{ section.direction_zh }}</span> {% if section.latest_status %}<span class="status status-{{ section.latest_status }}">{{ section.latest_status }}</span>{% endif %}</h3>
{{ section.svg | safe }}
<table class="periods">
<tr><th>周期</th><th class="num">值</th><th class="num">分子</th><th class="num">分母</th><th class="num">目标值</th><th class="num">标准值</th><th class="num">预警值</th><th>状态</th>{% for label in section.comparison_labels %}<th class="num">{{ label }}</th>{% endfor %}</tr>
{% for r in section.rows %}
<tr data-code="{{ section.code }}" data-period="{{ r.period }}"><td>{{ r.period }}</td><td class="num value">{{ r.value }}</td><td class="num numerator">{{ r.numerator }}</td><td class="num denominator">{{ r.denominator }}</td>
<td class="num target">{{ r.target }}</td><td class="num standard">{{ r.standard }}</td><td class="num warning">{{ r.warning }}</td><td class="status-cell">{% if r.status %}<span class="status status-{{ r.status }}">{{ r.status }}</span>{% endif %}</td>{% for c in r.comparisons %}<td class="num comparison">{{ c }}</td>{% endfor %}</tr>
{% endfor %}
</table>
{% if section.older %}<p class="note">表中为最近 {{ section.rows | length }} 个周期；更早的 {{ section.older }} 个周期见图（每个点即一期的值，颜色为其状态）。</p>{% endif %}
{% if section.references %}<p class="note">横向比较：{% for ref in section.references %}{{ ref.label_zh }} {{ ref.value }}（{{ ref.period or "各周期" }}；来源：{{ ref.source_zh }}）{% if not loop.last %}；{% endif %}{% endfor %}</p>{% endif %}
</section>
{% endfor %}
"""
RELATED = STATUS_MACRO + """{% for block in related %}
<h2>{{ block.title }}</h2>
{% if block.rows %}
<table class="related">
<tr>{% for h in block.header %}<th>{{ h }}</th>{% endfor %}</tr>
{% for row in block.rows %}<tr>{% for cell in row %}<td>{% if cell is mapping %}{% if cell.href %}<a href="{{ root }}{{ cell.href }}">{{ cell.text }}</a>{% else %}{{ status(cell.status) }}{% endif %}{% else %}{{ cell }}{% endif %}</td>{% endfor %}</tr>
{% endfor %}
</table>
{% else %}<p class="empty">无</p>{% endif %}
{% endfor %}
"""
TRICKY = "O'Brien & <b>\"张三\"</b>"


def _environment() -> Environment:
    return Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)


@pytest.mark.parametrize("older, references", [(0, []), (3, [("省均 <b>", "91.5", "", "省厅 & 'A'"), ("国均", "90", "2024-2025-1", "部")])])
def test_a_card_is_what_the_template_wrote(older, references):
    rows = [("2024-2025-2", "92.5", "37", "40", "95", "90", "85", "预警", ["93.1", "—"]),
            ("2024-2025-1", "—", "—", "—", "95", "90", "85", "", ["—", "94"]),
            (TRICKY, "1", "1", "1", "1", "1", "1", TRICKY, ["1", "1"])]
    section = {"code": "STU_<A>", "name": TRICKY, "unit": "", "direction_zh": "越高越好", "latest_status": "预警",
               "svg": '<svg class="chart"><text>不转义</text></svg>', "comparison_labels": ["学院平均", TRICKY],
               "rows": [{"period": r[0], "value": r[1], "numerator": r[2], "denominator": r[3], "target": r[4],
                         "standard": r[5], "warning": r[6], "status": r[7], "comparisons": r[8]} for r in rows],
               "older": older,
               "references": [{"label_zh": ref[0], "value": ref[1], "period": ref[2], "source_zh": ref[3]} for ref in references]}
    expected = _environment().from_string(CARD).render(sections=[section])
    card = fragments.card(section["code"], section["name"], section["unit"], section["direction_zh"],
                          section["latest_status"], section["svg"], section["comparison_labels"], rows, older, references)
    assert card + "\n" == expected


def test_related_tables_are_what_the_template_wrote():
    blocks = [
        {"title": "学生（各质控点最近一期）", "header": ["学号", TRICKY],
         "rows": [["2021001", {"text": TRICKY, "href": "student/2021001.html"}, "93（2024-2025-2）",
                   {"status": "预警", "href": None, "text": "预警"}, {"status": "", "href": None, "text": ""}, None, 2023],
                  [TRICKY, "无链接", "—", ""]]},
        {"title": "空表", "header": ["a"], "rows": []},
        {"title": "末表 <i>", "header": ["a"], "rows": [[{"text": "x", "href": "a b/c&d.html"}]]},
    ]
    expected = _environment().from_string(RELATED).render(related=blocks, root="../")
    assert fragments.related_tables(blocks, "../") == expected


def test_parameters_written_into_the_sql_stay_values():
    with duckdb.connect() as con:
        con.execute("create table t (name varchar, n integer)")
        con.execute("insert into t values ('O''Brien?', 1), ('张三', 2), ('x', null)")
        names = ["O'Brien?", "张三"]
        found = con.execute(bind("select name from t where name in (select unnest(?::varchar[])) and n < ? order by n",
                                 [names, 3])).fetchall()
        assert [r[0] for r in found] == names
        assert con.execute(bind("select count(*) from t where name = ?", ["'); drop table t; --"])).fetchone() == (0,)
        assert con.execute(bind("select count(*) from t where name in (select unnest(?::varchar[]))", [[]])).fetchone() == (0,)
        assert con.execute("select count(*) from t").fetchone() == (3,)
    with pytest.raises(ValueError):
        bind("select ? + ?", [1])

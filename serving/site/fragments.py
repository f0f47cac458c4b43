"""The parts of a page repeated hundreds of times — a control point's card, the rows of a related
table — written as strings here instead of through Jinja.

A student's page has seven cards of up to six periods each, a class's page a row per student:
through the template every value was a node to evaluate, an attribute to look up and a string
to escape, about half of a page's CPU time. Here each value is escaped once (markupsafe, as
Jinja's autoescape does) and the markup around it is an f-string. The output is byte for byte
what the templates wrote before: the templates keep the page around these parts.
"""

from __future__ import annotations

from markupsafe import Markup, escape

# Short texts that repeat on every page (periods, statuses, labels, units): escaped once per process.
_ESCAPED: dict[str, str] = {}


def text(value: object) -> str:
    """`value` as Jinja's autoescape writes it ({{ value }}): Markup as is, anything else escaped."""
    if type(value) is str:
        found = _ESCAPED.get(value)
        if found is None:
            found = str(escape(value))
            if len(value) <= 32 and len(_ESCAPED) < 100_000:  # names are many and seldom repeat
                _ESCAPED[value] = found
        return found
    return str(escape(value))


def status_span(status: str) -> str:
    """The `status` macro of macros.html.j2."""
    if not status:
        return ""
    escaped = text(status)
    return f'<span class="status status-{escaped}">{escaped}</span>'


def card(code: str, name: str, unit: str, direction_zh: str, latest_status: str, svg: str,
         comparison_labels: list[str], rows: list[tuple], older: int, references: list[tuple]) -> Markup:
    """One control point's card: heading, chart, the table of its latest periods, the references.

    `rows`: (period, value, numerator, denominator, target, standard, warning, status, comparisons)
    newest first, the figures already formatted by charts.number (digits, sign, point or —,
    nothing to escape). `references`: (label, value, period, source)."""
    code_ = text(code)
    parts = [
        f'<section class="card indicator" id="{code_}" data-code="{code_}">\n'
        f'<h3>{text(name)} <span class="note">{code_} · {text(unit or "—")} · {text(direction_zh)}</span> '
        f'{status_span(latest_status)}</h3>\n{svg}\n<table class="periods">\n'
        '<tr><th>周期</th><th class="num">值</th><th class="num">分子</th><th class="num">分母</th>'
        '<th class="num">目标值</th><th class="num">标准值</th><th class="num">预警值</th><th>状态</th>',
        *[f'<th class="num">{text(label)}</th>' for label in comparison_labels],
        "</tr>\n",
    ]
    for period, value, numerator, denominator, target, standard, warning, status, comparisons in rows:
        period_ = text(period)
        status_ = (f'<span class="status status-{text(status)}">{text(status)}</span>' if status else "")
        parts.append(
            f'<tr data-code="{code_}" data-period="{period_}"><td>{period_}</td><td class="num value">{value}</td>'
            f'<td class="num numerator">{numerator}</td><td class="num denominator">{denominator}</td>\n'
            f'<td class="num target">{target}</td><td class="num standard">{standard}</td>'
            f'<td class="num warning">{warning}</td><td class="status-cell">{status_}</td>'
            + "".join(f'<td class="num comparison">{c}</td>' for c in comparisons) + "</tr>\n")
    parts.append("</table>\n")
    if older:
        parts.append(f'<p class="note">表中为最近 {len(rows)} 个周期；更早的 {older} 个周期见图（每个点即一期的值，颜色为其状态）。</p>')
    if references:
        parts.append('<p class="note">横向比较：'
                     + "；".join(f"{text(label)} {text(value)}（{text(period or '各周期')}；来源：{text(source)}）"
                                for label, value, period, source in references)
                     + "</p>")
    parts.append("</section>")
    return Markup("".join(parts))


def _cell(cell: object, root: str) -> str:
    if type(cell) is dict:
        if cell.get("href"):
            return f'<a href="{text(root)}{text(cell["href"])}">{text(cell["text"])}</a>'
        return status_span(cell.get("status"))
    return text(cell)


def related_tables(blocks: list[dict], root: str) -> Markup:
    """The related tables under a page ({title, header, rows}); a cell is text, a link
    ({text, href}) or a status ({status, href: None})."""
    parts = []
    for block in blocks:
        parts.append(f"<h2>{text(block['title'])}</h2>\n")
        if not block["rows"]:
            parts.append('<p class="empty">无</p>')
            continue
        parts.append('<table class="related">\n<tr>' + "".join(f"<th>{text(h)}</th>" for h in block["header"]) + "</tr>\n")
        parts += ["<tr>" + "".join(f"<td>{_cell(cell, root)}</td>" for cell in row) + "</tr>\n" for row in block["rows"]]
        parts.append("</table>\n")
    return Markup("".join(parts))

"""One Chinese digest e-mail per recipient: subject, plain text, HTML and an .xlsx list.

Entities are shown by their student or staff number and name, never by an ID card number
or a phone number.
"""

from __future__ import annotations

import hashlib
import html
import io
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from openpyxl import Workbook
from openpyxl.styles import Font

from zhengai.clock import school_time

KIND_LABELS = {"new": "新增", "worse": "加重", "resolved": "解除", "reminder": "提醒", "escalation": "升级督办"}
KIND_ORDER = ("new", "worse", "resolved", "reminder", "escalation")
ENTITY_LABELS = {
    "student": "学生",
    "staff": "教师",
    "teaching_class": "教学班",
    "major": "专业",
    "college": "二级学院",
    "school": "全校",
    "department": "部门",
}
ID_LABELS = {
    "student": "学号",
    "staff": "工号",
    "teaching_class": "教学班",
    "major": "专业代码",
    "college": "单位代码",
    "school": "学校代码",
    "department": "部门代码",
}
LINES_PER_SECTION = 30  # the full list is in the attachment; the body stays readable
NAMES_IN_SUBJECT = 3
XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
# An 18-character resident ID number. The marts should never use one as an entity id;
# if a source ever does, it must not leave the school in an e-mail.
ID_CARD_PATTERN = re.compile(r"\b\d{6}(?:19|20)\d{2}(?:0[1-9]|1[0-2])\d{2}\d{3}[\dXx]\b")


@dataclass(frozen=True)
class DigestLine:
    warning_id: int
    kind: str  # one of KIND_ORDER; 'open' for a row of the attached open list
    revision: int
    code: str
    name_zh: str
    entity_type: str
    measure_unit: str
    direction: str
    period: str
    entity_id: str
    entity_name: str
    unit_name: str
    value: float | None
    warning_value: float | None
    first_seen: str
    forwarded_from: str = ""  # the recipient this was meant for, when it has no address
    state: str = ""
    days_open: int = 0
    owner_name: str = ""  # the responsible department
    resolution: str = ""  # 指标恢复, or the note of whoever closed it
    closed_by_note: bool = False
    worst_value: float | None = None
    round: int = 0  # the n-th reminder
    page_url: str = ""  # the entity's page on the report site, when there is one


def mask_personal(text: str | None) -> str:
    return ID_CARD_PATTERN.sub(lambda match: match.group()[:6] + "*" * 8 + match.group()[-4:], text or "")


def format_number(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}".rstrip("0").rstrip(".")


def format_measure(value: float | None, measure_unit: str) -> str:
    number = format_number(value)
    if value is None or not measure_unit:
        return number
    if measure_unit in ("%", ":1"):
        return f"{number}{measure_unit}"
    return f"{number} {measure_unit}"


def _display_names(lines: list[DigestLine]) -> dict[str, str]:
    """Control-point names, told apart by their entity when two share a name (e.g. 生师比)."""
    names = {line.code: (line.name_zh or line.code, line.entity_type) for line in lines}
    counts = Counter(name for name, _ in names.values())
    return {
        code: f"{name}（{ENTITY_LABELS.get(entity_type, entity_type)}）" if counts[name] > 1 else name
        for code, (name, entity_type) in names.items()
    }


def digest_subject(department_name: str, lines: list[DigestLine]) -> str:
    names = _display_names(lines)
    parts = []
    for kind in KIND_ORDER:
        by_code = Counter(line.code for line in lines if line.kind == kind)
        if not by_code:
            continue
        shown = [f"{names[code]} {count}" for code, count in by_code.most_common(NAMES_IN_SUBJECT)]
        more = "等" if len(by_code) > NAMES_IN_SUBJECT else ""
        parts.append(f"{KIND_LABELS[kind]} {sum(by_code.values())} 条（{'、'.join(shown)}{more}）")
    return f"【质量预警】{department_name}：{'；'.join(parts)}"


def _rule(line: DigestLine) -> str:
    side = "低于" if line.direction == "higher" else "高于"
    return f"{side} {format_measure(line.warning_value, line.measure_unit)} 即预警"


def _sections(lines: list[DigestLine]) -> list[tuple[str, str, list[DigestLine]]]:
    """(kind, code, lines) in a stable order: kind, then control point, period, entity."""
    grouped: dict[tuple[str, str], list[DigestLine]] = defaultdict(list)
    for line in lines:
        grouped[(line.kind, line.code)].append(line)
    ordered = sorted(grouped, key=lambda key: (KIND_ORDER.index(key[0]), key[1]))
    return [(kind, code, sorted(grouped[(kind, code)], key=lambda l: (l.period, l.entity_id))) for kind, code in ordered]


def _entity_text(line: DigestLine) -> str:
    label = ID_LABELS.get(line.entity_type, "编号")
    parts = [f"周期 {line.period}", f"{label} {mask_personal(line.entity_id)}", mask_personal(line.entity_name) or "—"]
    if line.unit_name:
        parts.append(line.unit_name)
    value = f"当前值 {format_measure(line.value, line.measure_unit)}（预警值 {format_number(line.warning_value)}）"
    if line.kind == "resolved" and line.closed_by_note:
        value = f"已由责任部门关闭，改进说明：{mask_personal(line.resolution)}"
    elif line.kind == "resolved":
        value = f"已恢复为 {format_measure(line.value, line.measure_unit)}（预警值 {format_number(line.warning_value)}）"
    parts.append(value)
    if line.kind in ("reminder", "escalation"):
        parts.append(f"已持续 {line.days_open} 天，状态 {line.state}")
    if line.kind == "escalation" and line.owner_name:
        parts.append(f"责任部门 {line.owner_name}")
    if line.forwarded_from:
        parts.append(f"原收件人 {line.forwarded_from}")
    return " | ".join(parts)


INTRO = "诊改数据平台 {now:%Y-%m-%d %H:%M} 的监测结果如下，请核实并跟进改进。附件含本次变化清单和您名下全部未解除预警。"
SECTION_NOTES = {
    "reminder": "以下预警已多日无新进展，仍未解除",
    "escalation": "以下预警长期未解除，请督促责任部门处理",
}


def _section_title(kind: str, name: str, code: str, section: list[DigestLine]) -> str:
    note = f"；{SECTION_NOTES[kind]}" if kind in SECTION_NOTES else ""
    return f"【{KIND_LABELS[kind]}】{name}（{code}，{_rule(section[0])}）共 {len(section)} 条{note}"


def digest_text(department_name: str, lines: list[DigestLine], now: datetime) -> str:
    names = _display_names(lines)
    out = [f"{department_name}：", "", INTRO.format(now=now)]
    forwarded = sorted({name for line in lines if line.forwarded_from for name in line.forwarded_from.split("、")})
    if forwarded:
        out.append(f"说明：{'、'.join(forwarded)} 没有可用的接收邮箱，其预警转由您处理。")
    for kind, code, section in _sections(lines):
        out += ["", _section_title(kind, names[code], code, section)]
        out += [f"  {_entity_text(line)}" for line in section[:LINES_PER_SECTION]]
        if len(section) > LINES_PER_SECTION:
            out.append(f"  ……另有 {len(section) - LINES_PER_SECTION} 条，见附件。")
    out += ["", "此邮件由诊改数据平台（zhengai）自动发送，同一预警变化只通知一次。"]
    return "\n".join(out) + "\n"


def digest_html(department_name: str, lines: list[DigestLine], now: datetime) -> str:
    names = _display_names(lines)
    escape = html.escape
    out = [
        "<html><body>",
        f"<p>{escape(department_name)}：</p>",
        f"<p>{escape(INTRO.format(now=now))}</p>",
    ]
    for kind, code, section in _sections(lines):
        out.append(f"<h3>{escape(_section_title(kind, names[code], code, section))}</h3>")
        out.append(
            "<table border='1' cellspacing='0' cellpadding='4'><tr><th>周期</th><th>编号</th><th>名称</th>"
            "<th>单位</th><th>当前值</th><th>预警值</th><th>说明</th></tr>"
        )
        for line in section[:LINES_PER_SECTION]:
            cells = [
                line.period,
                mask_personal(line.entity_id),
                mask_personal(line.entity_name),
                line.unit_name or "",
                format_measure(line.value, line.measure_unit),
                format_number(line.warning_value),
                _remark(line),
            ]
            row = [f"<td>{escape(cell)}</td>" for cell in cells]
            if line.page_url:  # the name links to the entity's page on the report site
                row[2] = f"<td><a href=\"{escape(line.page_url)}\">{escape(cells[2] or cells[1])}</a></td>"
            out.append("<tr>" + "".join(row) + "</tr>")
        out.append("</table>")
        if len(section) > LINES_PER_SECTION:
            out.append(f"<p>……另有 {len(section) - LINES_PER_SECTION} 条，见附件。</p>")
    out.append("<p>此邮件由诊改数据平台（zhengai）自动发送，同一预警变化只通知一次。</p></body></html>")
    return "\n".join(out)


def _remark(line: DigestLine) -> str:
    parts = []
    if line.kind == "resolved":
        parts.append(f"改进说明：{mask_personal(line.resolution)}" if line.closed_by_note else "指标恢复")
    if line.kind in ("reminder", "escalation"):
        parts.append(f"已持续 {line.days_open} 天，{line.state}")
    if line.kind == "escalation" and line.owner_name:
        parts.append(f"责任部门 {line.owner_name}")
    if line.forwarded_from:
        parts.append(f"原收件人 {line.forwarded_from}")
    return "；".join(parts)


CHANGES_HEADER = ["变化", "质控点代码", "质控点", "周期", "编号", "名称", "所属单位", "当前值", "预警值", "计量单位", "首次发现", "说明"]
OPEN_HEADER = ["质控点代码", "质控点", "周期", "编号", "名称", "所属单位", "当前值", "最差值", "预警值", "计量单位", "状态", "首次发现", "持续天数", "责任部门"]


def _sheet(workbook: Workbook, title: str, header: list[str], rows: list[list], widths: tuple[int, ...], first: bool) -> None:
    sheet = workbook.active if first else workbook.create_sheet()
    sheet.title = title
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    sheet.freeze_panes = "A2"
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + index)].width = width


def digest_workbook(lines: list[DigestLine], open_list: list[DigestLine] | None = None) -> bytes:
    """Sheet 1: the changes of this digest. Sheet 2: every open warning routed to the recipient."""
    names = _display_names(lines + (open_list or []))
    changes = [
        [
            KIND_LABELS[kind], code, names[code], line.period, mask_personal(line.entity_id),
            mask_personal(line.entity_name), line.unit_name or "", line.value, line.warning_value,
            line.measure_unit, line.first_seen, _remark(line),
        ]
        for kind, code, section in _sections(lines)
        for line in section
    ]
    workbook = Workbook()
    _sheet(workbook, "本次变化", CHANGES_HEADER, changes, (8, 26, 18, 13, 14, 12, 18, 10, 10, 8, 20, 30), first=True)
    if open_list is not None:
        ordered = sorted(open_list, key=lambda l: (l.code, l.period, l.entity_id))
        rows = [
            [
                line.code, names[line.code], line.period, mask_personal(line.entity_id), mask_personal(line.entity_name),
                line.unit_name or "", line.value, line.worst_value, line.warning_value, line.measure_unit, line.state,
                line.first_seen, line.days_open, line.owner_name,
            ]
            for line in ordered
        ]
        _sheet(workbook, "全部未解除预警", OPEN_HEADER, rows, (26, 18, 13, 14, 12, 18, 10, 10, 10, 8, 8, 20, 8, 14), first=False)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def stable_message_id(recipient: str, lines: list[DigestLine], sender: str) -> str:
    """Same recipient and same changes → same Message-ID, so a resend after a crash can be
    recognised as a duplicate by the receiving mail system."""
    changes = sorted(f"{line.warning_id}:{line.kind}:{line.revision}:{line.round}" for line in lines)
    digest = hashlib.sha256("|".join([recipient.lower(), *changes]).encode()).hexdigest()[:32]
    domain = sender.rsplit("@", 1)[-1] if "@" in sender else "zhengai.local"
    return f"<zhengai.{digest}@{domain}>"


def compose_digest(
    recipient: str,
    sender: str,
    department_name: str,
    lines: list[DigestLine],
    now: datetime,
    open_list: list[DigestLine] | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = digest_subject(department_name, lines)
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = format_datetime(school_time(now))
    message["Message-ID"] = stable_message_id(recipient, lines, sender)
    message.set_content(digest_text(department_name, lines, now))
    message.add_alternative(digest_html(department_name, lines, now), subtype="html")
    message.add_attachment(
        digest_workbook(lines, open_list),
        maintype=XLSX_TYPE[0],
        subtype=XLSX_TYPE[1],
        filename=f"质量预警清单_{department_name}_{now:%Y%m%d}.xlsx",
    )
    return message

"""One Chinese digest e-mail per recipient: subject, plain text, HTML and an .xlsx list.

Each control point says what to do (the registry's action_zh) and by when (the dispatch
policy: reminded after `remind_after_days`, escalated to the quality office after
`escalate_after_days`), each entity comes with what a reader needs to find it (class, major,
counsellor; course, teacher), and the mail says how to confirm receipt and whom to ask.
The HTML part uses tables and inline styles only, which common mail clients (Foxmail, QQ
邮箱, 网易邮箱, Outlook) all render. Entities are shown by their student or staff number
and name, never by an ID card number or a phone number.
"""

from __future__ import annotations

import hashlib
import html
import io
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Callable
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from zhengai.clock import parse_school_time, school_time

KIND_LABELS = {"new": "新增", "worse": "加重", "resolved": "解除", "reminder": "提醒", "escalation": "升级督办",
               "baseline": "历史基线"}
KIND_ORDER = ("new", "worse", "resolved", "reminder", "escalation", "baseline")
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


OPEN_KINDS = ("new", "worse", "reminder", "escalation")  # the warning is still open: act and confirm
# Inline styles: mail clients drop <style> blocks and external CSS, and many ignore <div> layout.
FONT = "font-family:'Microsoft YaHei','PingFang SC','Hiragino Sans GB','Noto Sans CJK SC',SimSun,Arial,sans-serif;"
KIND_COLOURS = {"new": "#c0392b", "worse": "#d35400", "resolved": "#1e8449", "reminder": "#b7950b", "escalation": "#7d3c98",
                "baseline": "#5d6d7e"}
CELL = "border:1px solid #d5dde6;padding:5px 7px;vertical-align:top;"
NUMBER_COLUMNS = ("当前值", "预警值", "预警编号")
HEAD_CELL = CELL + "background:#eef3f8;color:#1f3b57;font-weight:bold;white-space:nowrap;text-align:left;"


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
    action: str = ""  # what to do (the control point's action_zh)
    decimals: int | None = None  # the control point's decimals
    context: str = ""  # class, major, counsellor; course, teacher
    opened_on: date | None = None  # the day the current episode opened
    respond_by: date | None = None  # act and confirm by (opened + remind_after_days)
    resolve_by: date | None = None  # resolved by, else escalated (opened + escalate_after_days)


@dataclass(frozen=True)
class DigestContact:
    """Who to ask and how to confirm: printed at the foot of every digest."""

    quality_office: str  # the quality office's name and contact (departments.contact)
    quality_office_email: str


def deadlines(opened_at: str, remind_after_days: int, escalate_after_days: int) -> tuple[date, date]:
    """(act and confirm by, resolved by) of a warning episode opened at `opened_at`."""
    opened = parse_school_time(opened_at).date()
    return opened + timedelta(days=remind_after_days), opened + timedelta(days=escalate_after_days)


def mask_personal(text: str | None) -> str:
    return ID_CARD_PATTERN.sub(lambda match: match.group()[:6] + "*" * 8 + match.group()[-4:], text or "")


def format_number(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}".rstrip("0").rstrip(".")


def rounded(value: float | None, decimals: int | None) -> float | None:
    """The value as the control point shows it (decimals from the registry; else 2)."""
    if value is None:
        return None
    return round(value, 2 if decimals is None else decimals)


def format_measure(value: float | None, measure_unit: str, decimals: int | None = None) -> str:
    number = format_number(value) if decimals is None or value is None else f"{value:.{decimals}f}"
    if value is None or not measure_unit:
        return number
    if measure_unit in ("%", ":1"):
        return f"{number}{measure_unit}"
    return f"{number} {measure_unit}"


def _day(moment: date | None) -> str:
    return f"{moment.month}月{moment.day}日" if moment else "—"


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
    return f"{side} {format_measure(line.warning_value, line.measure_unit)}即预警"


def _sections(lines: list[DigestLine]) -> list[tuple[str, str, list[DigestLine]]]:
    """(kind, code, lines) in a stable order: kind, then control point, period, entity."""
    grouped: dict[tuple[str, str], list[DigestLine]] = defaultdict(list)
    for line in lines:
        grouped[(line.kind, line.code)].append(line)
    ordered = sorted(grouped, key=lambda key: (KIND_ORDER.index(key[0]), key[1]))
    return [(kind, code, sorted(grouped[(kind, code)], key=lambda l: (l.period, l.entity_id))) for kind, code in ordered]


def _deadline_text(line: DigestLine) -> str:
    if line.kind not in OPEN_KINDS or line.resolve_by is None:
        return ""
    if line.kind == "escalation":
        return f"整改期限 {_day(line.resolve_by)} 已过"
    if line.kind == "reminder":  # the confirmation date has passed: what is left is the resolution
        return f"{_day(line.resolve_by)}前整改"
    return f"{_day(line.respond_by)}前确认，{_day(line.resolve_by)}前整改"


def _entity_text(line: DigestLine) -> str:
    label = ID_LABELS.get(line.entity_type, "编号")
    parts = [f"周期 {line.period}", f"{label} {mask_personal(line.entity_id)}", mask_personal(line.entity_name) or "—"]
    if line.unit_name:
        parts.append(line.unit_name)
    if line.context:
        parts.append(mask_personal(line.context))
    value = f"当前值 {format_measure(line.value, line.measure_unit, line.decimals)}（预警值 {format_number(line.warning_value)}）"
    if line.kind == "resolved" and line.closed_by_note:
        value = f"已由责任部门关闭，改进说明：{mask_personal(line.resolution)}"
    elif line.kind == "resolved":
        value = f"已恢复为 {format_measure(line.value, line.measure_unit, line.decimals)}（预警值 {format_number(line.warning_value)}）"
    parts.append(value)
    if line.kind in ("reminder", "escalation"):
        parts.append(f"已持续 {line.days_open} 天，状态 {line.state}")
    if line.kind == "escalation" and line.owner_name:
        parts.append(f"责任部门 {line.owner_name}")
    if line.kind in OPEN_KINDS:
        parts.append(f"预警编号 {line.warning_id}")
    if line.forwarded_from:
        parts.append(f"原收件人 {line.forwarded_from}")
    return " | ".join(parts)


INTRO = "诊改数据平台 {now:%Y-%m-%d %H:%M} 的监测结果如下。附件含本次变化清单和您名下全部未解除预警。"
SECTION_NOTES = {
    "reminder": "以下预警已多日无新进展，仍未解除",
    "escalation": "以下预警超过整改期限仍未解除，请督促责任部门处理",
    "resolved": "以下预警已解除，无需处理",
}
ACK_HINT = "确认收到"


def _section_title(kind: str, name: str, section: list[DigestLine]) -> str:
    return f"【{KIND_LABELS[kind]}】{name}（{_rule(section[0])}）共 {len(section)} 条"


def _dated(lines: list[DigestLine]) -> list[DigestLine]:
    return [line for line in lines if line.kind in OPEN_KINDS and line.opened_on and line.resolve_by]


def _one_deadline(lines: list[DigestLine]) -> bool:
    """Every open warning here has the same deadlines (and kind of deadline): stated once, not per row."""
    return len({(line.respond_by, line.resolve_by, _deadline_text(line)) for line in _dated(lines)}) == 1


def _policy_text(lines: list[DigestLine]) -> str:
    """The deadline rule, stated once: with its dates when every open warning here shares them."""
    dated = _dated(lines)
    if not dated:
        return ""
    sample = dated[0]
    respond_days = (sample.respond_by - sample.opened_on).days
    resolve_days = (sample.resolve_by - sample.opened_on).days
    if _one_deadline(lines) and sample.kind in ("new", "worse"):
        when = f"请在 {_day(sample.respond_by)}前确认收到并落实措施，{_day(sample.resolve_by)}前整改到位"
    else:
        when = f"请在预警发出后 {respond_days} 天内确认收到并落实措施，{resolve_days} 天内整改到位（各条期限见下表）"
    return f"处理期限：{when}；到期未确认将再次提醒，{resolve_days} 天仍未解除的预警将报质量管理办公室督办。"


BASELINE_INTRO = ("以下预警所在期间早于预警邮件的起始期间（分发规则 notify_from），已作为历史基线记入预警台账，"
                  "未发给各部门，也不会提醒或督办；完整清单见附件。")


def _baseline_summary(lines: list[DigestLine]) -> list[tuple[str, int, str, str]]:
    """(control point, warnings, first – last period, responsible department) of the baseline lines."""
    names = _display_names(lines)
    grouped: dict[str, list[DigestLine]] = defaultdict(list)
    for line in lines:
        if line.kind == "baseline":
            grouped[line.code].append(line)
    rows = []
    for code in sorted(grouped):
        periods = sorted({line.period for line in grouped[code]})
        span = periods[0] if len(periods) == 1 else f"{periods[0]} 至 {periods[-1]}"
        rows.append((names[code], len(grouped[code]), span, grouped[code][0].owner_name))
    return rows


def ack_command(lines: list[DigestLine]) -> str:
    """The command line that acknowledges these warnings, for whoever runs the platform's command line."""
    ids = sorted({line.warning_id for line in lines if line.kind in OPEN_KINDS})
    return f"zhengai warnings ack {' '.join(map(str, ids))} --by 您的姓名" if ids else ""


def _contact_text(contact: DigestContact | None) -> str:
    if contact is None:
        return ""
    return f"如有疑问，请联系{contact.quality_office}（{contact.quality_office_email}）。"


def digest_text(
    department_name: str, lines: list[DigestLine], now: datetime, contact: DigestContact | None = None
) -> str:
    names = _display_names(lines)
    out = [f"{department_name}：", "", INTRO.format(now=school_time(now))]
    policy = _policy_text(lines)
    if policy:
        out.append(policy)
    forwarded = sorted({name for line in lines if line.forwarded_from for name in line.forwarded_from.split("、")})
    if forwarded:
        out.append(f"说明：{'、'.join(forwarded)} 没有可用的接收邮箱，其预警转由您处理。")
    for kind, code, section in _sections(lines):
        if kind == "baseline":
            continue
        out += ["", _section_title(kind, names[code], section)]
        if kind in SECTION_NOTES:
            out.append(f"  {SECTION_NOTES[kind]}。")
        if kind in OPEN_KINDS and section[0].action:
            out.append(f"  应对措施：{section[0].action}")
        out += [f"  {_entity_text(line)}" for line in section[:LINES_PER_SECTION]]
        if len(section) > LINES_PER_SECTION:
            out.append(f"  ……另有 {len(section) - LINES_PER_SECTION} 条，见附件。")
    baseline = _baseline_summary(lines)
    if baseline:
        out += ["", f"【{KIND_LABELS['baseline']}】共 {sum(count for _, count, _, _ in baseline)} 条", f"  {BASELINE_INTRO}"]
        out += [f"  {name}：{count} 条，周期 {span}，责任部门 {owner or '—'}" for name, count, span, owner in baseline]
    command = ack_command(lines)
    if command:
        out += ["", f"{ACK_HINT}：直接回复本邮件（回复将发给质量管理办公室），或由平台管理员运行 {command}"]
    contact_text = _contact_text(contact)
    if contact_text:
        out.append(contact_text)
    out += ["", "此邮件由诊改数据平台（zhengai）自动发送，同一预警变化只通知一次。"]
    return "\n".join(out) + "\n"


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


def _html_table(kind: str, section: list[DigestLine], department_name: str, deadlines_stated: bool) -> list[str]:
    escape = html.escape
    shown = section[:LINES_PER_SECTION]
    label = ID_LABELS.get(section[0].entity_type, "编号")
    columns: list[tuple[str, bool, Callable[[DigestLine], str]]] = [
        ("预警编号", kind in OPEN_KINDS, lambda line: str(line.warning_id)),
        ("周期", True, lambda line: line.period),
        (label, True, lambda line: mask_personal(line.entity_id)),
        ("名称", True, lambda line: mask_personal(line.entity_name)),
        # the recipient's own unit on every row says nothing
        ("所属单位", any(line.unit_name and line.unit_name != department_name for line in shown), lambda line: line.unit_name),
        ("相关信息", any(line.context for line in shown), lambda line: mask_personal(line.context)),
        ("当前值", True, lambda line: format_measure(line.value, line.measure_unit, line.decimals)),
        ("预警值", True, lambda line: format_number(line.warning_value)),
        ("处理期限", not deadlines_stated and any(_deadline_text(line) for line in shown), _deadline_text),
        ("说明", any(_remark(line) for line in shown), _remark),  # only when a row has something to say
    ]
    columns = [(title, cell) for title, wanted, cell in columns if wanted]
    out = [
        "<table role='presentation' width='100%' cellpadding='0' cellspacing='0' "
        "style='border-collapse:collapse;width:100%;font-size:13px;'>",
        "<tr>" + "".join(f"<th style=\"{HEAD_CELL}\">{escape(title)}</th>" for title, _ in columns) + "</tr>",
    ]
    for index, line in enumerate(shown):
        background = "#ffffff" if index % 2 == 0 else "#f8fafc"
        cells = []
        for title, cell in columns:
            text = escape(cell(line) or "")
            if title == "名称" and line.page_url:  # the name links to the entity's page on the report site
                text = f"<a href=\"{escape(line.page_url)}\" style=\"color:#1f5f99;\">{text or escape(line.entity_id)}</a>"
            if title == "处理期限":  # two short lines read better than one wrapped anywhere
                text = text.replace("，", "<br>")
            align = "text-align:right;" if title in NUMBER_COLUMNS else ""
            short_name = title == "名称" and line.entity_type in ("student", "staff")  # a person's name stays on one line
            nowrap = "white-space:nowrap;" if short_name or title in NUMBER_COLUMNS + ("周期", label, "处理期限") else ""
            cells.append(f"<td style=\"{CELL}{align}{nowrap}background:{background};\">{text}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return out


def digest_html(
    department_name: str, lines: list[DigestLine], now: datetime, contact: DigestContact | None = None
) -> str:
    names = _display_names(lines)
    escape = html.escape
    now = school_time(now)
    counts = Counter(line.kind for line in lines)
    chips = "".join(
        f"<td style=\"padding:0 6px 0 0;\"><span style=\"display:inline-block;padding:3px 10px;border-radius:3px;"
        f"background:{KIND_COLOURS[kind]};color:#ffffff;font-weight:bold;\">{KIND_LABELS[kind]} {counts[kind]} 条</span></td>"
        for kind in KIND_ORDER if counts[kind]
    )
    out = [
        "<!DOCTYPE html>",
        "<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{escape(digest_subject(department_name, lines))}</title></head>",
        f"<body style=\"margin:0;padding:0;background:#f0f3f7;{FONT}\">",
        "<table role='presentation' width='100%' cellpadding='0' cellspacing='0' style='background:#f0f3f7;'>"
        "<tr><td align='center' style='padding:16px 8px;'>",
        "<table role='presentation' width='820' cellpadding='0' cellspacing='0' "
        f"style=\"width:100%;max-width:820px;background:#ffffff;border:1px solid #d5dde6;{FONT}"
        "font-size:14px;line-height:1.6;color:#1f2d3d;\">",
        "<tr><td style='background:#1f4e79;color:#ffffff;padding:14px 20px;'>"
        "<div style='font-size:19px;font-weight:bold;'>质量预警通知</div>"
        f"<div style='font-size:13px;color:#d6e4f0;'>{escape(department_name)} · {now:%Y年%m月%d日 %H:%M}</div></td></tr>",
        "<tr><td style='padding:16px 20px 4px 20px;'>",
        f"<p style='margin:0 0 8px 0;'>{escape(department_name)}：</p>",
        f"<p style='margin:0 0 10px 0;'>{escape(INTRO.format(now=now))}</p>",
        f"<table role='presentation' cellpadding='0' cellspacing='0'><tr>{chips}</tr></table>",
    ]
    policy = _policy_text(lines)
    deadlines_stated = _one_deadline(lines) and _dated(lines)[0].kind in ("new", "worse")
    if policy:
        out.append("<p style='margin:12px 0 0 0;padding:8px 12px;background:#fff8e1;border-left:4px solid #f0b429;'>"
                   f"{escape(policy)}</p>")
    forwarded = sorted({name for line in lines if line.forwarded_from for name in line.forwarded_from.split("、")})
    if forwarded:
        out.append(f"<p style='margin:10px 0 0 0;color:#5b6b7b;'>说明：{escape('、'.join(forwarded))} 没有可用的接收邮箱，其预警转由您处理。</p>")
    out.append("</td></tr>")
    for kind, code, section in _sections(lines):
        if kind == "baseline":
            continue
        colour = KIND_COLOURS[kind]
        out.append("<tr><td style='padding:14px 20px 4px 20px;'>")
        out.append(
            f"<div style=\"font-size:16px;font-weight:bold;color:#1f2d3d;border-left:4px solid {colour};padding-left:8px;\">"
            f"<span style=\"color:{colour};\">【{KIND_LABELS[kind]}】</span>{escape(names[code])}"
            f"<span style='font-weight:normal;color:#5b6b7b;font-size:13px;'>　共 {len(section)} 条</span></div>"
        )
        facts = [f"预警规则：{_rule(section[0])}"]
        if kind in SECTION_NOTES:
            facts.append(SECTION_NOTES[kind])
        out.append(f"<p style='margin:4px 0 4px 12px;color:#5b6b7b;font-size:13px;'>{escape('；'.join(facts))}</p>")
        if kind in OPEN_KINDS and section[0].action:
            out.append("<p style='margin:0 0 8px 12px;font-size:13px;'><b style='color:#1f4e79;'>应对措施：</b>"
                       f"{escape(section[0].action)}</p>")
        out += _html_table(kind, section, department_name, deadlines_stated)
        if len(section) > LINES_PER_SECTION:
            out.append(f"<p style='margin:6px 0 0 0;color:#5b6b7b;font-size:13px;'>……另有 {len(section) - LINES_PER_SECTION} 条，见附件。</p>")
        out.append("</td></tr>")
    baseline = _baseline_summary(lines)
    if baseline:
        colour = KIND_COLOURS["baseline"]
        out.append("<tr><td style='padding:14px 20px 4px 20px;'>")
        out.append(
            f"<div style=\"font-size:16px;font-weight:bold;border-left:4px solid {colour};padding-left:8px;\">"
            f"<span style=\"color:{colour};\">【{KIND_LABELS['baseline']}】</span>历史预警汇总"
            f"<span style='font-weight:normal;color:#5b6b7b;font-size:13px;'>　共 {sum(c for _, c, _, _ in baseline)} 条</span></div>"
            f"<p style='margin:4px 0 8px 12px;color:#5b6b7b;font-size:13px;'>{escape(BASELINE_INTRO)}</p>"
            "<table role='presentation' width='100%' cellpadding='0' cellspacing='0' "
            "style='border-collapse:collapse;width:100%;font-size:13px;'><tr>"
            + "".join(f"<th style=\"{HEAD_CELL}\">{title}</th>" for title in ("质控点", "条数", "周期", "责任部门"))
            + "</tr>"
        )
        for name, count, span, owner in baseline:
            out.append("<tr>" + "".join(f"<td style=\"{CELL}\">{escape(str(cell))}</td>" for cell in (name, count, span, owner or "—")) + "</tr>")
        out.append("</table></td></tr>")
    out.append("<tr><td style='padding:16px 20px 18px 20px;'>")
    command = ack_command(lines)
    if command:
        out.append(
            "<div style='padding:10px 12px;background:#eef6ee;border:1px solid #cfe3cf;'>"
            f"<b>{ACK_HINT}：</b>直接回复本邮件（回复将发给质量管理办公室），或由平台管理员运行<br>"
            f"<code style=\"font-family:Consolas,'Courier New',monospace;font-size:13px;background:#ffffff;"
            f"padding:2px 6px;border:1px solid #cfe3cf;\">{escape(command)}</code></div>"
        )
    contact_text = _contact_text(contact)
    if contact_text:
        out.append(f"<p style='margin:10px 0 0 0;'>{escape(contact_text)}</p>")
    out.append("<p style='margin:10px 0 0 0;color:#8a97a5;font-size:12px;'>"
               "此邮件由诊改数据平台（zhengai）自动发送，同一预警变化只通知一次。</p>")
    out.append("</td></tr></table></td></tr></table></body></html>")
    return "\n".join(out)


CHANGES_HEADER = ["变化", "预警编号", "质控点代码", "质控点", "周期", "编号", "名称", "所属单位", "相关信息", "当前值",
                  "预警值", "计量单位", "首次发现", "确认期限", "整改期限", "应对措施", "说明"]
OPEN_HEADER = ["预警编号", "质控点代码", "质控点", "周期", "编号", "名称", "所属单位", "相关信息", "当前值", "最差值",
               "预警值", "计量单位", "状态", "首次发现", "持续天数", "整改期限", "责任部门"]
DATE_FORMAT = "yyyy-mm-dd"


def _number_format(decimals: int | None) -> str:
    return "0.00" if decimals is None else "0" if decimals == 0 else "0." + "0" * decimals


def _sheet(workbook: Workbook, title: str, header: list[str], rows: list[list], widths: tuple[int, ...], first: bool,
           formats: list[dict[int, str]]) -> None:
    """A sheet with a bold, filled, frozen header row, an autofilter and per-cell number formats."""
    sheet = workbook.active if first else workbook.create_sheet()
    sheet.title = title
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="EEF3F8")
        cell.alignment = Alignment(vertical="center")
    for row, row_formats in zip(rows, formats):
        sheet.append(row)
        for column, number_format in row_formats.items():
            sheet.cell(row=sheet.max_row, column=column + 1).number_format = number_format
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{max(sheet.max_row, 2)}"
    for index, width in enumerate(widths):
        sheet.column_dimensions[get_column_letter(index + 1)].width = width


def _local_date(stamp: str) -> date | None:
    return parse_school_time(stamp).date() if stamp else None


def digest_workbook(lines: list[DigestLine], open_list: list[DigestLine] | None = None) -> bytes:
    """Sheet 1: the changes of this digest. Sheet 2: every open warning routed to the recipient.
    Values rounded as each control point is shown, dates as dates, Chinese headers, filterable."""
    names = _display_names(lines + (open_list or []))
    changes, change_formats = [], []
    for kind, code, section in _sections(lines):
        for line in section:
            changes.append([
                KIND_LABELS[kind], line.warning_id, code, names[code], line.period, mask_personal(line.entity_id),
                mask_personal(line.entity_name), line.unit_name or "", mask_personal(line.context),
                rounded(line.value, line.decimals), line.warning_value, line.measure_unit, _local_date(line.first_seen),
                line.respond_by if kind in OPEN_KINDS else None, line.resolve_by if kind in OPEN_KINDS else None,
                line.action if kind in OPEN_KINDS else "", _remark(line),
            ])
            change_formats.append({9: _number_format(line.decimals), 12: DATE_FORMAT, 13: DATE_FORMAT, 14: DATE_FORMAT})
    workbook = Workbook()
    _sheet(workbook, "本次变化", CHANGES_HEADER, changes,
           (8, 9, 24, 16, 12, 13, 12, 16, 28, 10, 9, 8, 12, 12, 12, 36, 30), True, change_formats)
    if open_list is not None:
        ordered = sorted(open_list, key=lambda l: (l.code, l.period, l.entity_id))
        rows = [
            [
                line.warning_id, line.code, names[line.code], line.period, mask_personal(line.entity_id),
                mask_personal(line.entity_name), line.unit_name or "", mask_personal(line.context),
                rounded(line.value, line.decimals), rounded(line.worst_value, line.decimals), line.warning_value,
                line.measure_unit, line.state, _local_date(line.first_seen), line.days_open, line.resolve_by,
                line.owner_name,
            ]
            for line in ordered
        ]
        formats = [{8: _number_format(line.decimals), 9: _number_format(line.decimals), 13: DATE_FORMAT, 15: DATE_FORMAT}
                   for line in ordered]
        _sheet(workbook, "全部未解除预警", OPEN_HEADER, rows,
               (9, 24, 16, 12, 13, 12, 16, 28, 10, 10, 9, 8, 8, 12, 8, 12, 14), False, formats)
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
    contact: DigestContact | None = None,
) -> EmailMessage:
    now = school_time(now)
    message = EmailMessage()
    message["Subject"] = digest_subject(department_name, lines)
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = format_datetime(now)
    message["Message-ID"] = stable_message_id(recipient, lines, sender)
    if contact is not None and contact.quality_office_email:
        message["Reply-To"] = contact.quality_office_email  # a reply confirms receipt to the quality office
    message.set_content(digest_text(department_name, lines, now, contact))
    message.add_alternative(digest_html(department_name, lines, now, contact), subtype="html")
    message.add_attachment(
        digest_workbook(lines, open_list),
        maintype=XLSX_TYPE[0],
        subtype=XLSX_TYPE[1],
        filename=f"质量预警清单_{department_name}_{now:%Y%m%d}.xlsx",
    )
    return message

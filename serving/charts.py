"""Every chart of the reports room — site pages, Word drafts, e-mail — from one spec.

A chart is an indicator over periods: the entity's values as marks joined by a line, the
target, standard and warning lines of each period's own row (they may differ per period,
so each is drawn as a step per period), optional comparison series (the unit's and the
school's means) and reference figures. `render_svg` writes the SVG; `render_png`
rasterises that same SVG with resvg and the CJK font of a locked package
(`pylopdf-fonts-zh-cn`, Noto Sans SC, OFL), never a font of the machine; the site embeds a
subset of that font (`font_face_css`), so the browser draws the same glyphs.

The SVG is written directly rather than through a plotting library because the site has
tens of thousands of charts a night: measured on the development machine, Vega-Lite through
vl-convert takes ~65 ms a chart and matplotlib ~40 ms, this renderer well under 1 ms.
"""

from __future__ import annotations

import base64
import hashlib
import io
import math
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import NamedTuple

FONT_FAMILY = "Noto Sans SC"  # the family name inside the packaged font file (what resvg matches)
WEB_FONT_FAMILY = "zhengai-chart"  # the subset's name in the site, apart from any Noto Sans SC of the machine
WIDTH, HEIGHT = 360, 170
LEFT, RIGHT, TOP, BOTTOM = 44, 70, 22, 24
THRESHOLD_KINDS = ("target", "standard", "warning")
THRESHOLD_LABELS = {"target": "目标", "standard": "标准", "warning": "预警", "reference": "参考"}
THRESHOLD_COLOURS = {"target": "#1b7f3b", "standard": "#c78a00", "warning": "#c62828", "reference": "#6a1b9a"}
STATUS_COLOURS = {
    "达成目标": "#1b7f3b",
    "达标": "#4caf50",
    "未达标": "#f2a900",
    "预警": "#c62828",
    "数据不足": "#9e9e9e",
}
SERIES_STYLES = {  # role → stroke colour, dash
    "entity": ("#1f4e9c", ""),
    "unit": ("#7b8794", "4 3"),
    "school": ("#b0b7bf", "1 3"),
}
MAX_X_LABELS = 8


class Point(NamedTuple):
    """One period of a chart (a named tuple: the site makes one per value shown, tens of thousands a night)."""

    period: str
    value: float | None
    status: str = ""
    target: float | None = None
    standard: float | None = None
    warning: float | None = None


@dataclass(frozen=True)
class Comparison:
    """A second series on the same periods, e.g. the college's mean beside a major."""

    role: str  # unit | school
    label: str
    values: tuple[float | None, ...]  # one per period of the chart


@dataclass(frozen=True)
class Reference:
    """A figure from outside the school (横向比较), drawn as a labelled horizontal line."""

    value: float
    label: str


@dataclass(frozen=True)
class ChartSpec:
    indicator_code: str
    unit: str  # the measure's unit: %, 学时, :1 …
    points: tuple[Point, ...]
    entity_label: str = "本值"
    comparisons: tuple[Comparison, ...] = ()
    references: tuple[Reference, ...] = ()


@dataclass(frozen=True)
class Chart:
    svg: str
    text: str  # every character drawn, for the font subset
    spec_hash: str = field(default="")


_NUMBERS: dict[float, str] = {}


def number(value: float | None) -> str:
    """Figures as people read them: up to 2 decimals, no trailing zeros (— for none)."""
    if value is None or value != value:  # None or NaN
        return "—"
    text = _NUMBERS.get(value)
    if text is None:
        text = f"{value:.2f}".rstrip("0").rstrip(".")
        text = "0" if text == "-0" else text
        if len(_NUMBERS) > 200_000:
            _NUMBERS.clear()
        _NUMBERS[value] = text
    return text


def _nice_step(span: float, ticks: int = 4) -> float:
    raw = span / ticks if span > 0 else 1.0
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _y_domain(values: list[float]) -> tuple[float, float, float]:
    low, high = min(values), max(values)
    if low == high:
        pad = abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    step = _nice_step(high - low)
    low = math.floor(low / step) * step
    high = math.ceil(high / step) * step
    if low < 0 <= min(values):
        low = 0.0
    return low, high, step


def _all_values(spec: ChartSpec) -> list[float]:
    values = [v for p in spec.points for v in (p.value, p.target, p.standard, p.warning) if v is not None]
    for comparison in spec.comparisons:
        values += [v for v in comparison.values if v is not None]
    values += [r.value for r in spec.references]
    return values or [0.0, 1.0]


# How a chart looks, as CSS: written into the site's stylesheet for inline charts, and into the
# <style> of a standalone SVG (render_png), so both draw alike.
CHART_CSS = "".join(
    [
        f"svg.chart{{font-family:'{WEB_FONT_FAMILY}','{FONT_FAMILY}';font-size:10px}}",
        "svg.chart .bg{fill:#fff}svg.chart .grid{stroke:#e6e9ed}svg.chart .axis{fill:#555}",
        "svg.chart .threshold{fill:none;stroke-width:1.2;stroke-dasharray:5 3}",
        *(f"svg.chart .{kind}{{stroke:{colour}}}svg.chart .label-{kind}{{fill:{colour}}}" for kind, colour in THRESHOLD_COLOURS.items()),
        "svg.chart .reference{stroke-width:1;stroke-dasharray:2 2}",
        *(f"svg.chart .series.{role}{{fill:none;stroke:{colour};stroke-width:{1.6 if role == 'entity' else 1.2};"
          f"{'stroke-dasharray:' + dash if dash else ''}}}" for role, (colour, dash) in SERIES_STYLES.items()),
        "svg.chart .legend{fill:#333}svg.chart .mark{stroke:#fff;stroke-width:.8}",
        *(f"svg.chart .s{index}{{fill:{colour}}}" for index, colour in enumerate(STATUS_COLOURS.values())),
        f"svg.chart .s{len(STATUS_COLOURS)}{{fill:{SERIES_STYLES['entity'][0]}}}",
    ]
)
STATUS_CLASS = {status: f"s{index}" for index, status in enumerate(STATUS_COLOURS)}
NO_STATUS_CLASS = f"s{len(STATUS_COLOURS)}"
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM


@lru_cache(maxsize=4096)
def _frame(periods: tuple[str, ...], unit: str, low: float, high: float, step: float) -> tuple[str, str]:
    """Grid, axis labels and unit of a chart: shared by every chart with the same periods and scale."""
    count = len(periods)
    band = PLOT_W / max(count, 1)
    parts, texts = [], []
    tick = low
    while tick <= high + step / 2:
        ty = TOP + PLOT_H * (1 - (tick - low) / (high - low))
        label = number(tick)
        texts.append(label)
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{LEFT + PLOT_W}" y1="{ty:.1f}" y2="{ty:.1f}"/>'
                     f'<text class="axis" x="{LEFT - 4}" y="{ty + 3:.1f}" text-anchor="end">{label}</text>')
        tick += step
    every = max(1, math.ceil(count / MAX_X_LABELS))
    for index, period in enumerate(periods):
        if (count - 1 - index) % every == 0:
            texts.append(period)
            parts.append(f'<text class="axis" x="{LEFT + band * (index + 0.5):.1f}" y="{HEIGHT - BOTTOM + 13}" '
                         f'text-anchor="middle">{escape(period)}</text>')
    if unit:
        texts.append(unit)
        parts.append(f'<text class="axis" x="4" y="{TOP - 8}">{escape(unit)}</text>')
    return "".join(parts), "".join(texts)


@lru_cache(maxsize=16384)
def _threshold(kind: str, values: tuple[float | None, ...], low: float, high: float) -> str:
    """A threshold drawn as one step per period (each period's own row)."""
    count = len(values)
    band = PLOT_W / max(count, 1)
    segments: list[list] = []  # [start index, periods, value]: equal neighbours drawn as one segment
    for index, value in enumerate(values):
        if value is None:
            continue
        if segments and segments[-1][2] == value and segments[-1][0] + segments[-1][1] == index:
            segments[-1][1] += 1
        else:
            segments.append([index, 1, value])
    if not segments:
        return ""
    segments = [f"M{LEFT + band * start:.1f} {TOP + PLOT_H * (1 - (value - low) / (high - low)):.1f}h{band * length:.1f}"
                for start, length, value in segments]
    return f'<path class="threshold {kind}" data-values="{"|".join(number(v) for v in values)}" d="{"".join(segments)}"/>'


LABEL_GAP = 11  # px between two labels on the right edge


@lru_cache(maxsize=16384)
def _labels(labels: tuple[tuple[float, str, str], ...]) -> str:
    """Labels at the right edge, each at its line's height, pushed apart where lines lie close."""
    placed: list[tuple[float, str, str]] = []
    for y, kind, text in sorted(labels):
        y = max(y, placed[-1][0] + LABEL_GAP) if placed else y
        placed.append((y, kind, text))
    overflow = placed[-1][0] - (HEIGHT - 4) if placed else 0
    if overflow > 0:  # pushed below the chart: shift them all up
        placed = [(y - overflow, kind, text) for y, kind, text in placed]
    return "".join(f'<text class="label-{kind}" x="{LEFT + PLOT_W + 4}" y="{y + 3:.1f}">{escape(text)}</text>'
                   for y, kind, text in placed)


# The unit's and the school's means are the same series on every page of a college (of the school):
# drawn once per scale, not once per chart.
@lru_cache(maxsize=16384)
def _comparison(role: str, values: tuple[float | None, ...], low: float, high: float) -> str:
    """A comparison series as a line through its periods ('' when it has no value)."""
    band = PLOT_W / max(len(values), 1)
    scale = PLOT_H / (high - low)
    bottom = TOP + PLOT_H
    present = [(LEFT + band * (i + 0.5), bottom - (v - low) * scale) for i, v in enumerate(values) if v is not None]
    if not present:
        return ""
    # A line through the periods; a single period gets a short dash, so it is seen too.
    if len(present) > 1:
        d = "".join(f"{'M' if i == 0 else 'L'}{cx:.1f} {cy:.1f}" for i, (cx, cy) in enumerate(present))
    else:
        d = f"M{present[0][0] - 9:.1f} {present[0][1]:.1f}h18"
    return f'<path class="series {role}" data-values="{"|".join(number(v) for v in values)}" d="{d}"/>'


@lru_cache(maxsize=1024)
def _legend(legend: tuple[tuple[str, str], ...]) -> str:
    parts, lx = [], LEFT
    for label, role in legend:
        parts.append(f'<polyline class="series {role}" points="{lx},{TOP - 11} {lx + 14},{TOP - 11}"/>'
                     f'<text class="legend" x="{lx + 17}" y="{TOP - 8}">{escape(label)}</text>')
        lx += 24 + 11 * len(label)
    return "".join(parts)


def render_svg(spec: ChartSpec, standalone: bool = False) -> Chart:
    """The chart as SVG: inline in a page (styled by CHART_CSS in the site's stylesheet) or, with
    `standalone`, a document that carries CHART_CSS itself."""
    points = spec.points
    count = len(points)
    low, high, step = _y_domain(_all_values(spec))
    band = PLOT_W / max(count, 1)
    scale = PLOT_H / (high - low)
    bottom = TOP + PLOT_H

    frame, frame_text = _frame(tuple(p.period for p in points), spec.unit, low, high, step)
    texts = [frame_text]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-indicator="{escape(spec.indicator_code)}" '
        f'width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}">',
        f"<style>{CHART_CSS}</style>" if standalone else "",
        f'<rect class="bg" width="{WIDTH}" height="{HEIGHT}"/>',
        frame,
    ]
    labels = []
    for kind in THRESHOLD_KINDS:
        values = tuple(getattr(p, kind) for p in points)
        parts.append(_threshold(kind, values, low, high))
        last = next((v for v in reversed(values) if v is not None), None)
        if last is not None:
            labels.append((bottom - (last - low) * scale, kind, f"{THRESHOLD_LABELS[kind]} {number(last)}"))
    for reference in spec.references:
        ry = bottom - (reference.value - low) * scale
        labels.append((ry, "reference", f"{reference.label} {number(reference.value)}"))
        parts.append(f'<path class="threshold reference" data-values="{number(reference.value)}" d="M{LEFT} {ry:.1f}H{LEFT + PLOT_W}"/>')
    texts += [text for _, _, text in labels]
    parts.append(_labels(tuple(labels)))
    legend = [(spec.entity_label, "entity")]
    for comparison in spec.comparisons:
        path = _comparison(comparison.role, comparison.values, low, high)
        if path:
            legend.append((comparison.label, comparison.role))
            parts.append(path)
    placed = [(point, f"{LEFT + band * (index + 0.5):.1f}", f"{bottom - (point.value - low) * scale:.1f}")
              for index, point in enumerate(points) if point.value is not None]
    if len(placed) > 1:
        parts.append(f'<polyline class="series entity" points="{" ".join(f"{x},{y}" for _, x, y in placed)}"/>')
    parts += [
        f'<circle class="mark {STATUS_CLASS.get(point.status, NO_STATUS_CLASS)}" data-period="{point.period}" '
        f'data-value="{number(point.value)}" data-status="{point.status}" cx="{x}" cy="{y}" r="3.2"/>'
        for point, x, y in placed
    ]
    if len(legend) > 1:
        texts += [label for label, _ in legend]
        parts.append(_legend(tuple(legend)))
    parts.append("</svg>")
    return Chart(svg="".join(parts), text="".join(texts))


def font_path() -> Path:
    import pylopdf_fonts_zh_cn

    return Path(pylopdf_fonts_zh_cn.sans_path())


def render_png(spec: ChartSpec, zoom: float = 2.0) -> bytes:
    """The same SVG rasterised for Word and e-mail, with the packaged font only."""
    import resvg_py

    return bytes(
        resvg_py.svg_to_bytes(
            svg_string=render_svg(spec, standalone=True).svg,
            skip_system_fonts=True,
            font_files=[str(font_path())],
            font_family=FONT_FAMILY,
            sans_serif_family=FONT_FAMILY,
            zoom=zoom,
            background="#ffffff",
        )
    )


BASE_GLYPHS = "".join(chr(c) for c in range(0x20, 0x7F)) + "—：（）".join(THRESHOLD_LABELS.values())


def font_subset(text: str) -> bytes:
    """The packaged font cut down to the characters drawn (its name table, with the OFL notice, kept)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    font = TTFont(font_path())
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(set(text + BASE_GLYPHS))))
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()


def glyphs_key(text: str) -> str:
    return hashlib.sha256("".join(sorted(set(text + BASE_GLYPHS))).encode()).hexdigest()[:16]


@lru_cache(maxsize=4)
def font_face_css(text: str) -> str:
    """@font-face with the subset inline: pages opened from disk (file://) cannot fetch a font file."""
    data = base64.b64encode(font_subset(text)).decode("ascii")
    return (
        f"@font-face {{ font-family: '{WEB_FONT_FAMILY}'; font-weight: 400; "
        f"src: url(data:font/otf;base64,{data}) format('opentype'); }}\n"
    )

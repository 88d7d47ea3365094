"""Charts drawn at build time as SVG: geometry in Python, markup in a template.

No JavaScript is needed to see a chart; every chart is followed on its page by
its data table and a one-line summary, so the numbers are readable without it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pipeline.render.env import render

WIDTH, HEIGHT = 640, 260
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 44, 12, 28, 44


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float]
    css_class: str  # colour comes from the site's stylesheet, so dark mode works


def nice_ceiling(value: float) -> float:
    """The smallest 1/2/5 × 10ⁿ at or above ``value``, for a readable axis."""
    if value <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def axis_grid(top: float, plot_top: float, plot_h: float) -> list[dict]:
    """The value axis's grid lines and labels from 0 to ``top``, in as many equal steps (4, else 5, 2 or 1) as
    keep every label whole: 100 reads 25, 50 …; 50 reads 10, 20 …; 10 reads 2, 4 …; 2 reads 1, 2 (counts are
    whole, so never 12.5 or 2.5). A top below 1 (a share) is cut in quarters, or fifths of a 5 × 10ⁿ top."""
    parts = next((n for n in (4, 5, 2, 1) if top >= 1 and float(top / n).is_integer()),
                 5 if f"{top:e}"[0] == "5" else 4)
    return [{"y": round(plot_top + plot_h - plot_h * k / parts, 2), "label": f"{top * k / parts:g}"}
            for k in range(parts + 1)]


def bar_chart(title: str, labels: list[str], series: list[Series], *, chart_id: str, unit: str = "") -> str:
    """Grouped vertical bars, one group per label; labels thinned so they never overlap."""
    top = nice_ceiling(max((v for s in series for v in s.values), default=0))
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    group_w = plot_w / max(len(labels), 1)
    bar_w = group_w * 0.8 / max(len(series), 1)
    bars = []
    for s_index, s in enumerate(series):
        for index, value in enumerate(s.values):
            height = plot_h * value / top
            x = MARGIN_LEFT + index * group_w + group_w * 0.1 + s_index * bar_w
            bars.append({"x": round(x, 2), "y": round(MARGIN_TOP + plot_h - height, 2), "w": round(bar_w, 2),
                         "h": round(height, 2), "css": s.css_class, "tip": f"{labels[index]} {s.name}：{value:g}{unit}"})
    every = max(1, math.ceil(len(labels) / 12))
    ticks = [{"x": round(MARGIN_LEFT + i * group_w + group_w / 2, 2), "label": label}
             for i, label in enumerate(labels) if i % every == 0]
    grid = axis_grid(top, MARGIN_TOP, plot_h)
    legend = [{"x": MARGIN_LEFT + i * 140, "name": s.name, "css": s.css_class} for i, s in enumerate(series)]
    return render("chart_bars.svg.j2", title=title, chart_id=chart_id, width=WIDTH, height=HEIGHT, bars=bars,
                  ticks=ticks, grid=grid, legend=legend, left=MARGIN_LEFT, right=WIDTH - MARGIN_RIGHT,
                  baseline=MARGIN_TOP + plot_h)


HBAR_ROW, HBAR_FONT = 26, 13


def text_width(label: str, font: int = HBAR_FONT) -> float:
    """Approximate rendered width: CJK and full-width characters are one em, others about half."""
    return sum(font if ord(ch) > 0x2E7F else font * 0.6 for ch in label)


def hbar_chart(title: str, labels: list[str], values: list[float], *, chart_id: str, unit: str = "",
               css_class: str = "bar-a", value_labels: list[str] | None = None, width: int = 420) -> str:
    """Horizontal bars, one row per label: long Chinese names stay legible on a phone.

    The view box is narrow (``width``) so that text keeps close to its real size
    when the chart is scaled down to a phone screen.
    """
    value_labels = value_labels or [f"{v:g}{unit}" for v in values]
    label_w = min(max((text_width(label) for label in labels), default=0) + 8, width * 0.45)
    value_w = max((text_width(text) for text in value_labels), default=0) + 8
    top = nice_ceiling(max(values, default=0))
    plot_w = max(width - label_w - value_w - 4, 10)
    height = MARGIN_TOP + HBAR_ROW * len(labels) + 8
    rows = []
    for index, (label, value, shown) in enumerate(zip(labels, values, value_labels)):
        y = MARGIN_TOP + index * HBAR_ROW
        w = plot_w * value / top if top else 0
        rows.append({"label": label, "text_y": round(y + HBAR_ROW / 2 + HBAR_FONT * 0.35, 2),
                     "x": round(label_w, 2), "w": round(w, 2), "h": HBAR_ROW - 8, "bar_y": y + 4,
                     "value_x": round(label_w + w + 4, 2), "value": shown, "tip": f"{label}：{shown}"})
    return render("chart_hbars.svg.j2", title=title, chart_id=chart_id, width=width, height=height, rows=rows,
                  css=css_class, label_x=round(label_w - 6, 2))


@dataclass(frozen=True)
class Line:
    name: str
    values: list[float | None]  # None: no data for that label (the line breaks there, never drops to 0)
    css_class: str  # line-a, line-b, line-c: colour and dash pattern from the stylesheet


def line_chart(title: str, labels: list[str], lines: list[Line], *, chart_id: str, unit: str = "") -> str:
    """One line per series over the labels (months), each point marked and titled with its value.

    A missing value breaks the line; the series differ in dash pattern as well as colour."""
    top = nice_ceiling(max((v for s in lines for v in s.values if v is not None), default=0))
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    step = plot_w / max(len(labels), 1)
    drawn = []
    for s in lines:
        points, path, pen_down = [], [], False
        for index, value in enumerate(s.values):
            if value is None:
                pen_down = False
                continue
            x = round(MARGIN_LEFT + index * step + step / 2, 2)
            y = round(MARGIN_TOP + plot_h - plot_h * value / top, 2)
            path.append(f"{'L' if pen_down else 'M'}{x} {y}")
            pen_down = True
            points.append({"x": x, "y": y, "tip": f"{labels[index]} {s.name}：{value:g}{unit}"})
        drawn.append({"css": s.css_class, "d": " ".join(path), "points": points})
    every = max(1, math.ceil(len(labels) / 12))
    ticks = [{"x": round(MARGIN_LEFT + i * step + step / 2, 2), "label": label}
             for i, label in enumerate(labels) if i % every == 0]
    grid = axis_grid(top, MARGIN_TOP, plot_h)
    legend = [{"x": 8 + i * 105, "name": s.name, "css": s.css_class} for i, s in enumerate(lines)]  # seen on a phone
    return render("chart_lines.svg.j2", title=title, chart_id=chart_id, width=WIDTH, height=HEIGHT, lines=drawn,
                  ticks=ticks, grid=grid, legend=legend, left=MARGIN_LEFT, right=WIDTH - MARGIN_RIGHT,
                  baseline=MARGIN_TOP + plot_h)

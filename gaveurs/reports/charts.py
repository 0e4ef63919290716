"""Vector charts for the reports (reportlab.graphics), returned as Drawings that platypus lays out as flowables."""

from __future__ import annotations

import math
from collections.abc import Sequence

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import LineLegend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, Group, Line, Rect, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors

from gaveurs.contracts.exports import FeedingRow

FONT = "Helvetica"
INK = colors.HexColor("#1F2933")
GRID = colors.HexColor("#D9DEE4")
MEAL_COLOURS = {"matin": colors.HexColor("#2E6DA4"), "soir": colors.HexColor("#D9822B")}
MEAL_LABELS = {"matin": "Repas du matin", "soir": "Repas du soir"}
GRADE_COLOURS = {
    "A+": colors.HexColor("#1B7F3B"),
    "A": colors.HexColor("#5BAA4A"),
    "B": colors.HexColor("#C9B037"),
    "C": colors.HexColor("#E07B2A"),
    "REJECT": colors.HexColor("#C0392B"),
}
OTHER_GRADE_COLOUR = colors.HexColor("#8A94A0")
WINDOW = colors.HexColor("#E3F1E6")  # the liver weight objective window
TARGET = colors.HexColor("#1B7F3B")

# Ticks land on these multiples (times a power of ten) so the axes read like a person drew them.
_NICE_STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)


def fr_count(value: float) -> str:
    """Counts as the tables print them: non-breaking space between thousands."""
    return f"{round(value):,}".replace(",", "\u00a0")


def nice_step(span: float, max_ticks: int = 6) -> float:
    """The smallest 'round' tick step that shows `span` with at most `max_ticks` intervals."""
    if span <= 0:
        return 1.0
    raw = span / max_ticks
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for multiple in _NICE_STEPS:
        if multiple * magnitude >= raw:
            return multiple * magnitude
    return 10.0 * magnitude


def _value_range(values: Sequence[float]) -> tuple[float, float, float]:
    """Axis bounds snapped to the tick step, with headroom so the top point never touches the frame."""
    lo, hi = min(values), max(values)
    if hi - lo < 1.0:
        lo, hi = lo - 10.0, hi + 10.0
    step = nice_step(hi - lo)
    start = max(0.0, math.floor((lo - 0.05 * (hi - lo)) / step) * step)
    stop = math.ceil((hi + 0.05 * (hi - lo)) / step) * step
    return start, stop, step


def _rotated_label(x: float, y: float, text: str) -> Group:
    label = Group(String(0, 0, text, fontName=FONT, fontSize=8, fillColor=INK, textAnchor="middle"))
    label.translate(x, y)
    label.rotate(90)
    return label


def feeding_curve_chart(feeding: Sequence[FeedingRow], width: float, height: float) -> Drawing:
    """Mean corn dose per feeding day, one line per meal (matin, soir), in a `width`×`height` drawing."""
    if not feeding:
        raise ValueError("a feeding curve needs at least one meal")
    meals = [meal for meal in ("matin", "soir") if any(row.repas == meal for row in feeding)]
    # Meals outside matin/soir would be a data error upstream; plot them rather than hide them.
    meals += sorted({row.repas for row in feeding} - set(meals))
    series = [
        sorted((float(row.jour_gavage), row.dose_moyenne_g) for row in feeding if row.repas == meal)
        for meal in meals
    ]
    days = sorted({row.jour_gavage for row in feeding})
    y_min, y_max, y_step = _value_range([row.dose_moyenne_g for row in feeding])

    drawing = Drawing(width, height)
    plot = LinePlot()
    plot.x, plot.y = 48, 34
    plot.width, plot.height = width - plot.x - 12, height - plot.y - 30
    plot.data = series
    plot.joinedLines = 1
    for index, meal in enumerate(meals):
        colour = MEAL_COLOURS.get(meal, OTHER_GRADE_COLOUR)
        plot.lines[index].strokeColor = colour
        plot.lines[index].strokeWidth = 1.6
        plot.lines[index].symbol = makeMarker("FilledCircle", size=4, fillColor=colour, strokeColor=colour)

    x_axis = plot.xValueAxis
    # Half a day of padding each side keeps the first and last markers off the axes.
    x_axis.valueMin, x_axis.valueMax = days[0] - 0.5, days[-1] + 0.5
    x_axis.valueSteps = [float(day) for day in days]
    x_axis.labelTextFormat = "%d"
    x_axis.labels.fontName, x_axis.labels.fontSize, x_axis.labels.fillColor = FONT, 7.5, INK
    x_axis.strokeColor = INK

    y_axis = plot.yValueAxis
    y_axis.valueMin, y_axis.valueMax, y_axis.valueStep = y_min, y_max, y_step
    y_axis.labelTextFormat = "%d"
    y_axis.labels.fontName, y_axis.labels.fontSize, y_axis.labels.fillColor = FONT, 7.5, INK
    y_axis.strokeColor = INK
    y_axis.visibleGrid = 1
    y_axis.gridStrokeColor = GRID
    y_axis.gridStrokeWidth = 0.5
    drawing.add(plot)

    drawing.add(
        String(
            plot.x + plot.width / 2,
            6,
            "Jour de gavage",
            fontName=FONT,
            fontSize=8,
            fillColor=INK,
            textAnchor="middle",
        )
    )
    drawing.add(_rotated_label(12, plot.y + plot.height / 2, "Dose moyenne de maïs (g)"))

    legend = LineLegend()
    # One row of items above the plot's top-left corner, where rising curves never reach.
    legend.x, legend.y = plot.x, height - 6
    legend.alignment = "right"
    legend.deltax, legend.dx, legend.dy = 100, 18, 2
    legend.columnMaximum = 1
    legend.fontName, legend.fontSize, legend.fillColor = FONT, 8, INK
    legend.colorNamePairs = [
        (MEAL_COLOURS.get(meal, OTHER_GRADE_COLOUR), MEAL_LABELS.get(meal, meal)) for meal in meals
    ]
    drawing.add(legend)
    return drawing


def sqal_grade_chart(counts: Sequence[tuple[str, int]], width: float, height: float) -> Drawing:
    """Bar chart of SQAL sample counts per grade, bars coloured from best (green) to rejected (red)."""
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y = 34, 22
    chart.width, chart.height = width - chart.x - 6, height - chart.y - 14
    chart.data = [[count for _, count in counts]]
    chart.barWidth = 10
    chart.groupSpacing = 8
    chart.bars.strokeColor = None
    for index, (grade, _) in enumerate(counts):
        chart.bars[(0, index)].fillColor = GRADE_COLOURS.get(grade, OTHER_GRADE_COLOUR)
    chart.barLabelFormat = fr_count
    chart.barLabels.fontName, chart.barLabels.fontSize, chart.barLabels.fillColor = FONT, 7, INK
    chart.barLabels.nudge = 6

    chart.categoryAxis.categoryNames = [grade for grade, _ in counts]
    chart.categoryAxis.labels.fontName, chart.categoryAxis.labels.fontSize = FONT, 7.5
    chart.categoryAxis.labels.dy = -2
    chart.categoryAxis.strokeColor = INK

    top = max((count for _, count in counts), default=0)
    step = max(1.0, nice_step(float(top), max_ticks=4))
    chart.valueAxis.valueMin = 0
    # Room above the tallest bar for its count label.
    chart.valueAxis.valueMax = max(step, math.ceil(top * 1.15 / step) * step)
    chart.valueAxis.valueStep = step
    chart.valueAxis.labelTextFormat = fr_count
    chart.valueAxis.labels.fontName, chart.valueAxis.labels.fontSize = FONT, 7
    chart.valueAxis.strokeColor = INK
    chart.valueAxis.visibleGrid = 1
    chart.valueAxis.gridStrokeColor = GRID
    chart.valueAxis.gridStrokeWidth = 0.5
    drawing.add(chart)
    drawing.add(_rotated_label(8, chart.y + chart.height / 2, "Échantillons"))
    return drawing


def grade_mix_bar(counts: Sequence[tuple[str, int]], width: float, height: float) -> Drawing:
    """One horizontal bar split by grade share (best on the left), for the KPI band; empty frame without data."""
    drawing = Drawing(width, height)
    total = sum(count for _, count in counts)
    if total == 0:
        drawing.add(Rect(0, 0, width, height, fillColor=None, strokeColor=GRID, strokeWidth=0.6))
        return drawing
    x = 0.0
    for grade, count in counts:
        if count == 0:
            continue
        share = width * count / total
        colour = GRADE_COLOURS.get(grade, OTHER_GRADE_COLOUR)
        drawing.add(Rect(x, 0, share, height, fillColor=colour, strokeColor=None))
        x += share
    return drawing


def liver_weight_chart(
    points: Sequence[tuple[float, float]],
    window: tuple[float, float],
    target: float,
    width: float,
    height: float,
    *,
    x_labels: Sequence[tuple[float, str]],
) -> Drawing:
    """Mean liver weight of each finished lot (x = start day as a number) over the objective window's band."""
    if not points:
        raise ValueError("a liver weight chart needs at least one lot")
    drawing = Drawing(width, height)
    plot = LinePlot()
    plot.x, plot.y = 48, 30
    plot.width, plot.height = width - plot.x - 12, height - plot.y - 12
    plot.data = [sorted(points)]
    plot.joinedLines = 0
    plot.lines[0].strokeColor = None
    plot.lines[0].symbol = makeMarker(
        "FilledCircle", size=3.2, fillColor=colors.HexColor("#2E6DA4"), strokeColor=None
    )

    xs = [x for x, _ in points]
    x_lo, x_hi = min(xs) - 1.0, max(xs) + 1.0
    weights = [y for _, y in points] + [window[0], window[1]]
    y_min, y_max, y_step = _value_range(weights)
    plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = x_lo, x_hi
    plot.xValueAxis.valueSteps = [x for x, _ in x_labels]
    labels = dict(x_labels)
    plot.xValueAxis.labelTextFormat = lambda value: labels.get(value, "")
    plot.xValueAxis.labels.fontName, plot.xValueAxis.labels.fontSize = FONT, 7
    plot.xValueAxis.strokeColor = INK
    plot.yValueAxis.valueMin, plot.yValueAxis.valueMax, plot.yValueAxis.valueStep = y_min, y_max, y_step
    plot.yValueAxis.labelTextFormat = "%d"
    plot.yValueAxis.labels.fontName, plot.yValueAxis.labels.fontSize = FONT, 7.5
    plot.yValueAxis.strokeColor = INK
    plot.yValueAxis.visibleGrid = 1
    plot.yValueAxis.gridStrokeColor = GRID
    plot.yValueAxis.gridStrokeWidth = 0.5

    def y_at(value: float) -> float:
        return float(plot.y + plot.height * (value - y_min) / (y_max - y_min))

    # The band and the target line go under the points.
    low, high = window
    drawing.add(
        Rect(plot.x, y_at(low), plot.width, y_at(high) - y_at(low), fillColor=WINDOW, strokeColor=None)
    )
    drawing.add(Line(plot.x, y_at(target), plot.x + plot.width, y_at(target), strokeColor=TARGET, strokeWidth=0.8,
                     strokeDashArray=[3, 2]))  # fmt: skip
    drawing.add(plot)
    drawing.add(_rotated_label(12, plot.y + plot.height / 2, "Poids de foie moyen (g)"))
    drawing.add(
        String(plot.x + plot.width / 2, 4, "Début de gavage", fontName=FONT, fontSize=8, fillColor=INK,
               textAnchor="middle")
    )  # fmt: skip
    return drawing

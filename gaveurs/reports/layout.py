"""What every report shares: French number formats, styles, the KPI band, and the page frame ("Page 2 / 3").

Only reportlab's built-in Helvetica is used, so the output does not depend on the fonts a worker host has; its
WinAnsi encoding covers French text (é, è, à, ç, °, –, —, ·) but not arrows or maths symbols, hence none here.
Documents are built in invariant mode (fixed creation date and document id), so the same inputs and the same
`generated_at` give the same bytes: a retried activity rewrites an identical file.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle

ProgressCallback = Callable[[int, str], None]


class ByteSink(Protocol):
    """Where a renderer writes: a file, a BytesIO, or an artifact writer."""

    def write(self, data: bytes, /) -> int: ...


SQAL_GRADES = ("A+", "A", "B", "C", "REJECT")
LIVER_WINDOW_G = (400.0, 700.0)
LIVER_TARGET_G = 550.0

DASH = "—"
NBSP = "\u00a0"
STATUS_LABELS = {"en_gavage": "En gavage", "termine": "Terminé", "abattu": "Abattu"}

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
# SimpleDocTemplate's frame pads 6 pt on each side; content sized to the bare margins would overhang.
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN - 12

NAVY = colors.HexColor("#1F3A5F")
INK = colors.HexColor("#1F2933")
MUTED = colors.HexColor("#5F6B7A")
RULE = colors.HexColor("#D9DEE4")
ZEBRA = colors.HexColor("#F3F5F8")
TILE = colors.HexColor("#F5F7FA")
GOOD = "#1B7F3B"
BAD = "#C0392B"

TITLE = ParagraphStyle("title", fontName="Helvetica-Bold", fontSize=20, leading=24, textColor=NAVY)
SUBTITLE = ParagraphStyle("subtitle", fontName="Helvetica", fontSize=10.5, leading=15, textColor=INK)
META = ParagraphStyle("meta", fontName="Helvetica", fontSize=8.5, leading=11, textColor=MUTED)
HEADING = ParagraphStyle(
    "heading",
    fontName="Helvetica-Bold",
    fontSize=12.5,
    leading=16,
    textColor=NAVY,
    spaceBefore=14,
    spaceAfter=6,
)
BODY = ParagraphStyle("body", fontName="Helvetica", fontSize=9, leading=12, textColor=INK)
LABEL = ParagraphStyle("label", parent=BODY, fontName="Helvetica-Bold", textColor=MUTED)
NOTE = ParagraphStyle("note", parent=BODY, fontSize=8.5, leading=11, textColor=MUTED)
TILE_LABEL = ParagraphStyle("tile_label", parent=BODY, fontSize=7.5, leading=9, textColor=MUTED)
TILE_VALUE = ParagraphStyle(
    "tile_value", parent=BODY, fontName="Helvetica-Bold", fontSize=15, leading=18, textColor=NAVY
)
TILE_NOTE = ParagraphStyle("tile_note", parent=BODY, fontSize=7.5, leading=9.5, textColor=MUTED)


# ---------------------------------------------------------------------------------------------- formatting


def fr_number(value: float, decimals: int = 0) -> str:
    """French notation: decimal comma, non-breaking space between thousands, never '-0'."""
    text = f"{round(value, decimals) + 0.0:,.{decimals}f}"
    return text.replace(",", NBSP).replace(".", ",")


def fr_quantity(value: float | None, decimals: int = 0, unit: str = "") -> str:
    """A number with its unit, or an em dash when the value is not known yet."""
    if value is None:
        return DASH
    text = fr_number(value, decimals)
    return f"{text}{NBSP}{unit}" if unit else text


def fr_percent(value: float | None, decimals: int = 1) -> str:
    return fr_quantity(value, decimals, "%")


def fr_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def as_utc(moment: datetime) -> datetime:
    # Naive timestamps come from the workflow clock or SQLite, which are UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def generated_line(stamp: datetime) -> str:
    return f"généré le {fr_date(stamp.date())} à {stamp:%H:%M} UTC"


def grade_counts(sqal_grades: dict[str, int]) -> list[tuple[str, int]]:
    """Every standard grade in quality order (zeros included, so reports compare at a glance), then others."""
    known = [(grade, sqal_grades.get(grade, 0)) for grade in SQAL_GRADES]
    others = sorted((grade, count) for grade, count in sqal_grades.items() if grade not in SQAL_GRADES)
    return known + others


def top_grades_share(sqal_grades: dict[str, int]) -> float | None:
    """Share (%) of samples graded A+ or A, or None without samples."""
    total = sum(sqal_grades.values())
    if total == 0:
        return None
    return 100.0 * (sqal_grades.get("A+", 0) + sqal_grades.get("A", 0)) / total


# ----------------------------------------------------------------------------------------------- KPI band


@dataclass(frozen=True)
class KpiTile:
    label: str
    value: str
    note: str = ""
    drawing: Flowable | None = None  # e.g. the SQAL grade mix bar, under the value


def kpi_band(tiles: Sequence[KpiTile]) -> Table:
    """The figures a reader looks for first, side by side in equal tiles."""
    width = FRAME_WIDTH / len(tiles)
    cells: list[list[Any]] = []
    for tile in tiles:
        cell: list[Any] = [Paragraph(tile.label.upper(), TILE_LABEL), Paragraph(tile.value, TILE_VALUE)]
        if tile.drawing is not None:
            cell.append(tile.drawing)
        if tile.note:
            cell.append(Paragraph(tile.note, TILE_NOTE))
        cells.append(cell)
    band = Table([cells], colWidths=[width] * len(tiles), hAlign="LEFT")
    band.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), TILE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBEFORE", (1, 0), (-1, -1), 2.5, colors.white),
                ("LINEABOVE", (0, 0), (-1, 0), 1.6, NAVY),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 7),
                ("LEFTPADDING", (0, 0), (-1, -1), 7),
                ("RIGHTPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    return band


def header_table(rows: list[list[Any]], widths: list[float], *, numeric_from: int = 1) -> Table:
    """A data table with a navy header row, thin rules and right-aligned numeric columns."""
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    style: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("BACKGROUND", (0, 0), (-1, 0), NAVY),
        ("FONT", (0, 1), (-1, -1), "Helvetica", 8),
        ("TEXTCOLOR", (0, 1), (-1, -1), INK),
        ("ALIGN", (numeric_from, 0), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LINEBELOW", (0, -1), (-1, -1), 0.8, INK),
    ]
    style += [("BACKGROUND", (0, i), (-1, i), ZEBRA) for i in range(2, len(rows), 2)]
    table.setStyle(TableStyle(style))
    return table


# ------------------------------------------------------------------------------------------------ document


def _stamp_page(canvas: Canvas, footer: str, page: int, pages: int) -> None:
    canvas.saveState()
    canvas.setFillColor(NAVY)
    canvas.rect(0, PAGE_HEIGHT - 5 * mm, PAGE_WIDTH, 5 * mm, fill=1, stroke=0)
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.5)
    canvas.line(MARGIN, 12 * mm, PAGE_WIDTH - MARGIN, 12 * mm)
    canvas.setFont("Helvetica", 7.5)
    canvas.setFillColor(MUTED)
    canvas.drawString(MARGIN, 8 * mm, footer)
    canvas.drawRightString(PAGE_WIDTH - MARGIN, 8 * mm, f"Page {page} / {pages}")
    canvas.restoreState()


def _page_frame_canvas(footer: str) -> type[Canvas]:
    """A canvas that holds every finished page until the end, when the page count is known, then stamps the
    frame and "Page n / N" on each: a single layout pass instead of building the document twice."""

    class FramedCanvas(Canvas):  # type: ignore[misc]  # reportlab ships no type hints
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._held_pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._held_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            pages = len(self._held_pages)
            for number, state in enumerate(self._held_pages, start=1):
                self.__dict__.update(state)
                _stamp_page(self, footer, number, pages)
                Canvas.showPage(self)
            Canvas.save(self)

    return FramedCanvas


def build_pdf(
    story: list[Any],
    *,
    title: str,
    subject: str,
    footer: str,
    on_progress: ProgressCallback | None = None,
    progress_span: tuple[int, int] = (10, 95),
) -> bytes:
    """Lay out `story` on A4 pages and return the PDF bytes; reports layout progress within `progress_span`."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=14 * mm,
        bottomMargin=18 * mm,
        title=title,
        subject=subject,
        author="Plateforme gaveurs",
        creator="gaveurs-tasks",
        lang="fr-FR",
        # Per document rather than rl_config.invariant: workers render in a thread pool, so no global switch.
        invariant=1,
    )
    if on_progress is not None:
        low, high = progress_span
        total = max(len(story), 1)
        last = [-1]

        def layout_progress(kind: str, value: int) -> None:
            if kind != "PROGRESS":
                return
            # The count can step back when a flowable is split over two pages: report forward moves only.
            percent = low + (high - low) * min(value, total) // total
            if percent > last[0]:
                last[0] = percent
                on_progress(percent, "mise en page")

        doc.setProgressCallBack(layout_progress)
    doc.build(story, canvasmaker=_page_frame_canvas(footer))
    return buffer.getvalue()


def farm_kpi_band(
    *,
    placed: int,
    dead: int,
    liver_g: float | None,
    itm: float | None,
    sqal_grades: dict[str, int],
    placed_note: str,
    liver_missing_note: str = "pas encore pesé",
) -> Table:
    """The five figures every report opens with: ducks placed, mortality, liver weight, ITM, SQAL grade mix."""
    from gaveurs.reports.charts import grade_mix_bar  # charts imports the contracts; keep layout light

    mortality = 100.0 * dead / placed if placed > 0 else None
    if liver_g is None:
        liver_note = liver_missing_note
    else:
        gap = liver_g - LIVER_TARGET_G
        sign = "+" if round(gap) > 0 else ""
        liver_note = f"cible {fr_number(LIVER_TARGET_G)}{NBSP}g · écart {sign}{fr_number(gap)}{NBSP}g"
    samples = sum(sqal_grades.values())
    tile_width = FRAME_WIDTH / 5 - 14
    return kpi_band(
        [
            KpiTile("Canards placés", fr_number(placed), placed_note),
            KpiTile(
                "Mortalité",
                fr_percent(mortality),
                f"{fr_number(dead)} canard{'s' if dead > 1 else ''} mort{'s' if dead > 1 else ''}",
            ),
            KpiTile("Poids de foie", fr_quantity(liver_g, 0, "g"), liver_note),
            KpiTile("ITM", fr_quantity(itm, 2), "kg de maïs par kg de foie"),
            KpiTile(
                "Grades SQAL A+ et A",
                fr_percent(top_grades_share(sqal_grades), 0),
                f"sur {fr_number(samples)} échantillons" if samples else "aucun échantillon",
                grade_mix_bar(grade_counts(sqal_grades), tile_width, 6),
            ),
        ]
    )

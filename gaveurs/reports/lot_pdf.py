"""The lot report: a pure function from `LotReportData` to PDF bytes, byte-identical for identical inputs.

Only reportlab's built-in Helvetica is used, so the output does not depend on the fonts a worker host has; its
WinAnsi encoding covers French text (é, è, à, ç, °, –, —, ·) but not arrows or maths symbols, hence none below.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import HRFlowable

from gaveurs.contracts.exports import FeedingRow, LotReportData, ReportType
from gaveurs.reports.charts import GRADE_COLOURS, OTHER_GRADE_COLOUR, feeding_curve_chart, sqal_grade_chart

LIVER_WINDOW_G = (400.0, 700.0)
LIVER_TARGET_G = 550.0
SQAL_GRADES = ("A+", "A", "B", "C", "REJECT")
MEAL_ORDER = {"matin": 0, "soir": 1}

DASH = "—"
NBSP = "\u00a0"
STATUS_LABELS = {"en_gavage": "En gavage", "termine": "Terminé", "abattu": "Abattu"}
MEAL_LABELS = {"matin": "Matin", "soir": "Soir"}
REPORT_LABELS: dict[ReportType, str] = {"summary": "Rapport de synthèse", "complete": "Rapport complet"}

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
# SimpleDocTemplate's frame pads 6 pt on each side; content sized to the bare margins would overhang.
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN - 12

NAVY = colors.HexColor("#1F3A5F")
INK = colors.HexColor("#1F2933")
MUTED = colors.HexColor("#5F6B7A")
RULE = colors.HexColor("#D9DEE4")
ZEBRA = colors.HexColor("#F3F5F8")
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


def fr_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _utc(moment: datetime) -> datetime:
    # Naive timestamps come from the workflow clock, which is UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# ------------------------------------------------------------------------------------------------ sections


def _header(data: LotReportData, report_type: ReportType, generated_at: datetime) -> list[Any]:
    stamp = _utc(generated_at)
    return [
        Paragraph(f"Rapport de lot {escape(data.code_lot)}", TITLE),
        Spacer(1, 4),
        Paragraph(
            f"Site <b>{escape(data.site_code)}</b> – {escape(data.site_nom)}"
            f"{NBSP}{NBSP}·{NBSP}{NBSP}Gaveur{NBSP}: <b>{escape(data.gaveur)}</b>",
            SUBTITLE,
        ),
        Paragraph(
            f"{REPORT_LABELS[report_type]} · généré le {fr_date(stamp.date())} à {stamp:%H:%M} UTC", META
        ),
        HRFlowable(width="100%", thickness=0.8, color=NAVY, spaceBefore=6, spaceAfter=2),
    ]


def _liver_text(data: LotReportData) -> str:
    low, high = LIVER_WINDOW_G
    window = f"{fr_number(low)}–{fr_number(high)}{NBSP}g"
    target = f"{fr_number(LIVER_TARGET_G)}{NBSP}g"
    if data.poids_foie_moyen_g is None:
        return f"{DASH}{NBSP}{NBSP}(pas encore pesé · fenêtre objectif {window}, cible {target})"
    weight = data.poids_foie_moyen_g
    inside = low <= weight <= high
    verdict = (
        f'<font color="{GOOD}">dans la fenêtre objectif {window}</font>'
        if inside
        else f'<font color="{BAD}">hors de la fenêtre objectif {window}</font>'
    )
    gap = weight - LIVER_TARGET_G
    sign = "+" if round(gap) > 0 else ""
    return f"<b>{fr_quantity(weight, 0, 'g')}</b>{NBSP}{NBSP}{verdict} · écart à la cible ({target}){NBSP}: {sign}{fr_number(gap)}{NBSP}g"


def _key_figures(data: LotReportData) -> list[Any]:
    if data.nb_canards_places > 0:
        rate = 100.0 * data.nb_canards_morts / data.nb_canards_places
        mortality = f"{fr_number(data.nb_canards_morts)} ({fr_number(rate, 1)}{NBSP}%)"
    else:
        mortality = DASH
    end = data.debut_gavage + timedelta(days=max(data.duree_gavage - 1, 0))
    if data.feedback_count == 0:
        feedback = "Aucun avis"
    elif data.feedback_rating_moyen is None:
        feedback = f"{data.feedback_count} avis"
    else:
        feedback = f"{data.feedback_count} avis · note moyenne {fr_number(data.feedback_rating_moyen, 1)}{NBSP}/{NBSP}5"
    itm = DASH if data.itm is None else f"{fr_number(data.itm, 2)} kg maïs / kg foie"
    sqal = DASH if data.sqal_score_moyen is None else f"{fr_number(data.sqal_score_moyen, 2)} sur 1"

    # Labels are Paragraphs too: mixing bare strings and Paragraphs puts their baselines at different heights.
    pairs = [
        ("Génétique", escape(data.genetique), "Statut", escape(STATUS_LABELS.get(data.statut, data.statut))),
        (
            "Début de gavage",
            fr_date(data.debut_gavage),
            "Durée",
            f"{data.duree_gavage} jours (fin le {fr_date(end)})",
        ),
        ("Canards placés", fr_number(data.nb_canards_places), "Canards morts", mortality),
        ("Poids initial moyen", fr_quantity(data.poids_moyen_initial_g, 0, "g"), "ITM", itm),
        ("Score SQAL moyen", sqal, "Avis consommateurs", feedback),
    ]
    rows: list[list[Any]] = [
        [Paragraph(a, LABEL), Paragraph(b, BODY), Paragraph(c, LABEL), Paragraph(d, BODY)]
        for a, b, c, d in pairs
    ]
    rows.append([Paragraph("Poids de foie moyen", LABEL), Paragraph(_liver_text(data), BODY), "", ""])
    # Left-hand values are short (dates, counts); the right-hand column gets the room for the longer ones.
    widths = [36 * mm, 40 * mm, 38 * mm, FRAME_WIDTH - 114 * mm]
    table = Table(rows, colWidths=widths, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("SPAN", (1, -1), (3, -1)),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
                ("LINEABOVE", (0, 0), (-1, 0), 0.4, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return [Paragraph("Chiffres clés", HEADING), table]


def _curve_note(feeding: list[FeedingRow]) -> str:
    per_day: dict[int, float] = {}
    for row in feeding:
        per_day[row.jour_gavage] = per_day.get(row.jour_gavage, 0.0) + row.dose_moyenne_g
    first, last = min(per_day), max(per_day)
    total_kg = sum(per_day.values()) / 1000.0
    return (
        f"{len(per_day)} jours de gavage enregistrés · dose journalière de {fr_number(per_day[first])}{NBSP}g "
        f"(jour {first}) à {fr_number(per_day[last])}{NBSP}g (jour {last}) · maïs distribué par canard{NBSP}: "
        f"{fr_number(total_kg, 1)}{NBSP}kg"
    )


def _feeding_curve(data: LotReportData) -> list[Any]:
    heading = Paragraph("Courbe de gavage", HEADING)
    if not data.feeding:
        return [heading, Paragraph("Aucune donnée de gavage enregistrée pour ce lot.", BODY)]
    chart = feeding_curve_chart(data.feeding, FRAME_WIDTH, 78 * mm)
    return [KeepTogether([heading, chart, Spacer(1, 4), Paragraph(_curve_note(data.feeding), NOTE)])]


def grade_counts(sqal_grades: dict[str, int]) -> list[tuple[str, int]]:
    """Every standard grade in quality order (zeros included, so lots compare at a glance), then any others."""
    known = [(grade, sqal_grades.get(grade, 0)) for grade in SQAL_GRADES]
    others = sorted((grade, count) for grade, count in sqal_grades.items() if grade not in SQAL_GRADES)
    return known + others


def _sqal(data: LotReportData, report_type: ReportType) -> list[Any]:
    heading = Paragraph("Qualité SQAL", HEADING)
    counts = grade_counts(data.sqal_grades)
    total = sum(count for _, count in counts)
    if total == 0:
        return [heading, Paragraph("Aucun échantillon SQAL pour ce lot.", BODY)]

    rows: list[list[str]] = [["Grade", "Échantillons", "Part"]]
    rows += [
        [grade, fr_number(count), f"{fr_number(100.0 * count / total, 1)}{NBSP}%"] for grade, count in counts
    ]
    rows.append(["Total", fr_number(total), f"{fr_number(100.0)}{NBSP}%"])
    table = Table(rows, colWidths=[24 * mm, 30 * mm, 24 * mm], hAlign="LEFT")
    style: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8.5),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("BACKGROUND", (0, 0), (-1, 0), NAVY),
        ("FONT", (0, 1), (-1, -1), "Helvetica", 9),
        ("FONT", (0, 1), (0, -1), "Helvetica-Bold", 9),
        ("FONT", (0, -1), (-1, -1), "Helvetica-Bold", 9),
        ("TEXTCOLOR", (1, 1), (-1, -1), INK),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ("LINEBELOW", (0, 1), (-1, -2), 0.4, RULE),
        ("LINEABOVE", (0, -1), (-1, -1), 0.8, INK),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    style += [
        ("TEXTCOLOR", (0, row), (0, row), GRADE_COLOURS.get(grade, OTHER_GRADE_COLOUR))
        for row, (grade, _) in enumerate(counts, start=1)
    ]
    table.setStyle(TableStyle(style))
    score = DASH if data.sqal_score_moyen is None else fr_number(data.sqal_score_moyen, 2)
    note = Paragraph(f"{fr_number(total)} échantillons · score de fusion moyen{NBSP}: {score}", NOTE)
    if report_type == "summary":
        return [KeepTogether([heading, table, Spacer(1, 4), note])]

    chart_w = FRAME_WIDTH - 84 * mm
    side_by_side = Table(
        [[[table, Spacer(1, 4), note], sqal_grade_chart(counts, chart_w, 52 * mm)]],
        colWidths=[84 * mm, chart_w],
        hAlign="LEFT",
    )
    side_by_side.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (0, 0), 0),
                ("RIGHTPADDING", (-1, 0), (-1, 0), 0),
            ]
        )
    )
    return [KeepTogether([heading, side_by_side])]


def _meal_table(data: LotReportData) -> list[Any]:
    # Keep the heading with at least the header and a few rows instead of stranding it at a page foot.
    heading = [CondPageBreak(45 * mm), Paragraph("Détail des repas", HEADING)]
    if not data.feeding:
        return [*heading, Paragraph("Aucun repas enregistré.", BODY)]
    meals = sorted(data.feeding, key=lambda row: (row.jour_gavage, MEAL_ORDER.get(row.repas, 9), row.repas))
    rows: list[list[str]] = [
        ["Jour", "Repas", "Dose moyenne (g)", "Poids moyen (g)", "Température (°C)", "Humidité (%)"]
    ]
    rows += [
        [
            str(row.jour_gavage),
            MEAL_LABELS.get(row.repas, row.repas),
            fr_number(row.dose_moyenne_g),
            fr_number(row.poids_moyen_g),
            fr_number(row.temperature_stabule_c, 1),
            fr_number(row.humidite_stabule_pct, 1),
        ]
        for row in meals
    ]
    widths = [18 * mm, 22 * mm] + [(FRAME_WIDTH - 40 * mm) / 4] * 4
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    style: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8.5),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("BACKGROUND", (0, 0), (-1, 0), NAVY),
        ("FONT", (0, 1), (-1, -1), "Helvetica", 8.5),
        ("TEXTCOLOR", (0, 1), (-1, -1), INK),
        ("ALIGN", (0, 0), (0, -1), "CENTER"),
        ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
        ("RIGHTPADDING", (2, 0), (-1, -1), 10),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LINEBELOW", (0, -1), (-1, -1), 0.8, INK),
    ]
    # Shade whole feeding days, not single rows, so a day's two meals read as one block.
    style += [
        ("BACKGROUND", (0, i), (-1, i), ZEBRA)
        for i, row in enumerate(meals, start=1)
        if row.jour_gavage % 2 == 0
    ]
    table.setStyle(TableStyle(style))
    return [*heading, table]


# ------------------------------------------------------------------------------------------------ document


def _page_decoration(footer: str) -> Callable[[Any, Any], None]:
    def decorate(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFillColor(NAVY)
        canvas.rect(0, PAGE_HEIGHT - 5 * mm, PAGE_WIDTH, 5 * mm, fill=1, stroke=0)
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, 12 * mm, PAGE_WIDTH - MARGIN, 12 * mm)
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN, 8 * mm, footer)
        canvas.drawRightString(PAGE_WIDTH - MARGIN, 8 * mm, f"Page {doc.page}")
        canvas.restoreState()

    return decorate


def render_lot_pdf(data: LotReportData, report_type: ReportType, *, generated_at: datetime) -> bytes:
    """Render the lot report; `complete` adds the SQAL bar chart and the per-meal table to the `summary`.

    The same inputs give the same bytes: reportlab runs in invariant mode (fixed document date and id), and the
    only clock the document shows is `generated_at`, which the caller passes in.
    """
    if report_type not in REPORT_LABELS:
        raise ValueError(f"unknown report type {report_type!r}")
    stamp = _utc(generated_at)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=14 * mm,
        bottomMargin=18 * mm,
        title=f"Rapport de lot {data.code_lot}",
        subject=REPORT_LABELS[report_type],
        author="Plateforme gaveurs",
        creator="gaveurs-tasks",
        lang="fr-FR",
        # Per document rather than rl_config.invariant: workers render in a thread pool, so no global switch.
        invariant=1,
    )
    story: list[Any] = [
        *_header(data, report_type, stamp),
        *_key_figures(data),
        *_feeding_curve(data),
        *_sqal(data, report_type),
    ]
    if report_type == "complete":
        story += _meal_table(data)
    footer = f"Lot {data.code_lot} · {REPORT_LABELS[report_type]} · généré le {fr_date(stamp.date())} à {stamp:%H:%M} UTC"
    decorate = _page_decoration(footer)
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()

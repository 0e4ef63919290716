"""The lot report: a pure function from `LotReportData` to PDF bytes, byte-identical for identical inputs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, KeepTogether, Paragraph, Spacer, Table, TableStyle
from reportlab.platypus.flowables import HRFlowable

from gaveurs.contracts.exports import FeedingRow, LotReportData, ReportType
from gaveurs.reports.charts import GRADE_COLOURS, OTHER_GRADE_COLOUR, feeding_curve_chart, sqal_grade_chart
from gaveurs.reports.layout import (
    BAD,
    BODY,
    DASH,
    FRAME_WIDTH,
    GOOD,
    HEADING,
    INK,
    LABEL,
    LIVER_TARGET_G,
    LIVER_WINDOW_G,
    META,
    NAVY,
    NBSP,
    NOTE,
    RULE,
    STATUS_LABELS,
    SUBTITLE,
    TITLE,
    ZEBRA,
    ByteSink,
    ProgressCallback,
    as_utc,
    build_pdf,
    farm_kpi_band,
    fr_date,
    fr_number,
    fr_quantity,
    generated_line,
    grade_counts,
)

MEAL_ORDER = {"matin": 0, "soir": 1}
MEAL_LABELS = {"matin": "Matin", "soir": "Soir"}
REPORT_LABELS: dict[ReportType, str] = {"summary": "Rapport de synthèse", "complete": "Rapport complet"}

__all__ = ["fr_number", "grade_counts", "render_lot_pdf", "write_lot_pdf"]


# ------------------------------------------------------------------------------------------------ sections


def _header(data: LotReportData, report_type: ReportType, generated_at: datetime) -> list[Any]:
    return [
        Paragraph(f"Rapport de lot {escape(data.code_lot)}", TITLE),
        Spacer(1, 4),
        Paragraph(
            f"Site <b>{escape(data.site_code)}</b> – {escape(data.site_nom)}"
            f"{NBSP}{NBSP}·{NBSP}{NBSP}Gaveur{NBSP}: <b>{escape(data.gaveur)}</b>",
            SUBTITLE,
        ),
        Paragraph(f"{REPORT_LABELS[report_type]} · {generated_line(generated_at)}", META),
        HRFlowable(width="100%", thickness=0.8, color=NAVY, spaceBefore=6, spaceAfter=8),
    ]


def _kpis(data: LotReportData) -> list[Any]:
    return [
        farm_kpi_band(
            placed=data.nb_canards_places,
            dead=data.nb_canards_morts,
            liver_g=data.poids_foie_moyen_g,
            itm=data.itm,
            sqal_grades=data.sqal_grades,
            placed_note=f"{escape(data.genetique)} · {data.duree_gavage} jours de gavage",
        )
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


def _lot_sheet(data: LotReportData) -> list[Any]:
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
                ("TOPPADDING", (0, 0), (-1, -1), 3.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
            ]
        )
    )
    return [Paragraph("Fiche du lot", HEADING), table]


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
    chart = feeding_curve_chart(data.feeding, FRAME_WIDTH, 72 * mm)
    return [KeepTogether([heading, chart, Spacer(1, 4), Paragraph(_curve_note(data.feeding), NOTE)])]


def sqal_section(sqal_grades: dict[str, int], score: float | None, empty_text: str) -> list[Any]:
    """Grade table and bar chart side by side (shared with the site reports)."""
    heading = Paragraph("Qualité SQAL", HEADING)
    counts = grade_counts(sqal_grades)
    total = sum(count for _, count in counts)
    if total == 0:
        return [heading, Paragraph(empty_text, BODY)]

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
    mean = DASH if score is None else fr_number(score, 2)
    note = Paragraph(f"{fr_number(total)} échantillons · score de fusion moyen{NBSP}: {mean}", NOTE)
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


def render_lot_pdf(
    data: LotReportData,
    report_type: ReportType,
    *,
    generated_at: datetime,
    on_progress: ProgressCallback | None = None,
) -> bytes:
    """Render the lot report; `complete` adds the per-meal table to the `summary`.

    The same inputs give the same bytes; the only clock the document shows is `generated_at`, which the caller
    passes in (the workflow's time), so a retry rewrites an identical file.
    """
    if report_type not in REPORT_LABELS:
        raise ValueError(f"unknown report type {report_type!r}")
    stamp = as_utc(generated_at)
    if on_progress is not None:
        on_progress(5, "préparation du rapport")
    story: list[Any] = [
        *_header(data, report_type, stamp),
        *_kpis(data),
        *_lot_sheet(data),
        *_feeding_curve(data),
        *sqal_section(data.sqal_grades, data.sqal_score_moyen, "Aucun échantillon SQAL pour ce lot."),
    ]
    if report_type == "complete":
        story += _meal_table(data)
    footer = f"Lot {data.code_lot} · {REPORT_LABELS[report_type]} · {generated_line(stamp)}"
    pdf = build_pdf(
        story,
        title=f"Rapport de lot {data.code_lot}",
        subject=REPORT_LABELS[report_type],
        footer=footer,
        on_progress=on_progress,
    )
    if on_progress is not None:
        on_progress(100, "rapport prêt")
    return pdf


def write_lot_pdf(
    data: LotReportData,
    report_type: ReportType,
    out: ByteSink,
    *,
    generated_at: datetime,
    on_progress: ProgressCallback | None = None,
) -> int:
    """Render into `out` (e.g. an artifact writer); returns the bytes written."""
    return out.write(render_lot_pdf(data, report_type, generated_at=generated_at, on_progress=on_progress))

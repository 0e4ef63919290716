"""Site reports: one site over a period (`generate_site_pdf_report`) and one site's week (the weekly reports).

Pure functions of `SiteReportData` / `WeeklyReportData`: the same inputs and `generated_at` give the same bytes.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, KeepTogether, Paragraph, Spacer
from reportlab.platypus.flowables import HRFlowable

from gaveurs.contracts.report_data import SiteReportData, WeekFacts, WeeklyReportData
from gaveurs.reports.charts import feeding_curve_chart, liver_weight_chart
from gaveurs.reports.layout import (
    BAD,
    BODY,
    DASH,
    FRAME_WIDTH,
    GOOD,
    HEADING,
    LIVER_TARGET_G,
    LIVER_WINDOW_G,
    META,
    NAVY,
    NBSP,
    NOTE,
    SUBTITLE,
    TITLE,
    ByteSink,
    ProgressCallback,
    as_utc,
    build_pdf,
    farm_kpi_band,
    fr_date,
    fr_number,
    fr_percent,
    fr_quantity,
    generated_line,
    header_table,
)
from gaveurs.reports.lot_pdf import sqal_section

SHORT_STATUS = {"en_gavage": "en gavage", "termine": "terminé", "abattu": "abattu"}


def _period(data: SiteReportData) -> str:
    return f"du {fr_date(data.date_debut)} au {fr_date(data.date_fin)}"


def _title_block(title: str, data: SiteReportData, meta: str) -> list[Any]:
    return [
        Paragraph(escape(title), TITLE),
        Spacer(1, 4),
        Paragraph(
            f"Site <b>{escape(data.site_code)}</b> – {escape(data.site_nom)} ({escape(data.region)})"
            f"{NBSP}{NBSP}·{NBSP}{NBSP}{_period(data)}",
            SUBTITLE,
        ),
        Paragraph(meta, META),
        HRFlowable(width="100%", thickness=0.8, color=NAVY, spaceBefore=6, spaceAfter=8),
    ]


def _kpis(data: SiteReportData) -> list[Any]:
    k = data.kpis
    rating = (
        f" · note moyenne {fr_number(k.feedback_rating_moyen, 1)}{NBSP}/{NBSP}5"
        if k.feedback_rating_moyen is not None
        else ""
    )
    band = farm_kpi_band(
        placed=k.nb_canards_places,
        dead=k.nb_canards_morts,
        liver_g=k.poids_foie_moyen_g,
        itm=k.itm,
        sqal_grades=k.sqal_grades,
        placed_note=f"{k.lots} lot{'s' if k.lots > 1 else ''}",
        liver_missing_note="aucun lot pesé",
    )
    note = Paragraph(
        f"{k.lots} lots en gavage sur la période, dont {k.weighed_lots} pesés{NBSP}: poids de foie et ITM "
        f"portent sur ces derniers, pondérés par les canards vivants · {k.feedback_count} avis consommateurs"
        f"{rating}.",
        NOTE,
    )
    return [band, Spacer(1, 4), note]


def _curve(data: SiteReportData) -> list[Any]:
    heading = Paragraph("Courbe de gavage moyenne", HEADING)
    if not data.feeding_curve:
        return [heading, Paragraph("Aucune donnée de gavage sur la période.", BODY)]
    chart = feeding_curve_chart(data.feeding_curve, FRAME_WIDTH, 56 * mm)
    note = Paragraph(
        "Dose moyenne par jour de gavage et par repas, sur les lots de la période (chaque lot compte une fois).",
        NOTE,
    )
    return [KeepTogether([heading, chart, Spacer(1, 3), note])]


def _month_ticks(first: date, last: date) -> list[tuple[float, str]]:
    """Axis labels on the first of each month (or every few days over a short period)."""
    span = (last - first).days
    if span <= 45:
        step = max(1, span // 6 or 1)
        return [
            (float((first + timedelta(days=d)).toordinal()), (first + timedelta(days=d)).strftime("%d/%m"))
            for d in range(0, span + 1, step)
        ]
    ticks = []
    month = date(first.year, first.month, 1)
    while month <= last:
        if month >= first:
            ticks.append((float(month.toordinal()), month.strftime("%m/%Y")))
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    every = max(1, len(ticks) // 8)
    return ticks[::every]


def _liver(data: SiteReportData) -> list[Any]:
    weighed = [line for line in data.lots if line.poids_foie_moyen_g is not None]
    if not weighed:
        return []
    points = [(float(line.debut_gavage.toordinal()), line.poids_foie_moyen_g or 0.0) for line in weighed]
    low, high = LIVER_WINDOW_G
    inside = sum(1 for _, weight in points if low <= weight <= high)
    chart = liver_weight_chart(
        points,
        LIVER_WINDOW_G,
        LIVER_TARGET_G,
        FRAME_WIDTH,
        50 * mm,
        x_labels=_month_ticks(
            min(line.debut_gavage for line in weighed), max(line.debut_gavage for line in weighed)
        ),
    )
    share = 100.0 * inside / len(points)
    colour = GOOD if share >= 90 else BAD
    note = Paragraph(
        f"Chaque point est un lot pesé. Bande verte{NBSP}: fenêtre objectif {fr_number(low)}–{fr_number(high)}{NBSP}g, "
        f"pointillés{NBSP}: cible {fr_number(LIVER_TARGET_G)}{NBSP}g · "
        f'<font color="{colour}">{inside} lots sur {len(points)} dans la fenêtre ({fr_percent(share, 0)})</font>.',
        NOTE,
    )
    return [KeepTogether([Paragraph("Poids de foie par lot", HEADING), chart, Spacer(1, 3), note])]


def _gaveurs(data: SiteReportData) -> list[Any]:
    if not data.gaveurs:
        return []
    rows: list[list[str]] = [["Gaveur", "Lots", "Canards placés", "Mortalité", "Poids de foie", "ITM"]]
    rows += [
        [
            line.gaveur,
            str(line.lots),
            fr_number(line.nb_canards_places),
            fr_percent(line.mortalite_pct),
            fr_quantity(line.poids_foie_moyen_g, 0, "g"),
            fr_quantity(line.itm, 2),
        ]
        for line in data.gaveurs
    ]
    widths = [50 * mm] + [(FRAME_WIDTH - 50 * mm) / 5] * 5
    return [
        CondPageBreak(40 * mm),
        Paragraph("Résultats par gaveur", HEADING),
        header_table(rows, widths),
    ]


def _lots(data: SiteReportData) -> list[Any]:
    if not data.lots:
        return []
    rows: list[list[str]] = [
        ["Lot", "Gaveur", "Début", "Jours", "Statut", "Placés", "Mortalité", "Foie", "ITM", "SQAL"]
    ]
    for line in data.lots:
        mortality = 100.0 * line.nb_canards_morts / line.nb_canards_places if line.nb_canards_places else None
        rows.append(
            [
                line.code_lot,
                line.gaveur,
                line.debut_gavage.strftime("%d/%m/%y"),
                str(line.duree_gavage),
                SHORT_STATUS.get(line.statut, line.statut),
                fr_number(line.nb_canards_places),
                fr_percent(mortality),
                fr_quantity(line.poids_foie_moyen_g, 0, "g"),
                fr_quantity(line.itm, 2),
                fr_quantity(line.sqal_score_moyen, 2),
            ]
        )
    widths = [22 * mm, 33 * mm, 16 * mm, 10 * mm, 16 * mm, 15 * mm, 16 * mm, 15 * mm, 14 * mm]
    widths.append(FRAME_WIDTH - sum(widths))
    return [
        CondPageBreak(40 * mm),
        Paragraph("Lots de la période", HEADING),
        header_table(rows, widths, numeric_from=5),
        Spacer(1, 3),
        Paragraph(f"SQAL{NBSP}: score de fusion moyen des échantillons du lot (0 à 1).", NOTE),
    ]


def _body(data: SiteReportData, empty_text: str) -> list[Any]:
    story = [*_kpis(data), *_curve(data), *_liver(data)]
    story += sqal_section(data.kpis.sqal_grades, data.kpis.sqal_score_moyen, empty_text)
    story += [*_gaveurs(data), *_lots(data)]
    return story


def render_site_pdf(
    data: SiteReportData, *, generated_at: datetime, on_progress: ProgressCallback | None = None
) -> bytes:
    """The site report over `data`'s period: KPIs, feeding curve, liver weights, SQAL, gaveurs, lots."""
    stamp = as_utc(generated_at)
    if on_progress is not None:
        on_progress(5, "préparation du rapport")
    title = f"Rapport de site {data.site_code}"
    story = [
        *_title_block(title, data, f"Rapport de site · {generated_line(stamp)}"),
        *_body(data, "Aucun échantillon SQAL pour les lots de la période."),
    ]
    pdf = build_pdf(
        story,
        title=f"{title} {_period(data)}",
        subject="Rapport de site",
        footer=f"Site {data.site_code} · {_period(data)} · {generated_line(stamp)}",
        on_progress=on_progress,
    )
    if on_progress is not None:
        on_progress(100, "rapport prêt")
    return pdf


def _delta(now: float | None, before: float | None, decimals: int = 0) -> str:
    if now is None or before is None:
        return DASH
    gap = round(now - before, decimals)
    if gap == 0:
        return "="
    return f"{'+' if gap > 0 else ''}{fr_number(gap, decimals)}"


def _week_table(this: WeekFacts, before: WeekFacts) -> list[Any]:
    counts = [
        ("Lots mis en place", this.lots_mis_en_place, before.lots_mis_en_place),
        ("Lots en fin de gavage", this.lots_fin_de_gavage, before.lots_fin_de_gavage),
        ("Lots abattus", this.lots_abattus, before.lots_abattus),
        ("Échantillons SQAL mesurés", this.echantillons_sqal, before.echantillons_sqal),
        ("Avis consommateurs reçus", this.avis, before.avis),
    ]
    rows: list[list[str]] = [["", "Cette semaine", "Semaine précédente", "Écart"]]
    rows += [[label, fr_number(now), fr_number(prev), _delta(now, prev)] for label, now, prev in counts]
    rows.append(
        [
            "Note moyenne des avis (sur 5)",
            fr_quantity(this.note_moyenne, 2),
            fr_quantity(before.note_moyenne, 2),
            _delta(this.note_moyenne, before.note_moyenne, 2),
        ]
    )
    widths = [70 * mm] + [(FRAME_WIDTH - 70 * mm) / 3] * 3
    return [Paragraph("La semaine en bref", HEADING), header_table(rows, widths)]


def render_weekly_site_pdf(
    data: WeeklyReportData, *, generated_at: datetime, on_progress: ProgressCallback | None = None
) -> bytes:
    """One site's week: what happened compared with the week before, then the site report of the week."""
    stamp = as_utc(generated_at)
    site = data.site
    if on_progress is not None:
        on_progress(5, "préparation du rapport")
    title = f"Rapport hebdomadaire · semaine {data.iso_week}"
    story: list[Any] = [
        *_title_block(title, site, f"Semaine {data.iso_week} de {data.iso_year} · {generated_line(stamp)}"),
        *_week_table(data.this_week, data.previous_week),
    ]
    if site.lots:
        story += [
            Paragraph("Lots en gavage pendant la semaine", HEADING),
            *_body(site, "Aucun échantillon SQAL."),
        ]
    else:
        story.append(Spacer(1, 8))
        story.append(Paragraph("Aucun lot n'était en gavage sur le site pendant cette semaine.", BODY))
    pdf = build_pdf(
        story,
        title=f"Rapport hebdomadaire {site.site_code} semaine {data.iso_week} de {data.iso_year}",
        subject="Rapport hebdomadaire de site",
        footer=f"Site {site.site_code} · semaine {data.iso_week} ({_period(site)}) · {generated_line(stamp)}",
        on_progress=on_progress,
    )
    if on_progress is not None:
        on_progress(100, "rapport prêt")
    return pdf


def write_site_pdf(
    data: SiteReportData,
    out: ByteSink,
    *,
    generated_at: datetime,
    on_progress: ProgressCallback | None = None,
) -> int:
    return out.write(render_site_pdf(data, generated_at=generated_at, on_progress=on_progress))


def write_weekly_site_pdf(
    data: WeeklyReportData,
    out: ByteSink,
    *,
    generated_at: datetime,
    on_progress: ProgressCallback | None = None,
) -> int:
    return out.write(render_weekly_site_pdf(data, generated_at=generated_at, on_progress=on_progress))

"""Loading the site and weekly reports' figures: aggregates computed in SQL, identical on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gaveurs.contracts.exports import FeedingRow
from gaveurs.contracts.report_data import (
    GaveurLine,
    SiteKpis,
    SiteLotLine,
    SiteReportData,
    WeekFacts,
    WeeklyReportData,
)
from gaveurs.db.models import ConsumerFeedback, GavageData, Gaveur, Lot, SensorSample, Site
from gaveurs.errors import EmptySelection, InvalidDateRange, SiteNotFound

# Lots start at most this long before a period and still overlap it (feeding lasts 10–14 days; margin kept).
LONGEST_FEEDING = timedelta(days=60)


def day_start(day: date) -> datetime:
    """Midnight UTC: timestamps are stored in UTC, so a day's rows are [day_start(d), day_start(d + 1))."""
    return datetime.combine(day, time(), tzinfo=UTC)


def check_period(date_debut: date, date_fin: date) -> None:
    if date_debut > date_fin:
        raise InvalidDateRange.error(
            f"date_debut ({date_debut.isoformat()}) is after date_fin ({date_fin.isoformat()})",
            date_debut=date_debut.isoformat(),
            date_fin=date_fin.isoformat(),
        )


def _site(session: Session, site_code: str) -> Site:
    site = session.get(Site, site_code)
    if site is None:
        known = ", ".join(session.scalars(select(Site.code).order_by(Site.code)))
        raise SiteNotFound.error(f"site {site_code!r} not found (known sites: {known})", site_code=site_code)
    return site


def _overlapping_lots(session: Session, site_code: str, date_debut: date, date_fin: date) -> list[Any]:
    rows = session.execute(
        select(Lot, Gaveur.prenom, Gaveur.nom)
        .join(Gaveur, Gaveur.id == Lot.gaveur_id)
        .where(
            Lot.site_code == site_code,
            Lot.debut_gavage <= date_fin,
            Lot.debut_gavage >= date_debut - LONGEST_FEEDING,
        )
        .order_by(Lot.debut_gavage, Lot.id)
    ).all()
    # Date arithmetic differs between the two backends; the exact overlap test is cheap here.
    return [
        row for row in rows if row[0].debut_gavage + timedelta(days=row[0].duree_gavage - 1) >= date_debut
    ]


def _per_lot(
    session: Session, lot_ids: Sequence[int]
) -> tuple[dict[int, float], dict[int, tuple[int, float]]]:
    dose_kg = {
        lot_id: float(kg)
        for lot_id, kg in session.execute(
            select(GavageData.lot_id, func.sum(GavageData.dose_moyenne_g) / 1000.0)
            .where(GavageData.lot_id.in_(lot_ids))
            .group_by(GavageData.lot_id)
        )
    }
    sqal = {
        lot_id: (int(count), float(score))
        for lot_id, count, score in session.execute(
            select(SensorSample.lot_id, func.count(), func.avg(SensorSample.fusion_final_score))
            .where(SensorSample.lot_id.in_(lot_ids))
            .group_by(SensorSample.lot_id)
        )
    }
    return dose_kg, sqal


def _weighted(pairs: Sequence[tuple[float, float]]) -> float | None:
    """Σ value·weight / Σ weight, or None without weight."""
    total = sum(weight for _, weight in pairs)
    return None if total <= 0 else sum(value * weight for value, weight in pairs) / total


def _itm(lines: Sequence[SiteLotLine], dose_kg: dict[int, float]) -> float | None:
    """Corn eaten over liver produced, for the surviving ducks of the weighed lots."""
    corn = liver = 0.0
    for line in lines:
        if line.poids_foie_moyen_g is None or line.lot_id not in dose_kg:
            continue
        alive = line.nb_canards_places - line.nb_canards_morts
        corn += dose_kg[line.lot_id] * alive
        liver += line.poids_foie_moyen_g / 1000.0 * alive
    return None if liver <= 0 else round(corn / liver, 2)


def _gaveur_lines(lines: Sequence[SiteLotLine], dose_kg: dict[int, float]) -> list[GaveurLine]:
    by_gaveur: dict[str, list[SiteLotLine]] = defaultdict(list)
    for line in lines:
        by_gaveur[line.gaveur].append(line)
    result = []
    for gaveur, own in sorted(by_gaveur.items()):
        placed = sum(line.nb_canards_places for line in own)
        dead = sum(line.nb_canards_morts for line in own)
        weighed = [
            (line.poids_foie_moyen_g, float(line.nb_canards_places - line.nb_canards_morts))
            for line in own
            if line.poids_foie_moyen_g is not None
        ]
        result.append(
            GaveurLine(
                gaveur=gaveur,
                lots=len(own),
                nb_canards_places=placed,
                mortalite_pct=None if placed == 0 else round(100.0 * dead / placed, 2),
                poids_foie_moyen_g=_round(_weighted(weighed), 1),
                itm=_itm(own, dose_kg),
            )
        )
    return result


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _feeding_curve(session: Session, lot_ids: Sequence[int]) -> list[FeedingRow]:
    rows = session.execute(
        select(
            GavageData.jour_gavage,
            GavageData.repas,
            func.avg(GavageData.dose_moyenne_g),
            func.avg(GavageData.poids_moyen_g),
            func.avg(GavageData.temperature_stabule_c),
            func.avg(GavageData.humidite_stabule_pct),
        )
        .where(GavageData.lot_id.in_(lot_ids))
        .group_by(GavageData.jour_gavage, GavageData.repas)
        .order_by(GavageData.jour_gavage, GavageData.repas)
    )
    return [
        FeedingRow(
            jour_gavage=int(day),
            repas=str(meal),
            dose_moyenne_g=round(float(dose), 1),
            poids_moyen_g=round(float(weight), 0),
            temperature_stabule_c=round(float(temperature), 2),
            humidite_stabule_pct=round(float(humidity), 2),
        )
        for day, meal, dose, weight, temperature, humidity in rows
    ]


def site_report_data(
    session: Session, site_code: str, date_debut: date, date_fin: date, *, allow_empty: bool = False
) -> SiteReportData:
    """The site's lots whose feeding overlaps [date_debut, date_fin] and their figures.

    Raises SiteNotFound, InvalidDateRange, and EmptySelection when no lot overlaps the period (unless
    `allow_empty`: the weekly report still says "nothing happened" rather than failing).
    """
    check_period(date_debut, date_fin)
    site = _site(session, site_code)
    found = _overlapping_lots(session, site_code, date_debut, date_fin)
    if not found and not allow_empty:
        raise EmptySelection.error(
            f"site {site_code}: no lot was being fed between {date_debut.isoformat()} and {date_fin.isoformat()}",
            site_code=site_code,
        )
    lot_ids = [lot.id for lot, _, _ in found]
    dose_kg, sqal = _per_lot(session, lot_ids) if lot_ids else ({}, {})
    lines = []
    for lot, prenom, nom in found:
        liver = lot.poids_foie_moyen_g
        samples, score = sqal.get(lot.id, (0, None))
        lines.append(
            SiteLotLine(
                lot_id=lot.id,
                code_lot=lot.code_lot,
                gaveur=f"{prenom} {nom}",
                genetique=lot.genetique,
                debut_gavage=lot.debut_gavage,
                duree_gavage=lot.duree_gavage,
                statut=lot.statut,
                nb_canards_places=lot.nb_canards_places,
                nb_canards_morts=lot.nb_canards_morts,
                poids_foie_moyen_g=liver,
                itm=None
                if liver is None or lot.id not in dose_kg
                else round(dose_kg[lot.id] / (liver / 1000), 2),
                sqal_samples=samples,
                sqal_score_moyen=_round(score, 4),
            )
        )
    grades: dict[str, int] = {}
    feedback_count, rating = 0, None
    if lot_ids:
        grades = {
            str(grade): int(count)
            for grade, count in session.execute(
                select(SensorSample.fusion_final_grade, func.count())
                .where(SensorSample.lot_id.in_(lot_ids))
                .group_by(SensorSample.fusion_final_grade)
            )
        }
        feedback_count, rating = session.execute(
            select(func.count(), func.avg(ConsumerFeedback.rating)).where(
                ConsumerFeedback.lot_id.in_(lot_ids)
            )
        ).one()
    sample_total = sum(samples for samples, _ in sqal.values())
    weighed = [
        (line.poids_foie_moyen_g, float(line.nb_canards_places - line.nb_canards_morts))
        for line in lines
        if line.poids_foie_moyen_g is not None
    ]
    kpis = SiteKpis(
        lots=len(lines),
        weighed_lots=len(weighed),
        nb_canards_places=sum(line.nb_canards_places for line in lines),
        nb_canards_morts=sum(line.nb_canards_morts for line in lines),
        poids_foie_moyen_g=_round(_weighted(weighed), 1),
        itm=_itm(lines, dose_kg),
        sqal_grades=grades,
        sqal_score_moyen=_round(_weighted([(score, float(n)) for n, score in sqal.values()]), 4)
        if sample_total
        else None,
        feedback_count=int(feedback_count),
        feedback_rating_moyen=None if rating is None else round(float(rating), 2),
    )
    return SiteReportData(
        site_code=site.code,
        site_nom=site.nom,
        region=site.region,
        date_debut=date_debut,
        date_fin=date_fin,
        kpis=kpis,
        lots=lines,
        gaveurs=_gaveur_lines(lines, dose_kg),
        feeding_curve=_feeding_curve(session, lot_ids) if lot_ids else [],
    )


def last_week(today: date) -> date:
    """Monday of the last complete week before `today` (the schedule runs on Mondays at 06:00)."""
    this_monday = today - timedelta(days=today.weekday())
    return this_monday - timedelta(days=7)


def _week_facts(session: Session, site_code: str, monday: date) -> WeekFacts:
    sunday = monday + timedelta(days=6)
    start, end = day_start(monday), day_start(monday + timedelta(days=7))
    in_site = Lot.site_code == site_code
    started = session.scalar(
        select(func.count()).select_from(Lot).where(in_site, Lot.debut_gavage.between(monday, sunday))
    )
    slaughtered = session.scalar(
        select(func.count()).select_from(Lot).where(in_site, Lot.date_abattage.between(monday, sunday))
    )
    candidates = session.execute(
        select(Lot.debut_gavage, Lot.duree_gavage).where(
            in_site, Lot.debut_gavage.between(monday - LONGEST_FEEDING, sunday)
        )
    )
    finished = sum(
        1 for start_day, days in candidates if monday <= start_day + timedelta(days=days - 1) <= sunday
    )
    samples = session.scalar(
        select(func.count())
        .select_from(SensorSample)
        .join(Lot, Lot.id == SensorSample.lot_id)
        .where(in_site, SensorSample.horodatage >= start, SensorSample.horodatage < end)
    )
    feedbacks, rating = session.execute(
        select(func.count(), func.avg(ConsumerFeedback.rating))
        .join(Lot, Lot.id == ConsumerFeedback.lot_id)
        .where(in_site, ConsumerFeedback.created_at >= start, ConsumerFeedback.created_at < end)
    ).one()
    return WeekFacts(
        lots_mis_en_place=int(started or 0),
        lots_fin_de_gavage=finished,
        lots_abattus=int(slaughtered or 0),
        echantillons_sqal=int(samples or 0),
        avis=int(feedbacks),
        note_moyenne=None if rating is None else round(float(rating), 2),
    )


def weekly_report_data(session: Session, site_code: str, monday: date) -> WeeklyReportData:
    """One site's week (Monday to Sunday) and the week before, for the weekly report."""
    if monday.weekday() != 0:
        raise InvalidDateRange.error(f"a report week starts on a Monday, not on {monday.isoformat()}")
    site = site_report_data(session, site_code, monday, monday + timedelta(days=6), allow_empty=True)
    year, week, _ = monday.isocalendar()
    return WeeklyReportData(
        site=site,
        iso_year=year,
        iso_week=week,
        this_week=_week_facts(session, site_code, monday),
        previous_week=_week_facts(session, site_code, monday - timedelta(days=7)),
    )

"""One day of each site in figures, for the daily summary e-mail: six GROUP BY queries, any backend.

"The day" is a calendar day in Europe/Paris (the sites' time): timestamps are compared with its bounds in
UTC, dates (start, slaughter) directly.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from gaveurs.contracts.notifications import SiteDailyFigures
from gaveurs.db.models import ConsumerFeedback, GavageData, Lot, SensorSample, Site

SITE_TIME = ZoneInfo("Europe/Paris")


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of the Paris calendar day, in UTC (23 or 25 hours long on clock-change days)."""
    start = datetime.combine(day, time(0), SITE_TIME).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), SITE_TIME).astimezone(UTC)
    return start, end


def _by_site(rows: Iterable[Any]) -> dict[str, tuple[Any, ...]]:
    return {str(row[0]): tuple(row[1:]) for row in rows}


def _float(value: Any, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


def daily_site_figures(session: Session, day: date) -> list[SiteDailyFigures]:
    """Every site's figures for `day` (zeros and None where nothing happened), in site-code order."""
    start, end = day_bounds(day)
    meals = _by_site(
        session.execute(
            select(
                Lot.site_code,
                func.count(func.distinct(GavageData.lot_id)),
                # Both meals of one lot add up to its daily dose per duck; averaged over the lots fed.
                func.sum(GavageData.dose_moyenne_g) / func.count(func.distinct(GavageData.lot_id)),
                func.avg(GavageData.temperature_stabule_c),
                func.count(
                    func.distinct(
                        case(
                            (
                                (GavageData.jour_gavage == Lot.duree_gavage) & (GavageData.repas == "soir"),
                                GavageData.lot_id,
                            )
                        )
                    )
                ),
            )
            .join(Lot, Lot.id == GavageData.lot_id)
            .where(GavageData.horodatage >= start, GavageData.horodatage < end)
            .group_by(Lot.site_code)
        )
    )
    started = _by_site(
        session.execute(
            select(Lot.site_code, func.count()).where(Lot.debut_gavage == day).group_by(Lot.site_code)
        )
    )
    slaughtered = _by_site(
        session.execute(
            select(
                Lot.site_code,
                func.count(),
                func.sum(Lot.nb_canards_places - Lot.nb_canards_morts),
                func.avg(Lot.poids_foie_moyen_g),
            )
            .where(Lot.date_abattage == day)
            .group_by(Lot.site_code)
        )
    )
    sqal = _by_site(
        session.execute(
            select(
                Lot.site_code,
                func.count(),
                func.avg(SensorSample.fusion_final_score),
                100.0 * func.avg(case((SensorSample.fusion_final_grade == "REJECT", 1.0), else_=0.0)),
            )
            .join(Lot, Lot.id == SensorSample.lot_id)
            .where(SensorSample.horodatage >= start, SensorSample.horodatage < end)
            .group_by(Lot.site_code)
        )
    )
    feedback = _by_site(
        session.execute(
            select(Lot.site_code, func.count(), func.avg(ConsumerFeedback.rating))
            .join(Lot, Lot.id == ConsumerFeedback.lot_id)
            .where(ConsumerFeedback.created_at >= start, ConsumerFeedback.created_at < end)
            .group_by(Lot.site_code)
        )
    )
    figures = []
    for code, nom in session.execute(select(Site.code, Site.nom).order_by(Site.code)):
        fed, dose, temperature, finished = meals.get(code, (0, None, None, 0))
        killed, ducks, liver = slaughtered.get(code, (0, 0, None))
        samples, score, rejects = sqal.get(code, (0, None, None))
        opinions, rating = feedback.get(code, (0, None))
        figures.append(
            SiteDailyFigures(
                site_code=code,
                site_nom=nom,
                day=day,
                lots_nourris=int(fed),
                lots_demarres=int(started.get(code, (0,))[0]),
                lots_termines=int(finished),
                dose_journaliere_moyenne_g=_float(dose, 1),
                temperature_moyenne_c=_float(temperature, 1),
                lots_abattus=int(killed),
                canards_abattus=int(ducks or 0),
                poids_foie_moyen_g=_float(liver, 1),
                sqal_echantillons=int(samples),
                sqal_score_moyen=_float(score, 3),
                sqal_reject_pct=_float(rejects, 1),
                avis_consommateurs=int(opinions),
                note_moyenne=_float(rating, 2),
            )
        )
    return figures

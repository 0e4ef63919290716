"""Loads what the feeding-curve optimiser learns from: daily doses, context and quality outcomes per lot.

Everything is aggregated in SQL (per lot and day, per lot for SQAL and ratings), identical on SQLite and
PostgreSQL; the fit itself (feeding_curve.py) never touches the database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Float, Select, case, cast, func, select
from sqlalchemy.orm import Session

from gaveurs.contracts.ml import FeedingCurveDataset, LotCurve
from gaveurs.db.models import ConsumerFeedback, GavageData, Lot, SensorSample
from gaveurs.errors import LotNotFound

FINISHED = ("termine", "abattu")
PREMIUM_GRADES = ("A+", "A")
# A lot with a sanitary incident says nothing about how its curve shaped quality (same rule as the
# symbolic regression's training set).
INCIDENT_MORTALITY_PCT = 8.0


def _daily_doses(session: Session, lot_filter: Select[Any]) -> dict[int, list[tuple[int, float, float]]]:
    """(day, matin, soir) per lot, for the lots `lot_filter` selects (a select of lot ids)."""
    matin = func.sum(case((GavageData.repas == "matin", GavageData.dose_moyenne_g), else_=0.0))
    soir = func.sum(case((GavageData.repas == "soir", GavageData.dose_moyenne_g), else_=0.0))
    meals = func.count()
    query = (
        select(GavageData.lot_id, GavageData.jour_gavage, matin, soir, meals)
        .where(GavageData.lot_id.in_(lot_filter))
        .group_by(GavageData.lot_id, GavageData.jour_gavage)
        .order_by(GavageData.lot_id, GavageData.jour_gavage)
    )
    days: dict[int, list[tuple[int, float, float]]] = defaultdict(list)
    for lot_id, day, morning, evening, count in session.execute(query):
        # A day is part of the curve once both meals are recorded; today's lone morning meal is not yet.
        if int(count) == 2:
            days[int(lot_id)].append((int(day), float(morning), float(evening)))
    return days


def _curve(
    lot: Any, temperature: float | None, days: Iterable[tuple[int, float, float]], **outcomes: Any
) -> LotCurve:
    ordered = sorted(days)
    # Keep the leading run of consecutive days: a gap would shift every later dose by a day.
    contiguous = [d for i, d in enumerate(ordered) if d[0] == i + 1]
    return LotCurve(
        lot_id=int(lot.id),
        code_lot=str(lot.code_lot),
        statut=str(lot.statut),
        duree_gavage=int(lot.duree_gavage),
        matin_g=[m for _, m, _ in contiguous],
        soir_g=[s for _, _, s in contiguous],
        poids_initial_kg=float(lot.poids_moyen_initial_g) / 1000.0,
        temperature_moyenne_c=None if temperature is None else float(temperature),
        barbarie=lot.genetique == "barbarie",
        **outcomes,
    )


def load_feeding_curve_dataset(session: Session, lot_id: int) -> FeedingCurveDataset:
    """The lot's curve so far, and every finished lot with SQAL samples and ratings (incidents left out).

    Raises LotNotFound for an unknown lot. Too few training lots is for the fit to judge (InsufficientData).
    """
    lot = session.get(Lot, lot_id)
    if lot is None:
        raise LotNotFound.error(f"lot {lot_id} not found", lot_id=lot_id)

    sqal = (
        select(
            SensorSample.lot_id,
            func.avg(SensorSample.fusion_final_score).label("score"),
            func.avg(case((SensorSample.fusion_final_grade.in_(PREMIUM_GRADES), 1.0), else_=0.0)).label(
                "premium"
            ),
        )
        .group_by(SensorSample.lot_id)
        .subquery()
    )
    ratings = (
        select(ConsumerFeedback.lot_id, func.avg(ConsumerFeedback.rating).label("note"))
        .group_by(ConsumerFeedback.lot_id)
        .subquery()
    )
    temperatures = (
        select(GavageData.lot_id, func.avg(GavageData.temperature_stabule_c).label("temperature"))
        .group_by(GavageData.lot_id)
        .subquery()
    )
    mortality_pct = 100.0 * cast(Lot.nb_canards_morts, Float) / Lot.nb_canards_places
    with_outcomes = (
        select(Lot.id)
        .join(sqal, sqal.c.lot_id == Lot.id)
        .join(ratings, ratings.c.lot_id == Lot.id)
        .where(Lot.statut.in_(FINISHED))
    )
    total = session.scalar(select(func.count()).select_from(with_outcomes.subquery())) or 0
    usable_ids = with_outcomes.where(mortality_pct <= INCIDENT_MORTALITY_PCT)
    rows = session.execute(
        select(Lot, temperatures.c.temperature, sqal.c.score, sqal.c.premium, ratings.c.note)
        .join(temperatures, temperatures.c.lot_id == Lot.id)
        .join(sqal, sqal.c.lot_id == Lot.id)
        .join(ratings, ratings.c.lot_id == Lot.id)
        .where(Lot.id.in_(usable_ids))
        .order_by(Lot.id)
    ).all()
    days = _daily_doses(session, usable_ids)
    training = [
        _curve(
            lot_row,
            temperature,
            days[lot_row.id],
            sqal_score_moyen=float(score),
            sqal_premium_share=float(premium),
            note_moyenne=float(note),
        )
        for lot_row, temperature, score, premium, note in rows
    ]

    temperature = session.scalar(
        select(func.avg(GavageData.temperature_stabule_c)).where(GavageData.lot_id == lot_id)
    )
    own_days = _daily_doses(session, select(Lot.id).where(Lot.id == lot_id)).get(lot_id, [])
    reference = _curve(lot, None if temperature is None else float(temperature), own_days)
    return FeedingCurveDataset(
        lot=reference,
        # Complete curves only: a finished lot missing a day's rows cannot be described faithfully.
        training=[c for c in training if len(c.matin_g) == c.duree_gavage],
        excluded_incident_lots=int(total) - len(rows),
    )

"""The SQL the tasks run: per-lot aggregates computed in the database, identical on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Float, Select, case, cast, func, select
from sqlalchemy.orm import Session

from gaveurs.contracts.exports import FeedingRow, LotReportData
from gaveurs.contracts.ml import LotKpis
from gaveurs.db.models import (
    ConsumerFeedback,
    GavageData,
    Gaveur,
    Lot,
    PlantedTruthsRecord,
    SensorSample,
    Site,
)

FINISHED = ("termine", "abattu")
FEATURE_NAMES = (
    "dose_totale_kg",
    "poids_initial_kg",
    "temperature_moyenne_c",
    "humidite_moyenne_pct",
    "duree_gavage",
)


@dataclass(frozen=True)
class LotFeatureRow:
    lot_id: int
    code_lot: str
    site_code: str
    genetique: str
    dose_totale_kg: float
    poids_initial_kg: float
    temperature_moyenne_c: float
    humidite_moyenne_pct: float
    duree_gavage: int
    mortalite_pct: float
    poids_foie_moyen_g: float


def get_lot(session: Session, lot_id: int) -> Lot | None:
    return session.get(Lot, lot_id)


def lot_exists(session: Session, lot_id: int) -> bool:
    return get_lot(session, lot_id) is not None


def site_codes(session: Session) -> list[str]:
    return list(session.scalars(select(Site.code).order_by(Site.code)))


def _mortality_pct() -> ColumnElement[Any]:
    return 100.0 * cast(Lot.nb_canards_morts, Float) / Lot.nb_canards_places


def _feeding_aggregates() -> Select[tuple[int, float, float, float]]:
    return select(
        GavageData.lot_id,
        (func.sum(GavageData.dose_moyenne_g) / 1000.0).label("dose_totale_kg"),
        func.avg(GavageData.temperature_stabule_c).label("temperature_moyenne_c"),
        func.avg(GavageData.humidite_stabule_pct).label("humidite_moyenne_pct"),
    ).group_by(GavageData.lot_id)


def _feature_select() -> Select[Any]:
    feeding = _feeding_aggregates().subquery()
    return (
        select(
            Lot.id,
            Lot.code_lot,
            Lot.site_code,
            Lot.genetique,
            feeding.c.dose_totale_kg,
            (Lot.poids_moyen_initial_g / 1000.0).label("poids_initial_kg"),
            feeding.c.temperature_moyenne_c,
            feeding.c.humidite_moyenne_pct,
            Lot.duree_gavage,
            _mortality_pct(),
            Lot.poids_foie_moyen_g,
        )
        .join(feeding, feeding.c.lot_id == Lot.id)
        .where(Lot.statut.in_(FINISHED), Lot.poids_foie_moyen_g.is_not(None))
        .order_by(Lot.id)
    )


def _feature_row(row: Sequence[Any]) -> LotFeatureRow:
    # float() because PostgreSQL may hand back Decimal for arithmetic on numeric literals.
    return LotFeatureRow(
        lot_id=int(row[0]),
        code_lot=str(row[1]),
        site_code=str(row[2]),
        genetique=str(row[3]),
        dose_totale_kg=float(row[4]),
        poids_initial_kg=float(row[5]),
        temperature_moyenne_c=float(row[6]),
        humidite_moyenne_pct=float(row[7]),
        duree_gavage=int(row[8]),
        mortalite_pct=float(row[9]),
        poids_foie_moyen_g=float(row[10]),
    )


def lot_feature_rows(
    session: Session, *, genetique: str | None = None, site_codes: list[str] | None = None
) -> list[LotFeatureRow]:
    """Features of finished lots (liver weight known), one GROUP BY over the feeding rows."""
    query = _feature_select()
    if genetique is not None:
        query = query.where(Lot.genetique == genetique)
    if site_codes:
        query = query.where(Lot.site_code.in_(site_codes))
    return [_feature_row(row) for row in session.execute(query)]


def lot_features_for(session: Session, lot_id: int) -> LotFeatureRow | None:
    """The lot's features, or None while it is still being fed (no liver weight yet)."""
    row = session.execute(_feature_select().where(Lot.id == lot_id)).first()
    return _feature_row(row) if row else None


def lot_kpis(session: Session, site_code: str | None) -> list[LotKpis]:
    """ITM, mortality, liver weight and SQAL figures of finished lots; SQAL aggregated in SQL."""
    feeding = _feeding_aggregates().subquery()
    sqal = (
        select(
            SensorSample.lot_id,
            func.avg(SensorSample.fusion_final_score).label("score"),
            (100.0 * func.avg(case((SensorSample.fusion_final_grade == "REJECT", 1.0), else_=0.0))).label(
                "reject"
            ),
        )
        .group_by(SensorSample.lot_id)
        .subquery()
    )
    query = (
        select(
            Lot.id,
            Lot.code_lot,
            Lot.site_code,
            Lot.gaveur_id,
            feeding.c.dose_totale_kg / (Lot.poids_foie_moyen_g / 1000.0),
            _mortality_pct(),
            Lot.poids_foie_moyen_g,
            sqal.c.score,
            sqal.c.reject,
        )
        .join(feeding, feeding.c.lot_id == Lot.id)
        .outerjoin(sqal, sqal.c.lot_id == Lot.id)
        .where(Lot.statut.in_(FINISHED), Lot.poids_foie_moyen_g.is_not(None))
        .order_by(Lot.id)
    )
    if site_code is not None:
        query = query.where(Lot.site_code == site_code)
    return [
        LotKpis(
            lot_id=row[0],
            code_lot=row[1],
            site_code=row[2],
            gaveur_id=row[3],
            itm=float(row[4]),
            mortalite_pct=float(row[5]),
            poids_foie_moyen_g=float(row[6]),
            sqal_score_moyen=None if row[7] is None else float(row[7]),
            sqal_reject_pct=None if row[8] is None else float(row[8]),
        )
        for row in session.execute(query)
    ]


def planted_truths(session: Session) -> dict[str, Any] | None:
    """What the generator planted in this database (PlantedTruths.as_json()), None for real data."""
    return session.scalars(select(PlantedTruthsRecord.truths).order_by(PlantedTruthsRecord.id.desc())).first()


def lot_report_data(session: Session, lot_id: int) -> LotReportData | None:
    found = session.execute(
        select(Lot, Site.nom, Gaveur.prenom, Gaveur.nom)
        .join(Site, Site.code == Lot.site_code)
        .join(Gaveur, Gaveur.id == Lot.gaveur_id)
        .where(Lot.id == lot_id)
    ).first()
    if found is None:
        return None
    lot, site_nom, prenom, nom = found
    feeding = session.scalars(
        select(GavageData)
        .where(GavageData.lot_id == lot_id)
        .order_by(GavageData.jour_gavage, case((GavageData.repas == "matin", 0), else_=1))
    ).all()
    grades = dict(
        session.execute(
            select(SensorSample.fusion_final_grade, func.count())
            .where(SensorSample.lot_id == lot_id)
            .group_by(SensorSample.fusion_final_grade)
        ).all()
    )
    score = session.scalar(
        select(func.avg(SensorSample.fusion_final_score)).where(SensorSample.lot_id == lot_id)
    )
    feedback_count, rating = session.execute(
        select(func.count(), func.avg(ConsumerFeedback.rating)).where(ConsumerFeedback.lot_id == lot_id)
    ).one()
    dose_kg = sum(row.dose_moyenne_g for row in feeding) / 1000
    liver = lot.poids_foie_moyen_g
    return LotReportData(
        lot_id=lot.id,
        code_lot=lot.code_lot,
        site_code=lot.site_code,
        site_nom=site_nom,
        gaveur=f"{prenom} {nom}",
        genetique=lot.genetique,
        statut=lot.statut,
        debut_gavage=lot.debut_gavage,
        duree_gavage=lot.duree_gavage,
        nb_canards_places=lot.nb_canards_places,
        nb_canards_morts=lot.nb_canards_morts,
        poids_moyen_initial_g=lot.poids_moyen_initial_g,
        poids_foie_moyen_g=liver,
        itm=round(dose_kg / (liver / 1000), 2) if liver is not None else None,
        feeding=[
            FeedingRow(
                jour_gavage=row.jour_gavage,
                repas=row.repas,
                dose_moyenne_g=row.dose_moyenne_g,
                poids_moyen_g=row.poids_moyen_g,
                temperature_stabule_c=row.temperature_stabule_c,
                humidite_stabule_pct=row.humidite_stabule_pct,
            )
            for row in feeding
        ],
        sqal_grades={str(grade): int(count) for grade, count in grades.items()},
        sqal_score_moyen=None if score is None else round(float(score), 4),
        feedback_count=int(feedback_count),
        feedback_rating_moyen=None if rating is None else round(float(rating), 2),
    )


__all__ = [
    "FEATURE_NAMES", "LotFeatureRow", "get_lot", "lot_exists", "lot_feature_rows", "lot_features_for",
    "lot_kpis", "lot_report_data", "planted_truths", "site_codes",
]  # fmt: skip

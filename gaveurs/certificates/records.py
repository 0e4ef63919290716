"""A lot's records as a certificate sees them: plain JSON values, the same on SQLite and PostgreSQL.

Each record is `{"label": …, "data": {…}}`. The SQAL summary carries a fingerprint of every sample, so changing
one sample among thousands still changes the certified record.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaveurs.contracts.certificates import CertificateType
from gaveurs.db.models import GavageData, Lot, SensorSample
from gaveurs.errors import LotNotCertifiable, LotNotFound
from gaveurs.exports.csv_stream import utc_text
from gaveurs.reports.layout import SQAL_GRADES

Record = dict[str, Any]
GAVAGE_FIELDS = ("dose_moyenne_g", "poids_moyen_g", "temperature_stabule_c", "humidite_stabule_pct")
RECORDS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "traceability": ("placement", "gavage", "sqal", "slaughter"),
    "quality": ("placement", "sqal", "slaughter"),
    "origin": ("placement", "slaughter"),
}


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _time(value: datetime) -> str:
    return utc_text(value)


def _placement(lot: Lot) -> Record:
    return {
        "label": "placement",
        "data": {
            "lot_id": lot.id,
            "code_lot": lot.code_lot,
            "site_code": lot.site_code,
            "gaveur_id": lot.gaveur_id,
            "genetique": lot.genetique,
            "debut_gavage": _day(lot.debut_gavage),
            "duree_gavage": lot.duree_gavage,
            "nb_canards_places": lot.nb_canards_places,
            "poids_moyen_initial_g": lot.poids_moyen_initial_g,
        },
    }


def _gavage_days(session: Session, lot_id: int) -> list[Record]:
    days: dict[int, dict[str, Any]] = {}
    for row in session.scalars(
        select(GavageData)
        .where(GavageData.lot_id == lot_id)
        .order_by(GavageData.jour_gavage, GavageData.repas)
    ):
        meal = {name: getattr(row, name) for name in GAVAGE_FIELDS}
        meal["horodatage"] = _time(row.horodatage)
        days.setdefault(row.jour_gavage, {})[row.repas] = meal
    return [{"label": f"gavage day {day}", "data": meals} for day, meals in sorted(days.items())]


def _sqal(session: Session, lot_id: int) -> Record:
    fingerprint = hashlib.sha256()
    grades = dict.fromkeys(SQAL_GRADES, 0)
    count, score_sum = 0, 0.0
    first: str | None = None
    last: str | None = None
    rows = session.execute(
        select(
            SensorSample.id,
            SensorSample.horodatage,
            SensorSample.device_id,
            SensorSample.tof_volume_mm3,
            SensorSample.spectral_ratio,
            SensorSample.fusion_final_score,
            SensorSample.fusion_final_grade,
        )
        .where(SensorSample.lot_id == lot_id)
        .order_by(SensorSample.id)
    )
    for sample_id, stamp, device, volume, spectral, score, grade in rows:
        when = _time(stamp)
        fingerprint.update(
            f"{sample_id}|{when}|{device}|{volume!r}|{spectral!r}|{score!r}|{grade}\n".encode()
        )
        grades[grade] = grades.get(grade, 0) + 1
        count += 1
        score_sum += score
        first = when if first is None or when < first else first
        last = when if last is None or when > last else last
    return {
        "label": "sqal summary",
        "data": {
            "echantillons": count,
            "grades": grades,
            "score_moyen": None if count == 0 else round(score_sum / count, 4),
            "premier_echantillon": first,
            "dernier_echantillon": last,
            "empreinte_echantillons": fingerprint.hexdigest(),
        },
    }


def _slaughter(lot: Lot) -> Record:
    return {
        "label": "slaughter",
        "data": {
            "statut": lot.statut,
            "date_abattage": _day(lot.date_abattage),
            "nb_canards_morts": lot.nb_canards_morts,
            "poids_foie_moyen_g": lot.poids_foie_moyen_g,
        },
    }


def load_lot(session: Session, lot_id: int, *, require_slaughtered: bool) -> Lot:
    lot = session.get(Lot, lot_id)
    if lot is None:
        raise LotNotFound.error(f"lot {lot_id} not found", lot_id=lot_id)
    if require_slaughtered and lot.statut != "abattu":
        raise LotNotCertifiable.error(
            f"lot {lot.code_lot} (id {lot_id}) is '{lot.statut}': certificates are issued for slaughtered lots "
            "only, once their records no longer change",
            lot_id=lot_id,
        )
    return lot


def lot_records(session: Session, lot: Lot, certificate_type: CertificateType | str) -> list[Record]:
    """The records a certificate of this type covers, in chain order."""
    records: list[Record] = []
    for kind in RECORDS_BY_TYPE[certificate_type]:
        if kind == "placement":
            records.append(_placement(lot))
        elif kind == "gavage":
            records += _gavage_days(session, lot.id)
        elif kind == "sqal":
            records.append(_sqal(session, lot.id))
        else:
            records.append(_slaughter(lot))
    return records

"""The three row exports (gavage meals, SQAL samples, consumer feedback): their queries, columns and checks.

Consumers' e-mail addresses never leave the database in a CSV. The export carries `client_pseudonyme`, an
HMAC-SHA256 of the normalised address under a key from the settings: analysts can still count repeat customers
and join two exports, but the file (downloadable by any API-token holder, kept for the retention period, easily
forwarded) holds no personal contact data. A plain SHA-256 would not do: addresses are guessable, so an unkeyed
hash is reversible by trying them. Whoever needs to write to a consumer uses the notification tasks, which read
the address from the database at send time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, Engine
from sqlalchemy.orm import Session

from gaveurs.db.models import ConsumerFeedback, GavageData, Lot, SensorSample
from gaveurs.errors import EmptySelection, InvalidDateRange, LotNotFound
from gaveurs.exports.csv_stream import CsvQuery, cell, count_rows, text_cell, utc_text
from gaveurs.reports.site_data import day_start
from gaveurs.secret_files import read_or_create_secret
from gaveurs.settings import Settings

CsvKind = Literal["gavage", "sqal", "feedbacks"]


@dataclass(frozen=True)
class CsvFilters:
    lot_id: int | None = None
    date_debut: date | None = None  # inclusive, UTC days
    date_fin: date | None = None  # inclusive

    def describe(self) -> str:
        parts = [f"lot {self.lot_id}" if self.lot_id is not None else "all lots"]
        if self.date_debut or self.date_fin:
            parts.append(
                f"from {self.date_debut.isoformat() if self.date_debut else 'the start'}"
                f" to {self.date_fin.isoformat() if self.date_fin else 'today'}"
            )
        return " ".join(parts)


def check_filters(session: Session, filters: CsvFilters) -> None:
    """Typed errors for filters that can never select anything sensible."""
    if filters.date_debut and filters.date_fin and filters.date_debut > filters.date_fin:
        raise InvalidDateRange.error(
            f"date_debut ({filters.date_debut.isoformat()}) is after date_fin ({filters.date_fin.isoformat()})"
        )
    if filters.lot_id is not None and session.get(Lot, filters.lot_id) is None:
        raise LotNotFound.error(f"lot {filters.lot_id} not found", lot_id=filters.lot_id)


def _period(column: Any, filters: CsvFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.date_debut is not None:
        conditions.append(column >= day_start(filters.date_debut))
    if filters.date_fin is not None:
        conditions.append(column < day_start(filters.date_fin + timedelta(days=1)))
    return conditions


def _lots(column: Any, lot_ids: list[int] | None) -> list[ColumnElement[bool]]:
    return [] if lot_ids is None else [column.in_(lot_ids)]


GAVAGE_HEADER = (
    "lot_id", "code_lot", "site_code", "jour_gavage", "repas", "horodatage", "dose_moyenne_g", "poids_moyen_g",
    "temperature_stabule_c", "humidite_stabule_pct",
)  # fmt: skip


def gavage_query(filters: CsvFilters, lot_ids: list[int] | None = None) -> CsvQuery:
    """Meals in (lot, day, meal) order; 'matin' sorts before 'soir', so a day reads in meal order."""
    if filters.lot_id is not None:
        lot_ids = [filters.lot_id]

    # Runs once per row: only the timestamp needs formatting here, the csv module writes the numbers.
    def row(r: Sequence[Any]) -> Sequence[Any]:
        lot_id, day, meal, code, site, stamp, dose, weight, temperature, humidity = r
        return (lot_id, code, site, day, meal, utc_text(stamp), dose, weight, temperature, humidity)

    return CsvQuery(
        source=GavageData,
        keys=(GavageData.lot_id, GavageData.jour_gavage, GavageData.repas),
        columns=(
            Lot.code_lot,
            Lot.site_code,
            GavageData.horodatage,
            GavageData.dose_moyenne_g,
            GavageData.poids_moyen_g,
            GavageData.temperature_stabule_c,
            GavageData.humidite_stabule_pct,
        ),
        header=GAVAGE_HEADER,
        format_row=row,
        joins=((Lot, Lot.id == GavageData.lot_id),),
        where=[*_lots(GavageData.lot_id, lot_ids), *_period(GavageData.horodatage, filters)],
    )


SQAL_HEADER = (
    "lot_id", "code_lot", "echantillon_id", "horodatage", "device_id", "tof_volume_mm3", "spectral_ratio",
    "fusion_final_score", "fusion_final_grade",
)  # fmt: skip


def sqal_query(filters: CsvFilters, lot_ids: list[int] | None = None) -> CsvQuery:
    """Samples in (lot, time) order, which the (lot_id, horodatage) index serves without sorting."""
    if filters.lot_id is not None:
        lot_ids = [filters.lot_id]

    # Runs half a million times on the demo farm: only the timestamp is formatted here (see CsvQuery).
    def row(r: Sequence[Any]) -> Sequence[Any]:
        lot_id, stamp, sample_id, code, device, volume, spectral, score, grade = r
        return (lot_id, code, sample_id, utc_text(stamp), device, volume, spectral, score, grade)

    return CsvQuery(
        source=SensorSample,
        keys=(SensorSample.lot_id, SensorSample.horodatage, SensorSample.id),
        columns=(
            Lot.code_lot,
            SensorSample.device_id,
            SensorSample.tof_volume_mm3,
            SensorSample.spectral_ratio,
            SensorSample.fusion_final_score,
            SensorSample.fusion_final_grade,
        ),
        header=SQAL_HEADER,
        format_row=row,
        joins=((Lot, Lot.id == SensorSample.lot_id),),
        where=[*_lots(SensorSample.lot_id, lot_ids), *_period(SensorSample.horodatage, filters)],
    )


FEEDBACK_HEADER = (
    "avis_id", "lot_id", "code_lot", "site_code", "created_at", "rating", "comment", "client_pseudonyme",
)  # fmt: skip


def pseudonymiser(key: bytes) -> Callable[[str | None], str]:
    """E-mail → 16 hex characters of HMAC-SHA256 over the trimmed, lower-cased address; '' without one."""

    def pseudonym(email: str | None) -> str:
        if not email or not email.strip():
            return ""
        return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()[:16]

    return pseudonym


def pseudonym_key(settings: Settings) -> bytes:
    if settings.export_pseudonym_key is not None:
        return settings.export_pseudonym_key.get_secret_value().encode()
    return read_or_create_secret(settings.export_pseudonym_key_file, lambda: secrets.token_bytes(32))


def feedback_query(filters: CsvFilters, pseudonym: Callable[[str | None], str]) -> CsvQuery:
    """Feedback in time order; the address column is replaced by its pseudonym (see the module docstring)."""

    def row(r: Sequence[Any]) -> Sequence[Any]:
        created, feedback_id, lot_id, code, site, rating, comment, email = r
        return [
            cell(feedback_id),
            cell(lot_id),
            cell(code),
            cell(site),
            cell(created),
            cell(rating),
            text_cell(comment),
            pseudonym(email),
        ]

    return CsvQuery(
        source=ConsumerFeedback,
        keys=(ConsumerFeedback.created_at, ConsumerFeedback.id),
        columns=(
            ConsumerFeedback.lot_id,
            Lot.code_lot,
            Lot.site_code,
            ConsumerFeedback.rating,
            ConsumerFeedback.comment,
            ConsumerFeedback.email,
        ),
        header=FEEDBACK_HEADER,
        format_row=row,
        joins=((Lot, Lot.id == ConsumerFeedback.lot_id),),
        where=[
            *_lots(ConsumerFeedback.lot_id, None if filters.lot_id is None else [filters.lot_id]),
            *_period(ConsumerFeedback.created_at, filters),
        ],
    )


WHAT = {"gavage": "gavage rows", "sqal": "SQAL samples", "feedbacks": "consumer feedbacks"}


@dataclass(frozen=True)
class PreparedCsv:
    kind: CsvKind
    query: CsvQuery
    rows: int  # counted before writing: drives progress, and an empty selection fails before any file exists


def prepare_csv(
    engine: Engine, kind: CsvKind, filters: CsvFilters, *, settings: Settings | None = None
) -> PreparedCsv:
    """Check the filters and count the rows; raises InvalidDateRange, LotNotFound or EmptySelection."""
    with Session(engine) as session:
        check_filters(session, filters)
    if kind == "gavage":
        query = gavage_query(filters)
    elif kind == "sqal":
        query = sqal_query(filters)
    else:
        if settings is None:
            raise ValueError("the feedback export needs the settings (pseudonym key)")
        query = feedback_query(filters, pseudonymiser(pseudonym_key(settings)))
    rows = count_rows(engine, query)
    if rows == 0:
        raise EmptySelection.error(f"no {WHAT[kind]} for {filters.describe()}", kind=kind)
    return PreparedCsv(kind=kind, query=query, rows=rows)

"""Tables of the farm data model (see shared DOMAIN.md); French names where the frontend knows them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Explicit constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments INTEGER PRIMARY KEY, so big ids are INTEGER there and BIGINT elsewhere.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Site(Base):
    __tablename__ = "sites"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    nom: Mapped[str] = mapped_column(String(80))
    region: Mapped[str] = mapped_column(String(80))


class Gaveur(Base):
    __tablename__ = "gaveurs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_code: Mapped[str] = mapped_column(ForeignKey("sites.code"), index=True)
    nom: Mapped[str] = mapped_column(String(80))
    prenom: Mapped[str] = mapped_column(String(80))
    telephone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(120))


class Lot(Base):
    """`lots_gavage`: one batch of ducks force-fed by one gaveur at one site."""

    __tablename__ = "lots_gavage"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_lot: Mapped[str] = mapped_column(String(12), unique=True)
    site_code: Mapped[str] = mapped_column(ForeignKey("sites.code"), index=True)
    gaveur_id: Mapped[int] = mapped_column(ForeignKey("gaveurs.id"), index=True)
    genetique: Mapped[str] = mapped_column(String(20))
    debut_gavage: Mapped[date] = mapped_column(Date, index=True)
    duree_gavage: Mapped[int] = mapped_column(SmallInteger)
    # en_gavage → termine → abattu
    statut: Mapped[str] = mapped_column(String(12), index=True)
    nb_canards_places: Mapped[int] = mapped_column(Integer)
    nb_canards_morts: Mapped[int] = mapped_column(Integer, default=0)
    poids_moyen_initial_g: Mapped[float] = mapped_column(Float)
    # Known once the lot is slaughtered or weighed at the end of feeding.
    poids_foie_moyen_g: Mapped[float | None] = mapped_column(Float)
    date_abattage: Mapped[date | None] = mapped_column(Date)


class GavageData(Base):
    """`gavage_data_lots`: one row per lot, feeding day and meal."""

    __tablename__ = "gavage_data_lots"
    __table_args__ = (UniqueConstraint("lot_id", "jour_gavage", "repas", name="uq_gavage_data_lots_meal"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots_gavage.id", ondelete="CASCADE"))
    jour_gavage: Mapped[int] = mapped_column(SmallInteger)
    repas: Mapped[str] = mapped_column(String(5))  # matin | soir
    dose_moyenne_g: Mapped[float] = mapped_column(Float)
    poids_moyen_g: Mapped[float] = mapped_column(Float)
    temperature_stabule_c: Mapped[float] = mapped_column(Float)
    humidite_stabule_pct: Mapped[float] = mapped_column(Float)
    horodatage: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SensorSample(Base):
    """`sensor_samples`: SQAL quality-line measurements (ToF + spectral, fused into a score and a grade)."""

    __tablename__ = "sensor_samples"
    __table_args__ = (Index("ix_sensor_samples_lot_time", "lot_id", "horodatage"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots_gavage.id", ondelete="CASCADE"))
    device_id: Mapped[str] = mapped_column(String(16))
    horodatage: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    tof_volume_mm3: Mapped[float] = mapped_column(Float)
    spectral_ratio: Mapped[float] = mapped_column(Float)
    fusion_final_score: Mapped[float] = mapped_column(Float)
    fusion_final_grade: Mapped[str] = mapped_column(String(6))  # A+ | A | B | C | REJECT


class ConsumerFeedback(Base):
    __tablename__ = "consumer_feedbacks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots_gavage.id", ondelete="CASCADE"), index=True)
    rating: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class Abattoir(Base):
    __tablename__ = "abattoirs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nom: Mapped[str] = mapped_column(String(80), unique=True)
    capacite_journaliere: Mapped[int] = mapped_column(Integer)  # ducks per day


class AbattoirRoute(Base):
    """Distance and cost of sending one duck from a site to a slaughterhouse."""

    __tablename__ = "abattoir_routes"
    __table_args__ = (UniqueConstraint("abattoir_id", "site_code", name="uq_abattoir_routes_pair"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    abattoir_id: Mapped[int] = mapped_column(ForeignKey("abattoirs.id", ondelete="CASCADE"))
    site_code: Mapped[str] = mapped_column(ForeignKey("sites.code"))
    distance_km: Mapped[float] = mapped_column(Float)
    cout_par_canard_eur: Mapped[float] = mapped_column(Float)


class Artifact(Base):
    """A file a task produced, kept in the artifact store and served under /exports/<path>."""

    __tablename__ = "artifacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(String(255), unique=True)  # relative to the artifact directory
    kind: Mapped[str] = mapped_column(String(40))
    content_type: Mapped[str] = mapped_column(String(80))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    task_id: Mapped[str] = mapped_column(String(200), index=True)
    lot_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)


class MlResult(Base):
    """History of every model a task trained: one row per workflow run, written idempotently."""

    __tablename__ = "ml_results"
    __table_args__ = (UniqueConstraint("workflow_id", "run_id", name="uq_ml_results_run"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_name: Mapped[str] = mapped_column(String(60), index=True)
    workflow_id: Mapped[str] = mapped_column(String(200))
    run_id: Mapped[str] = mapped_column(String(64))
    lot_id: Mapped[int | None] = mapped_column(Integer, index=True)
    site_code: Mapped[str | None] = mapped_column(String(2))
    engine: Mapped[str] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(Text)  # e.g. the formula, human readable
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class OutboundMessage(Base):
    """Ledger of SMS/e-mails handed to a provider, so a retried activity never sends twice."""

    __tablename__ = "outbound_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(String(10))  # sms | email
    recipient: Mapped[str] = mapped_column(String(200))
    body_sha256: Mapped[str] = mapped_column(String(64))
    # sending: reserved before the provider call; sent: provider accepted it
    state: Mapped[str] = mapped_column(String(10))
    provider_id: Mapped[str | None] = mapped_column(String(64))
    reserved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# --- Scheduled maintenance -------------------------------------------------------------------------------
# Aggregates are plain tables on both backends (not PostgreSQL materialized views): a REFRESH MATERIALIZED
# VIEW recomputes everything, while these are refreshed bucket by bucket, and they must outlive the raw SQAL
# samples that cleanup_old_sensor_data deletes. Buckets are UTC days and hours (a local hour repeats at the
# autumn clock change).


class _SqalStats:
    """Columns shared by the hourly and daily SQAL aggregates; the sum lets a day add up its hours exactly."""

    site_code: Mapped[str] = mapped_column(String(2), index=True)
    sample_count: Mapped[int] = mapped_column(Integer)
    score_sum: Mapped[float] = mapped_column(Float)
    score_mean: Mapped[float] = mapped_column(Float)
    score_min: Mapped[float] = mapped_column(Float)
    score_max: Mapped[float] = mapped_column(Float)
    grade_a_plus: Mapped[int] = mapped_column(Integer)
    grade_a: Mapped[int] = mapped_column(Integer)
    grade_b: Mapped[int] = mapped_column(Integer)
    grade_c: Mapped[int] = mapped_column(Integer)
    grade_reject: Mapped[int] = mapped_column(Integer)


class SqalHourlyAggregate(_SqalStats, Base):
    """SQAL samples per UTC hour, lot and device."""

    __tablename__ = "sqal_hourly_aggregates"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    hour: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots_gavage.id", ondelete="CASCADE"), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(16), primary_key=True)


class SqalDailyAggregate(_SqalStats, Base):
    """SQAL samples per UTC day, lot and device (summed from the hourly rows)."""

    __tablename__ = "sqal_daily_aggregates"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots_gavage.id", ondelete="CASCADE"), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(16), primary_key=True)


class GavageDailyAggregate(Base):
    """Feeding data per lot and UTC day (both meals)."""

    __tablename__ = "gavage_daily_aggregates"

    lot_id: Mapped[int] = mapped_column(ForeignKey("lots_gavage.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True, index=True)
    site_code: Mapped[str] = mapped_column(String(2), index=True)
    jour_gavage: Mapped[int] = mapped_column(SmallInteger)
    meals: Mapped[int] = mapped_column(SmallInteger)
    dose_total_g: Mapped[float] = mapped_column(Float)  # per duck, both meals
    dose_mean_g: Mapped[float] = mapped_column(Float)
    weight_mean_g: Mapped[float] = mapped_column(Float)
    temperature_mean_c: Mapped[float] = mapped_column(Float)
    humidity_mean_pct: Mapped[float] = mapped_column(Float)


class AggregateWatermark(Base):
    """Highest source row id already folded into the aggregates, per source table."""

    __tablename__ = "aggregate_watermarks"

    source: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_id: Mapped[int] = mapped_column(BigInteger)
    # Days before this have lost raw rows to retention: their buckets are only added to, never recomputed.
    sealed_before: Mapped[date | None] = mapped_column(Date)
    refreshed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WeeklyKpi(Base):
    """KPIs of one ISO week for one scope (`site:LL` or `gaveur:12`), upserted by calculate_weekly_kpis."""

    __tablename__ = "weekly_kpis"
    __table_args__ = (UniqueConstraint("iso_week", "scope", name="uq_weekly_kpis_week_scope"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    iso_week: Mapped[str] = mapped_column(String(8), index=True)  # 2026-W44
    scope: Mapped[str] = mapped_column(String(20))
    week_start: Mapped[date] = mapped_column(Date)
    site_code: Mapped[str] = mapped_column(String(2), index=True)
    gaveur_id: Mapped[int | None] = mapped_column(Integer, index=True)
    lots_finished: Mapped[int] = mapped_column(Integer)
    ducks_placed: Mapped[int] = mapped_column(Integer)
    ducks_dead: Mapped[int] = mapped_column(Integer)
    mortality_pct: Mapped[float | None] = mapped_column(Float)
    mean_liver_g: Mapped[float | None] = mapped_column(Float)
    itm: Mapped[float | None] = mapped_column(Float)
    sqal_samples: Mapped[int] = mapped_column(Integer)
    sqal_score_mean: Mapped[float | None] = mapped_column(Float)
    grade_a_plus: Mapped[int] = mapped_column(Integer)
    grade_a: Mapped[int] = mapped_column(Integer)
    grade_b: Mapped[int] = mapped_column(Integer)
    grade_c: Mapped[int] = mapped_column(Integer)
    grade_reject: Mapped[int] = mapped_column(Integer)
    feedback_count: Mapped[int] = mapped_column(Integer)
    mean_rating: Mapped[float | None] = mapped_column(Float)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class HealthCheckRecord(Base):
    """Results of health_check_periodic, one row per workflow run, so the API can show the last one."""

    __tablename__ = "health_check_results"
    __table_args__ = (UniqueConstraint("workflow_id", "run_id", name="uq_health_check_results_run"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workflow_id: Mapped[str] = mapped_column(String(200))
    run_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10))  # healthy | degraded
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)

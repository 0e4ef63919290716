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
    # Performance segment from the last clustering (SkillLevel code: excellence … critique), NULL before it.
    segment: Mapped[str | None] = mapped_column(String(16))
    segment_updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SiteDailyProduction(Base):
    """The site's production log: livers out of its processing line per open day (no row when closed).

    The line processes every liver its site delivers, not only those of the lots tracked in lots_gavage.
    """

    __tablename__ = "site_daily_production"
    __table_args__ = (UniqueConstraint("site_code", "jour", name="uq_site_daily_production_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_code: Mapped[str] = mapped_column(ForeignKey("sites.code"))
    jour: Mapped[date] = mapped_column(Date)
    foies_produits: Mapped[int] = mapped_column(Integer)


class SiteManager(Base):
    """People who run a site: they receive its anomaly alerts and its daily summary."""

    __tablename__ = "site_managers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_code: Mapped[str] = mapped_column(ForeignKey("sites.code"), index=True)
    # directeur_site | responsable_production | responsable_qualite
    role: Mapped[str] = mapped_column(String(30))
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


class AbattagePlan(Base):
    """A slaughter plan for a window of days, written idempotently under its plan key (a retry replaces it)."""

    __tablename__ = "abattage_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_key: Mapped[str] = mapped_column(String(200), unique=True)
    date_debut: Mapped[date] = mapped_column(Date)
    date_fin: Mapped[date] = mapped_column(Date)
    total_cost: Mapped[float] = mapped_column(Float)
    greedy_cost: Mapped[float | None] = mapped_column(Float)
    optimization_ratio: Mapped[float | None] = mapped_column(Float)
    method: Mapped[str] = mapped_column(String(10))  # milp | greedy
    solver_status: Mapped[str] = mapped_column(String(40))
    solve_seconds: Mapped[float] = mapped_column(Float)
    n_lots: Mapped[int] = mapped_column(Integer)
    n_canards: Mapped[int] = mapped_column(Integer)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class AbattagePlanItem(Base):
    """One lot of a plan: which slaughterhouse takes it, on which day, at what cost."""

    __tablename__ = "abattage_plan_items"
    __table_args__ = (UniqueConstraint("plan_id", "lot_id", name="uq_abattage_plan_items_lot"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("abattage_plans.id", ondelete="CASCADE"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots_gavage.id", ondelete="CASCADE"), index=True)
    abattoir_id: Mapped[int] = mapped_column(ForeignKey("abattoirs.id"))
    date_abattage: Mapped[date] = mapped_column(Date, index=True)
    nb_canards: Mapped[int] = mapped_column(Integer)
    distance_km: Mapped[float] = mapped_column(Float)
    jours_attente: Mapped[int] = mapped_column(SmallInteger)
    cout_transport_eur: Mapped[float] = mapped_column(Float)
    cout_attente_eur: Mapped[float] = mapped_column(Float)
    cout_eur: Mapped[float] = mapped_column(Float)


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
    # The workflow run that wrote the file: a task id (workflow id) is reused by later runs of the same work.
    run_id: Mapped[str | None] = mapped_column(String(64))
    # The seed's run-less name (`reports/lot_3472_complete_20260108.pdf`): it serves the newest run's file.
    alias_path: Mapped[str | None] = mapped_column(String(255), index=True)


class Certificate(Base):
    """A signed traceability certificate: a hash chain over a lot's records, linked to the previous certificate.

    `records` is the certified snapshot (what was hashed), kept so a later verification can say which field of
    which record changed, not only that something did. No foreign key to the lot: the certificate is evidence
    and must outlive the rows it certifies.
    """

    __tablename__ = "certificates"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # Position in the chain of all certificates, 1 for the first; unique, as is the hash each one links to,
    # so two certificates issued at once cannot both claim the same predecessor (no fork).
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    lot_id: Mapped[int] = mapped_column(Integer, index=True)
    code_lot: Mapped[str] = mapped_column(String(12))
    certificate_type: Mapped[str] = mapped_column(String(20))
    chain_head_hash: Mapped[str] = mapped_column(String(64))
    previous_certificate_hash: Mapped[str] = mapped_column(String(64), unique=True)
    certificate_hash: Mapped[str] = mapped_column(String(64), unique=True)
    signature: Mapped[str] = mapped_column(String(128))  # Ed25519, hex
    public_key_id: Mapped[str] = mapped_column(String(16), index=True)
    public_key: Mapped[str] = mapped_column(String(64))  # raw Ed25519 public key, hex
    scheme: Mapped[str] = mapped_column(String(40))  # hashing and signing rules, for later versions
    records: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    task_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


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


class PlantedTruthsRecord(Base):
    """What the generator planted in this database, written by the loader: models can score their recovery.

    Absent on a database of real data; then the ML results carry no truth-based metric.
    """

    __tablename__ = "planted_truths"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    size: Mapped[str] = mapped_column(String(10))
    seed: Mapped[int] = mapped_column(Integer)
    truths: Mapped[dict[str, Any]] = mapped_column(JSON)  # PlantedTruths.as_json()
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OutboundMessage(Base):
    """Ledger of SMS/e-mails handed to a provider, so a retried activity never sends twice."""

    __tablename__ = "outbound_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(String(10))  # sms | email
    recipient: Mapped[str] = mapped_column(String(200))
    body_sha256: Mapped[str] = mapped_column(String(64))
    # sending: reserved before the provider call (an attempt may have reached the provider);
    # failed: the provider said no for now (not handed over); rejected: refused for good; sent: accepted
    state: Mapped[str] = mapped_column(String(10))
    # Twilio's message sid, or the e-mail's Message-ID. Unique: two tasks can never claim one message.
    provider_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    reserved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)  # the provider's words, contacts masked


class RateLimitBucket(Base):
    """A token bucket per provider, shared by every worker process (see gaveurs.notify.rate_limit)."""

    __tablename__ = "rate_limit_buckets"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    # May go below zero: each taker reserves the next free slot and sleeps until it comes.
    tokens: Mapped[float] = mapped_column(Float)
    refilled_at: Mapped[float] = mapped_column(Float)  # seconds since the epoch, on the database's clock


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

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field

SiteCode = str  # two upper-case letters: LL, LS, MT
# critical: a KPI is several times the site's norm (alert someone now); warning: clearly off, worth a look.
Severity = Literal["critical", "warning"]


class SkillLevel(StrEnum):
    """A gaveur's performance level, best first: the generator plants it, the clustering recovers it.

    Values are the stored codes (like `statut`, lower-case French); `label` is what a person reads.
    """

    EXCELLENCE = "excellence"
    HIGH = "performant"
    AVERAGE = "moyen"
    STRUGGLING = "en_difficulte"
    CRITICAL = "critique"

    @property
    def label(self) -> str:
        return _SKILL_LABELS[self]

    @property
    def rank(self) -> int:
        """0 for the best level, 4 for the worst."""
        return list(SkillLevel).index(self)


_SKILL_LABELS = {
    SkillLevel.EXCELLENCE: "Excellence",
    SkillLevel.HIGH: "Performant",
    SkillLevel.AVERAGE: "Moyen",
    SkillLevel.STRUGGLING: "En difficulté",
    SkillLevel.CRITICAL: "Critique",
}


class TrainSymbolicRegressionInput(BaseModel):
    """`train_pysr_async`: learn a readable formula for liver weight from the features of comparable lots.

    The reference lot picks the cohort (same genetics unless `genetique` says otherwise) and gets a prediction.
    """

    lot_id: int = Field(gt=0)
    site_codes: list[SiteCode] | None = None
    genetique: str | None = None
    restarts: int = Field(default=4, ge=1, le=32, description="independent searches; the best one is kept")
    generations: int = Field(default=300, ge=10, le=5000)


class TrainingSet(BaseModel):
    """The cohort's features, loaded inside the fitting activity: it never travels through history."""

    lot_id: int
    site_code: str
    genetique: str
    target: str
    feature_names: list[str]
    rows: list[list[float]]
    targets: list[float]
    reference_features: list[float] | None  # None while the reference lot is still being fed
    excluded_incident_lots: int


class TrainingSetSummary(BaseModel):
    """What the workflow needs to know of the cohort (its size, the lot's site), without the rows."""

    site_code: str
    genetique: str
    target: str
    n_lots: int
    excluded_incident_lots: int


class SymbolicFitRequest(BaseModel):
    training_set: TrainingSet
    engine: Literal["pysr", "pyoperon"]
    restarts: int
    generations: int


class SymbolicCandidate(BaseModel):
    expression: str  # sympy's string form, variables named after the lot features
    complexity: int
    r2_holdout: float


class SymbolicCheckpoint(BaseModel):
    """Restarts already searched: a retried fit resumes after them instead of starting over."""

    restarts_done: int
    candidates: list[SymbolicCandidate]


class SymbolicFit(BaseModel):
    engine: Literal["pysr", "pyoperon"]
    formula: str  # simplified with sympy, variables named after the lot features
    r2_score: float
    r2_holdout: float
    variables: list[str]
    complexity: int
    n_samples: int
    prediction_for_lot: float | None
    resumed_restarts: int = 0  # restarts taken from a previous attempt's checkpoint


class SymbolicRegressionResult(BaseModel):
    status: Literal["success"] = "success"
    lot_id: int
    site_code: str
    target: str
    formula: str
    r2_score: float
    r2_holdout: float
    variables: list[str]
    complexity: int
    engine: Literal["pysr", "pyoperon"]
    n_samples: int
    excluded_incident_lots: int
    prediction_for_lot: float | None
    resumed_restarts: int = 0  # restarts a retried fit took over from an interrupted attempt
    trained_at: datetime


class DetectAnomaliesInput(BaseModel):
    """`detect_anomalies_async`: Isolation Forest over lot KPIs of one site (or every site)."""

    site_code: SiteCode | None = None
    contamination: float = Field(default=0.02, gt=0.0, le=0.2)


class LotKpis(BaseModel):
    lot_id: int
    code_lot: str
    site_code: str
    gaveur_id: int | None = None
    itm: float
    mortalite_pct: float
    poids_foie_moyen_g: float
    sqal_score_moyen: float | None
    sqal_reject_pct: float | None


class KpiDeviation(BaseModel):
    """How far one KPI of a lot is from its site's norm (the median of the site's finished lots)."""

    kpi: str  # LotKpis field name
    label: str  # French, as in the reasons
    value: float
    site_norm: float
    ratio: float | None  # value / norm; None when the norm is 0
    robust_z: float  # (value − norm) / robust spread of the site, signed


class LotAnomaly(BaseModel):
    lot_id: int
    code_lot: str
    site_code: str
    anomaly_score: float  # Isolation Forest, higher = more anomalous
    severity: Severity
    reasons: list[str]  # e.g. "mortalité 18.2 % (norme du site 2.7 %, ×6.7)", strongest first
    itm: float
    mortalite_pct: float
    deviations: list[KpiDeviation] = Field(default_factory=list)  # the KPIs named in `reasons`
    gaveur_id: int | None = None


class AnomalyDetectionResult(BaseModel):
    status: Literal["success"] = "success"
    site_code: str | None
    n_lots: int
    n_anomalies: int
    anomalies: list[LotAnomaly]
    detected_at: datetime


class SiteAnomalySummary(BaseModel):
    """One site's line in `detect_anomalies_periodic`'s answer."""

    site_code: str
    n_lots: int
    n_anomalies: int
    n_critical: int
    n_warning: int
    critical_lot_ids: list[int]  # those the alert names


class ClusterGaveursInput(BaseModel):
    """`cluster_gaveurs_async`: K-Means of the gaveurs on their finished lots' KPIs into 5 performance segments."""

    min_lots: int = Field(default=3, ge=1, le=50, description="finished lots a gaveur needs to be segmented")
    seed: int = Field(default=0, ge=0)


class GaveurInfo(BaseModel):
    gaveur_id: int
    site_code: str
    nom: str
    prenom: str


class GaveurClusteringData(BaseModel):
    """What the clustering reads: every gaveur, the KPIs of their finished lots, and the planted levels if any."""

    gaveurs: list[GaveurInfo]
    lots: list[LotKpis]  # gaveur_id set
    planted_levels: dict[int, SkillLevel] | None  # generated databases only


class GaveurSegment(BaseModel):
    """One gaveur: the KPIs the clustering used (medians over their finished lots) and the segment found."""

    gaveur_id: int
    site_code: str
    nom: str
    n_lots: int
    segment: SkillLevel | None  # None: too few finished lots to judge
    label: str | None
    mortalite_pct: float | None
    itm: float | None
    sqal_score_moyen: float | None
    poids_foie_moyen_g: float | None
    planted_level: SkillLevel | None = None


class ClusterStats(BaseModel):
    segment: SkillLevel
    label: str  # Excellence … Critique
    size: int  # gaveurs
    n_lots: int
    # Means over the segment's gaveurs of their medians (one bad lot does not move a gaveur).
    mortalite_pct: float
    itm_moyen: float
    sqal_score_moyen: float | None
    poids_foie_moyen_g: float
    performance_score: float  # the ordering axis: higher is better
    gaveur_ids: list[int]


class GaveurClustering(BaseModel):
    n_clusters: int
    features: list[str]
    silhouette_score: float
    clusters: list[ClusterStats]  # best segment first
    gaveurs: list[GaveurSegment]
    n_gaveurs: int  # segmented
    n_lots: int
    excluded_gaveur_ids: list[int]  # too few finished lots
    # Agreement with the levels the generator planted (None on real data).
    adjusted_rand_index: float | None
    planted_agreement: float | None  # share of gaveurs whose segment is their planted level


class ClusterGaveursResult(GaveurClustering):
    status: Literal["success"] = "success"
    trained_at: datetime


class TrainProphetInput(BaseModel):
    """`train_prophet_async`: Prophet forecast of a site's daily production (livers out of its line)."""

    site_code: SiteCode
    horizon_days: Literal[7, 30, 90] = 30


class ProductionSeries(BaseModel):
    """A site's daily production as stored: open days only, oldest first."""

    site_code: str
    measure: str  # column of site_daily_production
    unit: str
    days: list[date]
    values: list[float]


class ForecastDay(BaseModel):
    date: date
    forecast: float
    confidence_lower: float
    confidence_upper: float
    closed: bool = False  # a weekday the line never works: forecast 0


class HoldoutDay(BaseModel):
    date: date
    actual: float
    forecast: float


class ForecastTrend(BaseModel):
    direction: Literal["hausse", "stable", "baisse"]
    slope_pct_per_year: float  # of the trend component over the horizon, compounded
    text: str  # e.g. "hausse de 10.6 %/an"


class ProductionForecast(BaseModel):
    site_code: str
    measure: str
    unit: str
    horizon_days: int
    interval_width: float  # of the confidence band, e.g. 0.95
    history_start: date
    history_end: date
    n_days: int  # open days fitted
    forecast: list[ForecastDay]  # every calendar day of the horizon
    # The band again as plain lists, day by day as in `forecast`: the seed's keys.
    confidence_lower: list[float]
    confidence_upper: list[float]
    trend: ForecastTrend
    # Back-test: the same model fitted without the last `horizon_days` days, scored on them.
    mape_pct: float
    holdout: list[HoldoutDay]
    closed_weekdays: list[str]


class TrainProphetResult(ProductionForecast):
    status: Literal["success"] = "success"
    trained_at: datetime


class MlHistoryQuery(BaseModel):
    """`GET /api/ml/history?task=&site_code=&limit=`: past ML runs, newest first."""

    task_name: str | None = Field(default=None, description="the seed's task name, e.g. train_prophet_async")
    site_code: SiteCode | None = None
    limit: int = Field(default=20, ge=1, le=500)
    include_payload: bool = Field(default=False, description="the full stored result (can be large)")


class MlHistoryEntry(BaseModel):
    id: int
    task_name: str
    workflow_id: str
    run_id: str
    lot_id: int | None
    site_code: str | None
    engine: str
    summary: str
    metrics: dict[str, Any]
    payload: dict[str, Any] | None
    created_at: datetime  # UTC

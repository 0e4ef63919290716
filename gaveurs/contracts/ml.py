from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_core import PydanticCustomError

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


# --- optimize_feeding_curve_async -----------------------------------------------------------------------


class FeedingBounds(BaseModel):
    """Welfare and practice limits every optimised curve respects.

    The welfare limits are fixed numbers; the corn total and the first day's dose default to the farm's own
    practice (the central 95 % of finished lots of the same duration), so the optimiser never proposes a curve
    the model has not seen the like of.
    """

    max_daily_dose_g: float = Field(default=1000.0, gt=0, description="matin + soir, any single day")
    max_daily_increase_g: float = Field(default=160.0, gt=0, description="from one day to the next")
    min_total_corn_kg: float | None = Field(default=None, gt=0)
    max_total_corn_kg: float | None = Field(default=None, gt=0)
    min_first_dose_g: float | None = Field(default=None, gt=0, description="day 1, matin + soir")
    max_first_dose_g: float | None = Field(default=None, gt=0)


class OptimizeFeedingCurveInput(BaseModel):
    """`optimize_feeding_curve_async`: the best daily dose curve for a lot under the learned quality model.

    A finished lot gets the curve it should have had (a recommendation for the gaveur's next lot); a lot still
    being fed keeps the days already fed and gets a plan for the remaining days.
    """

    lot_id: int = Field(gt=0)
    bounds: FeedingBounds = Field(default_factory=FeedingBounds)
    seed: int = 0


class LotCurve(BaseModel):
    """One lot's feeding curve (grams per meal, index 0 = day 1), its context and its quality outcomes."""

    lot_id: int
    code_lot: str
    statut: str
    duree_gavage: int
    matin_g: list[float]  # as many days as were fed so far (all of them once the lot is finished)
    soir_g: list[float]
    poids_initial_kg: float
    temperature_moyenne_c: float | None  # None before the first meal is recorded
    barbarie: bool
    sqal_score_moyen: float | None = None
    sqal_premium_share: float | None = None  # share of SQAL samples graded A+ or A
    note_moyenne: float | None = None  # mean consumer rating 1–5


class FeedingCurveDataset(BaseModel):
    """What the optimiser needs: the lot, and finished lots with SQAL samples and consumer ratings."""

    lot: LotCurve
    training: list[LotCurve]
    excluded_incident_lots: int


class DailyDose(BaseModel):
    """One day of a curve, grams per meal to 0.1 g."""

    jour: int
    matin: float
    soir: float
    fixed: bool = False  # already fed: the optimiser kept it as it was


class CurvePrediction(BaseModel):
    """The learned model's view of one curve; quality_score = mean of the three, each scaled to 0–100."""

    sqal_score: float
    sqal_premium_pct: float
    note_consommateur: float
    quality_score: float


class FeatureImportance(BaseModel):
    feature: str
    label: str
    importance: float  # share of the models' total, 0–1
    actual: float
    optimized: float


class AppliedFeedingBounds(BaseModel):
    """The limits actually enforced for this lot (defaults resolved from the farm's practice)."""

    max_daily_dose_g: float
    max_daily_increase_g: float
    min_total_corn_kg: float
    max_total_corn_kg: float
    min_first_dose_g: float
    max_first_dose_g: float


class FeedingCurveResult(BaseModel):
    status: Literal["success"] = "success"
    lot_id: int
    code_lot: str
    optimized_curve: list[DailyDose]
    actual_curve: list[DailyDose]  # for a lot still being fed: the fed days, then its current trend
    expected_improvement: float  # quality_score points (0–100) of the optimised curve over the actual one
    predicted_actual: CurvePrediction
    predicted_optimized: CurvePrediction
    confidence: float  # 0–1: the models' mean cross-validated R²
    cv_r2: dict[str, float]
    key_factors: list[str]  # the features that weigh most, in words
    feature_importances: list[FeatureImportance]
    bounds: AppliedFeedingBounds
    days_fixed: int
    n_training_lots: int
    excluded_incident_lots: int
    optimizer_generations: int  # differential-evolution generations run (stops early once converged)
    optimized_at: datetime


# --- optimize_abattage_planning_async -------------------------------------------------------------------

MAX_PLANNING_WINDOW_DAYS = (
    92  # one season at a time: longer plans say nothing useful about lots not yet placed
)


class AbattagePlanningInput(BaseModel):
    """`optimize_abattage_planning_async`: slaughter lots finishing in [date_debut, date_fin] at least cost.

    A lot is slaughtered, whole, at one slaughterhouse on one day within `max_wait_days` of the end of its
    feeding (the farm's history never waited longer: the fasted, fattened ducks suffer and the livers lose
    quality beyond that).
    """

    date_debut: date
    date_fin: date
    max_wait_days: int = Field(default=2, ge=0, le=7)
    waiting_cost_eur_per_duck_day: float = Field(
        default=0.30, ge=0, description="feed, housing and liver quality lost per duck and day of waiting"
    )
    capacity_share: float = Field(
        default=1.0, gt=0, le=1, description="share of each slaughterhouse's daily capacity booked for us"
    )
    time_limit_s: float = Field(default=60.0, gt=0, le=3600)
    today: date | None = Field(
        default=None, description="the day the plan is made (default: today in Europe/Paris); none before it"
    )

    @model_validator(mode="after")
    def _window(self) -> AbattagePlanningInput:
        # Refused here, so the API answers 422 before any task starts; the loader checks again (past windows).
        if self.date_debut > self.date_fin:
            raise PydanticCustomError(
                "date_range",
                "date_debut {debut} est après date_fin {fin}",
                {"debut": self.date_debut.isoformat(), "fin": self.date_fin.isoformat()},
            )
        days = (self.date_fin - self.date_debut).days + 1
        if days > MAX_PLANNING_WINDOW_DAYS:
            raise PydanticCustomError(
                "date_range",
                "fenêtre de {days} jours : au plus {most} jours par plan",
                {"days": days, "most": MAX_PLANNING_WINDOW_DAYS},
            )
        return self


class LotToSlaughter(BaseModel):
    lot_id: int
    code_lot: str
    site_code: str
    statut: str
    fin_gavage: date  # the day after the last meal: the first day the lot may be slaughtered
    nb_canards: int  # live ducks: placed minus dead


class Slaughterhouse(BaseModel):
    abattoir_id: int
    nom: str
    capacite_journaliere: int


class SlaughterRoute(BaseModel):
    abattoir_id: int
    site_code: str
    distance_km: float
    cout_par_canard_eur: float


class PlanningProblem(BaseModel):
    date_debut: date
    date_fin: date
    today: date
    lots: list[LotToSlaughter]
    abattoirs: list[Slaughterhouse]
    routes: list[SlaughterRoute]
    max_wait_days: int
    waiting_cost_eur_per_duck_day: float
    capacity_share: float
    time_limit_s: float


class PlannedSlaughter(BaseModel):
    lot_id: int
    code_lot: str
    site_code: str
    abattoir_id: int
    abattoir: str
    date_abattage: date
    nb_canards: int
    distance_km: float
    jours_attente: int  # days after the lot's earliest possible slaughter day
    cout_transport: float
    cout_attente: float
    cout: float


class SlaughterhouseDay(BaseModel):
    abattoir_id: int
    jour: date
    nb_canards: int
    capacite: int


class AbattagePlanningResult(BaseModel):
    status: Literal["success"] = "success"
    date_debut: date
    date_fin: date
    planning: list[PlannedSlaughter]
    total_cost: float
    greedy_cost: float | None  # None when the greedy baseline could not place every lot
    optimization_ratio: float | None  # greedy_cost / total_cost: 1.25 = the greedy plan costs 25 % more
    savings_eur: float | None
    method: Literal["milp", "greedy"]  # greedy only if the solver ran out of time with a worse plan
    solver: str
    solver_status: str
    mip_gap: float | None
    solve_seconds: float
    n_lots: int
    n_canards: int
    load: list[SlaughterhouseDay]
    planned_at: datetime
    # Where the task stored the plan (abattage_plans): one plan per task run, replaced by a retry of that run.
    plan_id: int | None = None
    plan_key: str | None = None

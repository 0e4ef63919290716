"""Catalogue rows of the ML tasks (queues `ml_heavy` and `ml_light`)."""

from __future__ import annotations

from datetime import date, timedelta

from gaveurs.catalogue.spec import TaskSpec, options_suffix
from gaveurs.contracts.ml import (
    AbattagePlanningInput,
    AbattagePlanningResult,
    AnomalyDetectionResult,
    ClusterGaveursInput,
    ClusterGaveursResult,
    DetectAnomaliesInput,
    FeedingCurveResult,
    OptimizeFeedingCurveInput,
    SymbolicRegressionResult,
    TrainProphetInput,
    TrainProphetResult,
    TrainSymbolicRegressionInput,
)
from gaveurs.contracts.ml_runs import (
    AnomalyPeriodicResult,
    DetectAnomaliesPeriodicInput,
    RetrainAllInput,
    RetrainAllResult,
)
from gaveurs.queues import TaskQueue
from gaveurs.search_attributes import lot_and_site

# The generated farms' "today" (gaveurs.farm.truths.TODAY, spelled out: the catalogue stays free of numpy):
# the planning example is the next three weeks of the demo data.
DEMO_TODAY = date(2026, 11, 1)

TRAIN_PYSR = TaskSpec(
    name="train_pysr_async",
    queue=TaskQueue.ML_HEAVY,
    input=TrainSymbolicRegressionInput,
    result=SymbolicRegressionResult,
    started_message="PySR training started",
    execution_timeout=timedelta(hours=3),
    example=TrainSymbolicRegressionInput(lot_id=3472),
    id_prefix="train-pysr",
    work_id=lambda p: f"train-pysr-lot-{p.lot_id}{options_suffix(p, exclude={'lot_id'})}",
    attributes=lambda p: lot_and_site(lot_id=p.lot_id),
    echo=("lot_id",),
)

DETECT_ANOMALIES = TaskSpec(
    name="detect_anomalies_async",
    queue=TaskQueue.ML_LIGHT,
    input=DetectAnomaliesInput,
    result=AnomalyDetectionResult,
    started_message="Anomaly detection started",
    execution_timeout=timedelta(minutes=30),
    example=DetectAnomaliesInput(site_code="LL"),
    id_prefix="detect-anomalies",
    work_id=lambda p: f"detect-anomalies-{p.site_code or 'all'}{options_suffix(p, exclude={'site_code'})}",
    attributes=lambda p: lot_and_site(site_code=p.site_code),
    echo=("site_code",),
)

FEEDING_CURVE = TaskSpec(
    name="optimize_feeding_curve_async",
    queue=TaskQueue.ML_HEAVY,
    input=OptimizeFeedingCurveInput,
    result=FeedingCurveResult,
    started_message="Feeding curve optimization started",
    # Seconds on the demo farm (the seed took 2–10 min): 30 min leaves room for a queue busy with other fits
    # and for a crashed attempt's retry.
    execution_timeout=timedelta(minutes=30),
    example=OptimizeFeedingCurveInput(lot_id=3472),
    id_prefix="optimize-feeding-curve",
    work_id=lambda p: f"optimize-feeding-curve-lot-{p.lot_id}{options_suffix(p, exclude={'lot_id'})}",
    attributes=lambda p: lot_and_site(lot_id=p.lot_id),
    echo=("lot_id",),
)

PROPHET = TaskSpec(
    name="train_prophet_async",
    queue=TaskQueue.ML_LIGHT,
    input=TrainProphetInput,
    result=TrainProphetResult,
    started_message="Prophet training started",
    # Two Prophet fits of a few seconds each (the seed took 1–5 min); retries of a crashed fit included.
    execution_timeout=timedelta(minutes=30),
    example=TrainProphetInput(site_code="LL", horizon_days=30),
    id_prefix="train-prophet",
    work_id=lambda p: f"train-prophet-{p.site_code}-{p.horizon_days}d",
    attributes=lambda p: lot_and_site(site_code=p.site_code),
    echo=("site_code", "horizon_days"),
)

CLUSTERING = TaskSpec(
    name="cluster_gaveurs_async",
    queue=TaskQueue.ML_LIGHT,
    input=ClusterGaveursInput,
    result=ClusterGaveursResult,
    started_message="Gaveur clustering started",
    # About a second on the demo farm (the seed took 1–3 min).
    execution_timeout=timedelta(minutes=30),
    example=ClusterGaveursInput(),
    id_prefix="cluster-gaveurs",
    work_id=lambda p: f"cluster-gaveurs{options_suffix(p, exclude=set())}",
)

ANOMALIES_PERIODIC = TaskSpec(
    name="detect_anomalies_periodic",
    queue=TaskQueue.ML_LIGHT,
    input=DetectAnomaliesPeriodicInput,
    result=AnomalyPeriodicResult,
    started_message="Periodic anomaly detection started",
    # Scheduled every 6 hours: a run still going after one hour would only overlap the next ones.
    execution_timeout=timedelta(hours=1),
    example=DetectAnomaliesPeriodicInput(),
    id_prefix="detect-anomalies-periodic",
    work_id=lambda p: f"detect-anomalies-periodic{options_suffix(p, exclude=set())}",
)

ABATTAGE_PLANNING = TaskSpec(
    name="optimize_abattage_planning_async",
    queue=TaskQueue.ML_HEAVY,
    input=AbattagePlanningInput,
    result=AbattagePlanningResult,
    started_message="Abattage planning optimization started",
    # The solver may be given up to an hour (time_limit_s); loading and storing take seconds.
    execution_timeout=timedelta(hours=2),
    example=AbattagePlanningInput(
        date_debut=DEMO_TODAY, date_fin=DEMO_TODAY + timedelta(days=20), today=DEMO_TODAY
    ),
    id_prefix="abattage-planning",
    work_id=lambda p: (
        f"abattage-planning-{p.date_debut.isoformat()}-{p.date_fin.isoformat()}"
        f"{options_suffix(p, exclude={'date_debut', 'date_fin'})}"
    ),
    echo=("date_debut", "date_fin"),
)

RETRAIN_ALL = TaskSpec(
    name="retrain_all_ml_models_async",
    queue=TaskQueue.ML_HEAVY,
    input=RetrainAllInput,
    result=RetrainAllResult,
    started_message="Full ML retraining started",
    # A minute or two on the demo farm (the seed took 30–60 min); each child has its own timeout (30 min),
    # and thirteen of them four at a time could in the worst case take four rounds of it.
    execution_timeout=timedelta(hours=4),
    example=RetrainAllInput(),
    id_prefix="retrain-all-ml-models",
    work_id=lambda p: f"retrain-all-ml-models{options_suffix(p, exclude=set())}",
)

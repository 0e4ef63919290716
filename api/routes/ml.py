"""Start routes of the ML tasks (`/api/tasks/ml/...`), as the seed named them."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import ValidationError

from api.deps import IdempotencyKey, TemporalClientDep
from api.errors import readable_validation_errors
from api.schemas import TaskSubmitted, submitted_model
from api.task_starter import start_task
from gaveurs.catalogue.ml import (
    ABATTAGE_PLANNING,
    ANOMALIES_PERIODIC,
    CLUSTERING,
    DETECT_ANOMALIES,
    FEEDING_CURVE,
    PROPHET,
    RETRAIN_ALL,
    TRAIN_PYSR,
)
from gaveurs.contracts.ml import (
    AbattagePlanningInput,
    ClusterGaveursInput,
    DetectAnomaliesInput,
    OptimizeFeedingCurveInput,
    TrainProphetInput,
    TrainSymbolicRegressionInput,
)
from gaveurs.contracts.ml_runs import DetectAnomaliesPeriodicInput, RetrainAllInput

router = APIRouter()

SiteCodeQuery = Query(pattern=r"^[A-Z]{2}$", description="two-letter site code: LL, LS, MT")
LotIdQuery = Query(gt=0, le=2**31 - 1, description="the lot")


@router.post("/ml/pysr/train", response_model=submitted_model(TRAIN_PYSR))
async def train_pysr(
    client: TemporalClientDep,
    lot_id: Annotated[int, Query(gt=0, le=2**31 - 1, description="reference lot")],
    site_codes: Annotated[list[str] | None, Query(description="restrict training to these sites")] = None,
    genetique: Annotated[str | None, Query(max_length=20)] = None,
    restarts: Annotated[int, Query(ge=1, le=32)] = 4,
    generations: Annotated[int, Query(ge=10, le=5000)] = 300,
    idempotency_key: IdempotencyKey = None,
) -> TaskSubmitted:
    params = TrainSymbolicRegressionInput(
        lot_id=lot_id, site_codes=site_codes, genetique=genetique, restarts=restarts, generations=generations
    )
    return await start_task(client, TRAIN_PYSR, params, idempotency_key=idempotency_key)


@router.post("/ml/anomalies/detect", response_model=submitted_model(DETECT_ANOMALIES))
async def detect_anomalies(
    client: TemporalClientDep,
    site_code: Annotated[str | None, SiteCodeQuery] = None,
    contamination: Annotated[float, Query(gt=0.0, le=0.2)] = 0.02,
    idempotency_key: IdempotencyKey = None,
) -> TaskSubmitted:
    params = DetectAnomaliesInput(site_code=site_code, contamination=contamination)
    return await start_task(client, DETECT_ANOMALIES, params, idempotency_key=idempotency_key)


@router.post("/ml/anomalies/detect-all", response_model=submitted_model(ANOMALIES_PERIODIC))
async def detect_anomalies_all_sites(
    client: TemporalClientDep,
    contamination: Annotated[float, Query(gt=0.0, le=0.2)] = 0.02,
    idempotency_key: IdempotencyKey = None,
) -> TaskSubmitted:
    """`detect_anomalies_periodic` now: every site, and an alert task per site with critical lots."""
    params = DetectAnomaliesPeriodicInput(contamination=contamination)
    return await start_task(client, ANOMALIES_PERIODIC, params, idempotency_key=idempotency_key)


@router.post("/ml/feeding-curve/optimize", response_model=submitted_model(FEEDING_CURVE))
async def optimize_feeding_curve(
    client: TemporalClientDep,
    lot_id: Annotated[int, LotIdQuery],
    seed: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    idempotency_key: IdempotencyKey = None,
) -> TaskSubmitted:
    """Default welfare bounds; other bounds through `POST /api/tasks/run/optimize_feeding_curve_async`."""
    params = OptimizeFeedingCurveInput(lot_id=lot_id, seed=seed)
    return await start_task(client, FEEDING_CURVE, params, idempotency_key=idempotency_key)


@router.post("/ml/prophet/train", response_model=submitted_model(PROPHET))
async def train_prophet(
    client: TemporalClientDep,
    site_code: Annotated[str, SiteCodeQuery],
    horizon_days: Annotated[int, Query(description="7, 30 or 90 days")] = 30,
    idempotency_key: IdempotencyKey = None,
) -> TaskSubmitted:
    try:  # the input model says which horizons exist (a query string is not matched against a Literal)
        params = TrainProphetInput(site_code=site_code, horizon_days=horizon_days)
    except ValidationError as error:
        raise readable_validation_errors(error, location="query") from error
    return await start_task(client, PROPHET, params, idempotency_key=idempotency_key)


@router.post("/ml/clustering/run", response_model=submitted_model(CLUSTERING))
async def cluster_gaveurs(
    client: TemporalClientDep,
    min_lots: Annotated[int, Query(ge=1, le=50)] = 3,
    seed: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    idempotency_key: IdempotencyKey = None,
) -> TaskSubmitted:
    params = ClusterGaveursInput(min_lots=min_lots, seed=seed)
    return await start_task(client, CLUSTERING, params, idempotency_key=idempotency_key)


@router.post("/ml/abattage/optimize", response_model=submitted_model(ABATTAGE_PLANNING))
async def optimize_abattage_planning(
    client: TemporalClientDep,
    date_debut: Annotated[date, Query(description="first slaughter day planned")],
    date_fin: Annotated[date, Query(description="last slaughter day planned")],
    max_wait_days: Annotated[int, Query(ge=0, le=7)] = 2,
    waiting_cost_eur_per_duck_day: Annotated[float, Query(ge=0, le=100)] = 0.30,
    capacity_share: Annotated[float, Query(gt=0, le=1)] = 1.0,
    time_limit_s: Annotated[float, Query(gt=0, le=3600)] = 60.0,
    today: Annotated[date | None, Query(description="the day the plan is made; default today")] = None,
    idempotency_key: IdempotencyKey = None,
) -> TaskSubmitted:
    try:
        params = AbattagePlanningInput(
            date_debut=date_debut,
            date_fin=date_fin,
            max_wait_days=max_wait_days,
            waiting_cost_eur_per_duck_day=waiting_cost_eur_per_duck_day,
            capacity_share=capacity_share,
            time_limit_s=time_limit_s,
            today=today,
        )
    except ValidationError as error:  # reversed or over-long window: the model's own check, as a 422
        raise readable_validation_errors(error, location="query") from error
    return await start_task(client, ABATTAGE_PLANNING, params, idempotency_key=idempotency_key)


@router.post("/ml/retrain-all", response_model=submitted_model(RETRAIN_ALL))
async def retrain_all_ml_models(
    client: TemporalClientDep,
    site_codes: Annotated[list[str] | None, Query(description="default: every site")] = None,
    horizons: Annotated[list[int] | None, Query(description="among 7, 30, 90; default all three")] = None,
    max_parallel: Annotated[int | None, Query(ge=1, le=16)] = None,
    idempotency_key: IdempotencyKey = None,
) -> TaskSubmitted:
    try:
        params = RetrainAllInput(
            site_codes=site_codes,
            horizons=horizons,
            max_parallel=max_parallel,
        )
    except ValidationError as error:
        raise readable_validation_errors(error, location="query") from error
    return await start_task(client, RETRAIN_ALL, params, idempotency_key=idempotency_key)

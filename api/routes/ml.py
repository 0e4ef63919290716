"""Start routes of the ML tasks (`/api/tasks/ml/...`), as the seed named them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import IdempotencyKey, TemporalClientDep
from api.schemas import TaskSubmitted, submitted_model
from api.task_starter import start_task
from gaveurs.catalogue.ml import DETECT_ANOMALIES, TRAIN_PYSR
from gaveurs.contracts.ml import DetectAnomaliesInput, TrainSymbolicRegressionInput

router = APIRouter()

SiteCodeQuery = Query(pattern=r"^[A-Z]{2}$", description="two-letter site code: LL, LS, MT")


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

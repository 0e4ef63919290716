"""Start routes of the ML tasks (`/api/tasks/ml/...`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import TemporalClientDep
from api.task_starter import start_task, submitted
from gaveurs.catalogue import TaskName
from gaveurs.contracts.ml import DetectAnomaliesInput, TrainSymbolicRegressionInput

router = APIRouter()

SiteCodeQuery = Query(pattern=r"^[A-Z]{2}$", description="two-letter site code: LL, LS, MT")


@router.post("/ml/pysr/train")
async def train_pysr(
    client: TemporalClientDep,
    lot_id: Annotated[int, Query(gt=0, description="reference lot")],
    site_codes: Annotated[list[str] | None, Query(description="restrict training to these sites")] = None,
    genetique: Annotated[str | None, Query(max_length=20)] = None,
    restarts: Annotated[int, Query(ge=1, le=32)] = 4,
    generations: Annotated[int, Query(ge=10, le=5000)] = 300,
) -> dict[str, Any]:
    params = TrainSymbolicRegressionInput(
        lot_id=lot_id, site_codes=site_codes, genetique=genetique, restarts=restarts, generations=generations
    )
    started = await start_task(client, TaskName.TRAIN_PYSR, params, lot_id=lot_id)
    return submitted(TaskName.TRAIN_PYSR, started, lot_id=lot_id)


@router.post("/ml/anomalies/detect")
async def detect_anomalies(
    client: TemporalClientDep,
    site_code: Annotated[str | None, SiteCodeQuery] = None,
    contamination: Annotated[float, Query(gt=0.0, le=0.2)] = 0.02,
) -> dict[str, Any]:
    params = DetectAnomaliesInput(site_code=site_code, contamination=contamination)
    started = await start_task(client, TaskName.DETECT_ANOMALIES, params, site_code=site_code)
    return submitted(TaskName.DETECT_ANOMALIES, started, site_code=site_code)

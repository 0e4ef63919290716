"""The health check (`/api/tasks/system/...`): start one, or read the last stored result."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field

from api.deps import IdempotencyKey, SettingsDep, TemporalClientDep
from api.schemas import ErrorAnswer, TaskSubmitted, submitted_model
from api.task_starter import start_task
from gaveurs.catalogue.maintenance import HEALTH_CHECK
from gaveurs.contracts.system import ComponentHealth, HealthCheckInput
from gaveurs.db.session import engine_for
from gaveurs.maintenance.health_records import last_health_result
from gaveurs.task_ids import format_task_id

router = APIRouter()


class LastHealthCheck(BaseModel):
    """The most recent health_check_periodic result (scheduled every 6 h, or started by hand)."""

    task_id: str = Field(description="the run that produced it: GET /status/{task_id}")
    workflow_id: str
    run_id: str
    status: Literal["healthy", "degraded"]
    checks: dict[str, ComponentHealth]
    checked_at: datetime


@router.post("/system/health-check", response_model=submitted_model(HEALTH_CHECK))
async def health_check(client: TemporalClientDep, idempotency_key: IdempotencyKey = None) -> TaskSubmitted:
    return await start_task(client, HEALTH_CHECK, HealthCheckInput(), idempotency_key=idempotency_key)


@router.get(
    "/system/health/last",
    response_model=LastHealthCheck,
    responses={404: {"model": ErrorAnswer, "description": "no health check has stored a result yet"}},
)
async def last_health_check(settings: SettingsDep) -> LastHealthCheck:
    """Read from the farm database, where each check stores its result: no Temporal call, no worker."""
    stored = await asyncio.to_thread(last_health_result, engine_for(settings.database_url))
    if stored is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no health check has stored a result yet")
    return LastHealthCheck(
        task_id=format_task_id(stored.workflow_id, stored.run_id),
        workflow_id=stored.workflow_id,
        run_id=stored.run_id,
        **stored.result.model_dump(),
    )

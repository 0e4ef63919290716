"""Start route of the health check (`/api/tasks/system/...`)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import IdempotencyKey, TemporalClientDep
from api.schemas import TaskSubmitted, submitted_model
from api.task_starter import start_task
from gaveurs.catalogue.maintenance import HEALTH_CHECK
from gaveurs.contracts.system import HealthCheckInput

router = APIRouter()


@router.post("/system/health-check", response_model=submitted_model(HEALTH_CHECK))
async def health_check(client: TemporalClientDep, idempotency_key: IdempotencyKey = None) -> TaskSubmitted:
    return await start_task(client, HEALTH_CHECK, HealthCheckInput(), idempotency_key=idempotency_key)

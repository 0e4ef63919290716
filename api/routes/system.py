"""Start route of the health check (`/api/tasks/system/...`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import TemporalClientDep
from api.task_starter import start_task, submitted
from gaveurs.catalogue import TaskName
from gaveurs.contracts.system import HealthCheckInput

router = APIRouter()


@router.post("/system/health-check")
async def health_check(client: TemporalClientDep) -> dict[str, Any]:
    started = await start_task(client, TaskName.HEALTH_CHECK, HealthCheckInput())
    return submitted(TaskName.HEALTH_CHECK, started)

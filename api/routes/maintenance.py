"""Start routes of the scheduled maintenance tasks (`/api/tasks/maintenance/...`), to run one now.

Each takes its task's input as query parameters (all optional: without them the task does what its schedule
does) and answers like every seed start route. The schedules themselves are under `/api/schedules`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import IdempotencyKey, TemporalClientDep
from api.schemas import TaskSubmitted, submitted_model
from api.task_starter import start_task
from gaveurs.catalogue.maintenance import (
    BACKUP_DATABASE,
    CLEANUP_OLD_TASKS,
    CLEANUP_SENSOR_DATA,
    MONTHLY_RETRAINING,
    REFRESH_AGGREGATES,
    WEEKLY_KPIS,
)
from gaveurs.contracts.maintenance import (
    BackupDatabaseInput,
    CleanupOldTasksInput,
    CleanupSensorDataInput,
    MonthlyRetrainingInput,
    RefreshAggregatesInput,
    WeeklyKpisInput,
)

router = APIRouter()


@router.post("/maintenance/aggregates/refresh", response_model=submitted_model(REFRESH_AGGREGATES))
async def refresh_aggregates(
    client: TemporalClientDep,
    params: Annotated[RefreshAggregatesInput, Query()],
    idempotency_key: IdempotencyKey = None,
) -> TaskSubmitted:
    """`refresh_continuous_aggregates` (hourly): the SQAL and feeding rows added since the last refresh."""
    return await start_task(client, REFRESH_AGGREGATES, params, idempotency_key=idempotency_key)


@router.post("/maintenance/backup", response_model=submitted_model(BACKUP_DATABASE))
async def backup_database(
    client: TemporalClientDep,
    params: Annotated[BackupDatabaseInput, Query()],
    idempotency_key: IdempotencyKey = None,
) -> TaskSubmitted:
    """`backup_database_task` (daily 03:00): pg_dump or SQLite backup, checksummed, verified, rotated."""
    return await start_task(client, BACKUP_DATABASE, params, idempotency_key=idempotency_key)


@router.post("/maintenance/cleanup/tasks", response_model=submitted_model(CLEANUP_OLD_TASKS))
async def cleanup_old_tasks(
    client: TemporalClientDep,
    params: Annotated[CleanupOldTasksInput, Query()],
    idempotency_key: IdempotencyKey = None,
) -> TaskSubmitted:
    """`cleanup_old_celery_tasks` (daily 04:00): expired exports, abandoned temp files, old task records."""
    return await start_task(client, CLEANUP_OLD_TASKS, params, idempotency_key=idempotency_key)


@router.post("/maintenance/kpis/weekly", response_model=submitted_model(WEEKLY_KPIS))
async def weekly_kpis(
    client: TemporalClientDep,
    params: Annotated[WeeklyKpisInput, Query()],
    idempotency_key: IdempotencyKey = None,
) -> TaskSubmitted:
    """`calculate_weekly_kpis` (Monday 07:00): one ISO week; without `iso_week`, last week in Paris."""
    return await start_task(client, WEEKLY_KPIS, params, idempotency_key=idempotency_key)


@router.post("/maintenance/cleanup/sensor-data", response_model=submitted_model(CLEANUP_SENSOR_DATA))
async def cleanup_sensor_data(
    client: TemporalClientDep,
    params: Annotated[CleanupSensorDataInput, Query()],
    idempotency_key: IdempotencyKey = None,
) -> TaskSubmitted:
    """`cleanup_old_sensor_data` (1st of month 05:00): raw SQAL samples past retention, once aggregated."""
    return await start_task(client, CLEANUP_SENSOR_DATA, params, idempotency_key=idempotency_key)


@router.post("/maintenance/ml/retrain-monthly", response_model=submitted_model(MONTHLY_RETRAINING))
async def monthly_retraining(
    client: TemporalClientDep, idempotency_key: IdempotencyKey = None
) -> TaskSubmitted:
    """`monthly_ml_models_retraining` (1st of month 02:00): retrain_all_ml_models_async as a child task."""
    return await start_task(
        client, MONTHLY_RETRAINING, MonthlyRetrainingInput(), idempotency_key=idempotency_key
    )

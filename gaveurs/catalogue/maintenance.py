"""Catalogue rows of the housekeeping tasks (queue `default`), most of them started by schedules.

Every input has defaults (a schedule starts them with `{}`), so most rows name the work by a fixed id: a
second start while one runs joins it instead of refreshing, dumping or deleting twice at once.
"""

from __future__ import annotations

from datetime import timedelta

from gaveurs.catalogue.spec import TaskSpec, options_suffix
from gaveurs.contracts.maintenance import (
    BackupDatabaseInput,
    BackupDatabaseResult,
    CleanupOldTasksInput,
    CleanupOldTasksResult,
    CleanupSensorDataInput,
    CleanupSensorDataResult,
    MonthlyRetrainingInput,
    MonthlyRetrainingResult,
    RefreshAggregatesInput,
    RefreshAggregatesResult,
    WeeklyKpisInput,
    WeeklyKpisResult,
)
from gaveurs.contracts.system import HealthCheckInput, HealthCheckResult
from gaveurs.queues import TaskQueue

REFRESH_AGGREGATES = TaskSpec(
    name="refresh_continuous_aggregates",
    queue=TaskQueue.DEFAULT,
    input=RefreshAggregatesInput,
    result=RefreshAggregatesResult,
    started_message="Aggregates refresh started",
    # Hourly: a refresh still running when the next one is due has gone wrong (the demo farm's first full
    # build takes seconds); ending it lets the buffered next run start from the same watermark.
    execution_timeout=timedelta(minutes=55),
    example=RefreshAggregatesInput(),
    id_prefix="refresh-aggregates",
    work_id=lambda p: f"refresh-aggregates{'-full' if p.full else ''}",
    echo=("full",),
)

BACKUP_DATABASE = TaskSpec(
    name="backup_database_task",
    queue=TaskQueue.DEFAULT,
    input=BackupDatabaseInput,
    result=BackupDatabaseResult,
    started_message="Database backup started",
    # A production dump runs minutes (seed: 5–10 min); the dump step may take 90 min per attempt, retried,
    # and the next night's backup is the latest useful deadline.
    execution_timeout=timedelta(hours=4),
    example=BackupDatabaseInput(),
    id_prefix="backup-database",
    work_id=lambda p: f"backup-database{options_suffix(p, exclude=set())}",
)

CLEANUP_OLD_TASKS = TaskSpec(
    name="cleanup_old_celery_tasks",
    queue=TaskQueue.DEFAULT,
    input=CleanupOldTasksInput,
    result=CleanupOldTasksResult,
    started_message="Cleanup of old task records started",
    # Daily deletes of a day's worth of expired files and rows: seconds here, minutes at worst.
    execution_timeout=timedelta(hours=1),
    example=CleanupOldTasksInput(),
    id_prefix="cleanup-old-tasks",
    work_id=lambda p: f"cleanup-old-tasks{options_suffix(p, exclude=set())}",
)

WEEKLY_KPIS = TaskSpec(
    name="calculate_weekly_kpis",
    queue=TaskQueue.DEFAULT,
    input=WeeklyKpisInput,
    result=WeeklyKpisResult,
    started_message="Weekly KPIs calculation started",
    # One week is under a second on the demo farm (seed: 5–30 min); an hour covers a far larger farm.
    execution_timeout=timedelta(hours=1),
    example=WeeklyKpisInput(iso_week="2026-W44"),
    id_prefix="weekly-kpis",
    # Without a week the workflow picks last week by its own clock: "last-week" names that work.
    work_id=lambda p: f"weekly-kpis-{p.iso_week or 'last-week'}",
    echo=("iso_week",),
)

CLEANUP_SENSOR_DATA = TaskSpec(
    name="cleanup_old_sensor_data",
    queue=TaskQueue.DEFAULT,
    input=CleanupSensorDataInput,
    result=CleanupSensorDataResult,
    started_message="Sensor data cleanup started",
    # Monthly, batched deletes of a month of raw samples (2.5 s on the demo farm's first year); generous,
    # since each batch commits on its own and a retry continues where it stopped.
    execution_timeout=timedelta(hours=5),
    example=CleanupSensorDataInput(),
    id_prefix="cleanup-sensor-data",
    work_id=lambda p: f"cleanup-sensor-data{options_suffix(p, exclude=set())}",
)

MONTHLY_RETRAINING = TaskSpec(
    name="monthly_ml_models_retraining",
    queue=TaskQueue.DEFAULT,
    input=MonthlyRetrainingInput,
    result=MonthlyRetrainingResult,
    started_message="Monthly ML retraining started",
    # It waits for retrain_all_ml_models_async (seed: 30–60 min), which has its own, shorter, deadline.
    execution_timeout=timedelta(hours=6),
    example=MonthlyRetrainingInput(),
    id_prefix="monthly-ml-retraining",
    work_id=lambda _p: "monthly-ml-retraining",
)

HEALTH_CHECK = TaskSpec(
    name="health_check_periodic",
    queue=TaskQueue.DEFAULT,
    input=HealthCheckInput,
    result=HealthCheckResult,
    started_message="Health check started",
    # A check that takes longer than this has found its answer: something is down.
    execution_timeout=timedelta(minutes=5),
    example=HealthCheckInput(),
    id_prefix="health-check",
)

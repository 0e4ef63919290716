"""Inputs and results of the scheduled maintenance tasks (queue `default`).

Every input has defaults, so a schedule (or `POST` without a body) starts the task with `{}`; the retention
figures left out come from the settings.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

IsoWeek = str  # 2026-W44


class RefreshAggregatesInput(BaseModel):
    """`refresh_continuous_aggregates`."""

    full: bool = Field(
        default=False,
        description="recompute every bucket that still has raw rows, not only those touched since the last run",
    )


class RefreshAggregatesResult(BaseModel):
    status: Literal["success"] = "success"
    full: bool
    sqal_hourly_rows: int
    sqal_daily_rows: int
    gavage_daily_rows: int
    rows_refreshed: int
    watermarks: dict[str, int]  # source table → highest row id folded in
    duration_s: float
    refreshed_at: datetime


class BackupDatabaseInput(BaseModel):
    """`backup_database_task`."""

    keep_daily: int | None = Field(
        default=None, ge=1, description="days of backups to keep; settings if absent"
    )


class BackupFile(BaseModel):
    path: str
    size_bytes: int
    sha256: str
    created_at: datetime


class BackupDatabaseResult(BaseModel):
    status: Literal["success"] = "success"
    backend: Literal["postgresql", "sqlite"]
    backup: BackupFile
    verified: bool
    kept: list[str]
    deleted: list[str]
    duration_s: float


class RestoreResult(BaseModel):
    backend: Literal["postgresql", "sqlite"]
    backup_path: str
    target: str  # database URL without password
    duration_s: float


class CleanupOldTasksInput(BaseModel):
    """`cleanup_old_celery_tasks` (the seed's name): expired artifacts and old task records."""

    ml_results_retention_days: int | None = Field(default=None, ge=1)
    outbound_messages_retention_days: int | None = Field(default=None, ge=7)
    health_results_retention_days: int | None = Field(default=None, ge=1)


class CleanupOldTasksResult(BaseModel):
    status: Literal["success"] = "success"
    artifacts_deleted: int  # expired exports: file and index row
    bytes_freed: int  # as the index recorded them
    abandoned_removed: list[str]  # temp files and staging directories of tasks that died mid-write
    ml_results_deleted: int
    outbound_messages_deleted: int
    health_results_deleted: int
    duration_s: float


class WeeklyKpisInput(BaseModel):
    """`calculate_weekly_kpis`; without `iso_week`, the week before the (scheduled) start, in Paris."""

    iso_week: IsoWeek | None = Field(default=None, pattern=r"^\d{4}-W\d{2}$", examples=["2026-W44"])

    @field_validator("iso_week")
    @classmethod
    def _a_real_week(cls, value: str | None) -> str | None:
        # The pattern lets 2026-W54 through; a year has 52 or 53 weeks.
        if value is not None:
            try:
                date.fromisocalendar(int(value[:4]), int(value[6:]), 1)
            except ValueError:
                raise ValueError(f"{value} is not an ISO week: {value[:4]} has no week {value[6:]}") from None
        return value


class WeeklyKpiRow(BaseModel):
    iso_week: IsoWeek
    scope: str  # site:LL | gaveur:12
    week_start: date
    site_code: str
    gaveur_id: int | None
    lots_finished: int
    ducks_placed: int
    ducks_dead: int
    mortality_pct: float | None
    mean_liver_g: float | None
    itm: float | None
    sqal_samples: int
    sqal_score_mean: float | None
    grade_a_plus: int
    grade_a: int
    grade_b: int
    grade_c: int
    grade_reject: int
    feedback_count: int
    mean_rating: float | None


class WeeklyKpisResult(BaseModel):
    status: Literal["success"] = "success"
    iso_week: IsoWeek
    week_start: date
    week_end: date
    sites: list[WeeklyKpiRow]
    gaveurs: list[WeeklyKpiRow]
    rows_upserted: int
    rows_deleted: int  # scopes stored earlier for this week that no longer have any activity
    duration_s: float


class CleanupSensorDataInput(BaseModel):
    """`cleanup_old_sensor_data`."""

    retention_days: int | None = Field(default=None, ge=1)
    batch_size: int | None = Field(default=None, ge=1, le=100_000)


class CleanupSensorDataResult(BaseModel):
    status: Literal["success"] = "success"
    cutoff: datetime
    retention_days: int
    deleted: int
    kept_unaggregated: int  # older than the cutoff but not (yet) in the aggregates
    batches: int
    duration_s: float


class MonthlyRetrainingInput(BaseModel):
    """`monthly_ml_models_retraining`: starts retrain_all_ml_models_async with its defaults."""


class MonthlyRetrainingResult(BaseModel):
    status: Literal["success"] = "success"
    child_task_id: str  # the retrain-all run: GET /api/tasks/status/{child_task_id}
    child_workflow_id: str
    retrain: dict[str, Any]  # retrain_all_ml_models_async's own result
    started_at: datetime
    finished_at: datetime


# --- what the workflows hand their activities (small, in history) -----------------------------------------


class RefreshAggregatesStep(BaseModel):
    full: bool
    now: datetime  # the workflow's clock: every attempt stamps the same time


class BackupStep(BaseModel):
    keep_daily: int | None
    now: datetime  # names the file, so a retry rewrites the same backup
    run_tag: str  # marks this run's temporary files, so a cancel or a retry finds them


class CleanupOldTasksStep(BaseModel):
    params: CleanupOldTasksInput
    now: datetime


class WeeklyKpisStep(BaseModel):
    iso_week: IsoWeek
    now: datetime


class CleanupSensorDataStep(BaseModel):
    params: CleanupSensorDataInput
    now: datetime

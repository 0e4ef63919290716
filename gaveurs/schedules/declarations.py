"""The ten Celery Beat entries as Temporal Schedules, declared once, as data.

The schedule id is the Beat entry's name, the task is the seed's function name (= Temporal workflow type),
and `params` is the task's input as JSON (`{}`: every field defaults, retention figures from the settings;
tasks that report on a period derive it from the run's scheduled time, so a backfill recomputes the right
week). All run in Europe/Paris time, where Beat's crontabs were meant.

Overlap policy and catch-up window are chosen per task; the comment on each says why. The catch-up window is
how late (after a Temporal outage) a missed run still starts; older misses are dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType
from typing import Any

from temporalio.client import ScheduleOverlapPolicy

PARIS = "Europe/Paris"


@dataclass(frozen=True)
class ScheduleDeclaration:
    schedule_id: str  # the Beat entry's name
    task_name: str  # the seed's function name = workflow type = TaskName search attribute
    cron: str  # minute hour day-of-month month day-of-week, in `time_zone`
    overlap: ScheduleOverlapPolicy
    catchup_window: timedelta
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    time_zone: str = PARIS


SCHEDULES: tuple[ScheduleDeclaration, ...] = (
    # Incremental and cheap: one buffered run catches up everything missed (the watermark knows what is new);
    # a run that comes due while one works is worth doing right after it, a second one is not.
    ScheduleDeclaration(
        "refresh-continuous-aggregates-hourly", "refresh_continuous_aggregates", "0 * * * *",
        ScheduleOverlapPolicy.BUFFER_ONE, timedelta(hours=1),
    ),
    # Two dumps at once only double the load: skip. A backup missed at night is still worth taking during
    # the day, so catch up for 12 hours; later than that, the next night's backup is near.
    ScheduleDeclaration(
        "backup-database-daily", "backup_database_task", "0 3 * * *",
        ScheduleOverlapPolicy.SKIP, timedelta(hours=12),
    ),
    # Idempotent housekeeping: a skipped run changes nothing that the next one will not do.
    ScheduleDeclaration(
        "cleanup-old-tasks-daily", "cleanup_old_celery_tasks", "0 4 * * *",
        ScheduleOverlapPolicy.SKIP, timedelta(hours=12),
    ),
    # People read the summary in the evening: one sent after 20:00 is noise, and never twice.
    ScheduleDeclaration(
        "daily-summary-reports", "send_daily_summary_reports", "0 18 * * *",
        ScheduleOverlapPolicy.SKIP, timedelta(hours=2),
    ),
    # Last week's PDFs are still wanted later on Monday, but not twice.
    ScheduleDeclaration(
        "weekly-reports-generation", "weekly_reports_generation", "0 6 * * 1",
        ScheduleOverlapPolicy.SKIP, timedelta(days=1),
    ),
    # Each run computes its own week (from its scheduled time), so none may be dropped: buffer them all and
    # run them one after the other; after an outage, up to four missed weeks are computed.
    ScheduleDeclaration(
        "weekly-kpis-calculation", "calculate_weekly_kpis", "0 7 * * 1",
        ScheduleOverlapPolicy.BUFFER_ALL, timedelta(weeks=4),
    ),
    # A 30–60 min retrain overlapping another is wasted work: skip. A month is long: catch up for 3 days.
    ScheduleDeclaration(
        "monthly-ml-retraining", "monthly_ml_models_retraining", "0 2 1 * *",
        ScheduleOverlapPolicy.SKIP, timedelta(days=3),
    ),
    # Monthly and idempotent: a missed run is still useful within the week; never two at once (batches).
    ScheduleDeclaration(
        "cleanup-old-sensor-data", "cleanup_old_sensor_data", "0 5 1 * *",
        ScheduleOverlapPolicy.SKIP, timedelta(days=7),
    ),
    # A check reports the present: one catch-up run after an outage (its result is what matters), no pile-up.
    ScheduleDeclaration(
        "health-check-periodic", "health_check_periodic", "0 */6 * * *",
        ScheduleOverlapPolicy.SKIP, timedelta(hours=6),
    ),
    # Same for anomaly scans: the latest data is what the next run scans anyway.
    ScheduleDeclaration(
        "anomalies-detection-periodic", "detect_anomalies_periodic", "0 */6 * * *",
        ScheduleOverlapPolicy.SKIP, timedelta(hours=6),
    ),
)  # fmt: skip

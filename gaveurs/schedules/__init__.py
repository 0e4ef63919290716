"""Temporal Schedules in place of Celery Beat: the ten declarations, their idempotent sync, and the
operations the API and CLI call (list, pause, unpause, trigger, backfill)."""

from gaveurs.schedules.declarations import PARIS, SCHEDULES, ScheduleDeclaration
from gaveurs.schedules.operations import (
    ScheduleRun,
    ScheduleSummary,
    TriggerOutcome,
    backfill_schedule,
    count_schedules,
    describe_schedule,
    list_schedules,
    pause_schedule,
    trigger_schedule,
    unpause_schedule,
)
from gaveurs.schedules.sync import (
    OWNER,
    ScheduledStart,
    SyncReport,
    TaskRouter,
    UnroutableSchedules,
    route_by_queue,
    sync_schedules,
)

__all__ = [
    "OWNER", "PARIS", "SCHEDULES", "ScheduleDeclaration", "ScheduleRun", "ScheduleSummary", "ScheduledStart",
    "SyncReport", "TaskRouter", "TriggerOutcome", "UnroutableSchedules", "backfill_schedule", "count_schedules",
    "describe_schedule", "list_schedules", "pause_schedule", "route_by_queue", "sync_schedules",
    "trigger_schedule", "unpause_schedule",
]  # fmt: skip

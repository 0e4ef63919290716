"""Activity of cleanup_old_celery_tasks: expired exports, abandoned temp files, old task records."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel
from temporalio import activity

from activities.default._jobs import job_engine
from activities.shared.child_process import run_in_child_process
from gaveurs.artifacts import open_store
from gaveurs.child_process import Reporter
from gaveurs.contracts.maintenance import CleanupOldTasksResult, CleanupOldTasksStep
from gaveurs.maintenance.task_cleanup import Retention, cleanup_old_task_records
from gaveurs.settings import Settings, get_settings


class TaskCleanupJob(BaseModel):
    settings: Settings
    step: CleanupOldTasksStep


def task_cleanup_job(job: TaskCleanupJob, reporter: Reporter) -> CleanupOldTasksResult:
    """Files go before their rows: a kill in between leaves rows whose files are gone, which a rerun ends."""
    settings = job.settings
    with job_engine(settings.database_url) as engine:
        return cleanup_old_task_records(
            engine,
            open_store(settings),
            Retention.chosen(job.step.params, settings),
            abandoned_after=timedelta(hours=settings.artifact_abandoned_after_hours),
            now=job.step.now,
            on_progress=reporter,
        )


@activity.defn(name="cleanup_task_records")
async def cleanup_task_records(step: CleanupOldTasksStep) -> CleanupOldTasksResult:
    job = TaskCleanupJob(settings=get_settings(), step=step)
    return await run_in_child_process(task_cleanup_job, job, stage="exports expirés")

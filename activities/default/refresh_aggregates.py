"""Activity of refresh_continuous_aggregates: fold the new raw rows into the aggregate tables."""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import activity

from activities.default._jobs import job_engine
from activities.shared.child_process import run_in_child_process
from gaveurs.child_process import Reporter
from gaveurs.contracts.maintenance import RefreshAggregatesResult, RefreshAggregatesStep
from gaveurs.maintenance.aggregates import refresh_continuous_aggregates
from gaveurs.settings import Settings, get_settings


class RefreshJob(BaseModel):
    settings: Settings
    step: RefreshAggregatesStep


def refresh_job(job: RefreshJob, reporter: Reporter) -> RefreshAggregatesResult:
    """In the child process: one transaction, so a kill rolls the whole refresh back, watermark included."""
    with job_engine(job.settings.database_url) as engine:
        return refresh_continuous_aggregates(
            engine, full=job.step.full, now=job.step.now, on_progress=reporter
        )


@activity.defn(name="refresh_aggregates")
async def refresh_aggregates(step: RefreshAggregatesStep) -> RefreshAggregatesResult:
    job = RefreshJob(settings=get_settings(), step=step)
    return await run_in_child_process(refresh_job, job, stage="agrégats : démarrage")

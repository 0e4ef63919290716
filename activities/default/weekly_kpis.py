"""Activity of calculate_weekly_kpis: refresh the SQAL aggregates, then compute and store one ISO week."""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import activity

from activities.default._jobs import job_engine
from activities.shared.child_process import run_in_child_process
from gaveurs.child_process import Reporter
from gaveurs.contracts.maintenance import WeeklyKpisResult, WeeklyKpisStep
from gaveurs.maintenance.weekly_kpis import calculate_weekly_kpis
from gaveurs.settings import Settings, get_settings


class WeeklyKpisJob(BaseModel):
    settings: Settings
    step: WeeklyKpisStep


def weekly_kpis_job(job: WeeklyKpisJob, reporter: Reporter) -> WeeklyKpisResult:
    with job_engine(job.settings.database_url) as engine:
        return calculate_weekly_kpis(engine, job.step.iso_week, now=job.step.now, on_progress=reporter)


@activity.defn(name="compute_weekly_kpis")
async def compute_weekly_kpis(step: WeeklyKpisStep) -> WeeklyKpisResult:
    job = WeeklyKpisJob(settings=get_settings(), step=step)
    return await run_in_child_process(weekly_kpis_job, job, stage=f"indicateurs {step.iso_week}")

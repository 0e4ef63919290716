"""Activity of cleanup_old_sensor_data: delete aggregated raw SQAL samples past retention, in batches."""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import activity

from activities.default._jobs import job_engine
from activities.shared.child_process import run_in_child_process
from gaveurs.child_process import Reporter
from gaveurs.contracts.maintenance import CleanupSensorDataResult, CleanupSensorDataStep
from gaveurs.maintenance.sensor_retention import cleanup_old_sensor_data
from gaveurs.settings import Settings, get_settings


class SensorCleanupJob(BaseModel):
    settings: Settings
    step: CleanupSensorDataStep


def sensor_cleanup_job(job: SensorCleanupJob, reporter: Reporter) -> CleanupSensorDataResult:
    """Each batch commits on its own: a kill loses the batch under way, and a retry continues."""
    params, settings = job.step.params, job.settings
    with job_engine(settings.database_url) as engine:
        return cleanup_old_sensor_data(
            engine,
            retention_days=params.retention_days or settings.sqal_raw_retention_days,
            batch_size=params.batch_size or settings.sqal_cleanup_batch_size,
            now=job.step.now,
            on_progress=reporter,
        )


@activity.defn(name="delete_old_sensor_samples")
async def delete_old_sensor_samples(step: CleanupSensorDataStep) -> CleanupSensorDataResult:
    job = SensorCleanupJob(settings=get_settings(), step=step)
    return await run_in_child_process(sensor_cleanup_job, job, stage="échantillons SQAL anciens")

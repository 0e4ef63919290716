"""cleanup_old_sensor_data: delete raw SQAL samples past retention, only those already aggregated."""

from __future__ import annotations

from temporalio import workflow

from workflows._task import TaskWorkflow, task_workflow

with workflow.unsafe.imports_passed_through():
    from activities.default.sensor_cleanup import delete_old_sensor_samples
    from gaveurs.catalogue.maintenance import CLEANUP_SENSOR_DATA
    from gaveurs.contracts.maintenance import (
        CleanupSensorDataInput,
        CleanupSensorDataResult,
        CleanupSensorDataStep,
    )
    from workflows._options import execute
    from workflows.default._presets import SENSOR_RETENTION


@task_workflow(CLEANUP_SENSOR_DATA)
class CleanupOldSensorDataWorkflow(TaskWorkflow):
    @workflow.run
    async def run(self, params: CleanupSensorDataInput) -> CleanupSensorDataResult:
        self.stage("suppression des échantillons SQAL agrégés", 2, 99)
        step = CleanupSensorDataStep(params=params, now=workflow.now())
        result = await execute(delete_old_sensor_samples, step, SENSOR_RETENTION)
        self.finish()
        return result

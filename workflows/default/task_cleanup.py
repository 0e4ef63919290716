"""cleanup_old_celery_tasks (the seed's name): expired exports, abandoned temp files, old task records."""

from __future__ import annotations

from temporalio import workflow

from workflows._task import TaskWorkflow, task_workflow

with workflow.unsafe.imports_passed_through():
    from activities.default.task_cleanup import cleanup_task_records
    from gaveurs.catalogue.maintenance import CLEANUP_OLD_TASKS
    from gaveurs.contracts.maintenance import CleanupOldTasksInput, CleanupOldTasksResult, CleanupOldTasksStep
    from workflows._options import execute
    from workflows.default._presets import HOUSEKEEPING


@task_workflow(CLEANUP_OLD_TASKS)
class CleanupOldTasksWorkflow(TaskWorkflow):
    @workflow.run
    async def run(self, params: CleanupOldTasksInput) -> CleanupOldTasksResult:
        self.stage("nettoyage des exports et de l'historique des tâches", 2, 99)
        result = await execute(
            cleanup_task_records, CleanupOldTasksStep(params=params, now=workflow.now()), HOUSEKEEPING
        )
        self.finish()
        return result

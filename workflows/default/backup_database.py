"""backup_database_task: a consistent, checksummed, verified backup of the farm database, then rotation."""

from __future__ import annotations

from temporalio import workflow

from workflows._task import TaskWorkflow, task_workflow

with workflow.unsafe.imports_passed_through():
    from activities.default.backup_database import backup_database_step
    from gaveurs.artifacts import run_tag
    from gaveurs.catalogue.maintenance import BACKUP_DATABASE
    from gaveurs.contracts.maintenance import BackupDatabaseInput, BackupDatabaseResult, BackupStep
    from workflows._options import execute
    from workflows.default._presets import BACKUP


@task_workflow(BACKUP_DATABASE)
class BackupDatabaseWorkflow(TaskWorkflow):
    @workflow.run
    async def run(self, params: BackupDatabaseInput) -> BackupDatabaseResult:
        self.stage("sauvegarde de la base", 2, 99)
        # The file is named by the workflow's clock and its temporaries by the run: every attempt of this run
        # writes the same backup, and a cancel finds exactly what this run wrote.
        step = BackupStep(
            keep_daily=params.keep_daily, now=workflow.now(), run_tag=run_tag(workflow.info().run_id)
        )
        result = await execute(backup_database_step, step, BACKUP)
        self.finish()
        return result

"""health_check_periodic: database, artifact store and a worker on every queue."""

from __future__ import annotations

import asyncio

from temporalio import workflow

from workflows._task import TaskWorkflow, task_workflow

with workflow.unsafe.imports_passed_through():
    from activities.default.health_check import check_artifact_store, check_database, check_task_queues
    from gaveurs.catalogue.maintenance import HEALTH_CHECK
    from gaveurs.contracts.system import HealthCheckInput, HealthCheckResult
    from workflows._options import CHECK, execute


@task_workflow(HEALTH_CHECK)
class HealthCheckWorkflow(TaskWorkflow):
    """Checks never raise for an unhealthy component: they report it, so the check itself succeeds."""

    @workflow.run
    async def run(self, params: HealthCheckInput) -> HealthCheckResult:
        self.stage("vérification des composants", 10, 90)
        database, artifacts, queues = await asyncio.gather(
            execute(check_database, params, CHECK),
            execute(check_artifact_store, params, CHECK),
            execute(check_task_queues, params, CHECK),
        )
        checks = {"database": database, "artifact_store": artifacts, **queues}
        healthy = all(check.ok for check in checks.values())
        self.finish()
        return HealthCheckResult(
            status="healthy" if healthy else "degraded", checks=checks, checked_at=workflow.now()
        )

"""health_check_periodic: database, artifact store and a worker on every queue; the result is stored, so the
API shows the last one (`GET /api/tasks/system/health/last`) without asking Temporal."""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import ActivityError

from workflows._task import TaskWorkflow, task_workflow

with workflow.unsafe.imports_passed_through():
    from activities.default.health_check import (
        check_artifact_store,
        check_database,
        check_task_queues,
        record_health_check,
    )
    from gaveurs.catalogue.maintenance import HEALTH_CHECK
    from gaveurs.contracts.system import HealthCheckInput, HealthCheckRecordInput, HealthCheckResult
    from workflows._options import CHECK, DB_WRITE, execute

# Runs started before the result was stored have no such step: `patched` keeps them replaying (their
# history is tests/histories/health_check_periodic.2026-11-25.json). Remove the guard once none can run.
STORE_RESULT_PATCH = "store-health-result"
# The database may be what is down: a few quick tries, then the check reports without storing.
STORE = DB_WRITE.with_attempts(3)


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
        result = HealthCheckResult(
            status="healthy" if healthy else "degraded", checks=checks, checked_at=workflow.now()
        )
        if workflow.patched(STORE_RESULT_PATCH):
            self.stage("enregistrement du résultat", 95)
            info = workflow.info()
            record = HealthCheckRecordInput(workflow_id=info.workflow_id, run_id=info.run_id, result=result)
            try:
                await execute(record_health_check, record, STORE)
            except ActivityError as error:
                # Failing the check because its answer could not be stored would hide that answer.
                workflow.logger.warning("health result not stored: %s", error.cause or error)
        self.finish()
        return result

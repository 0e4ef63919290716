"""default: housekeeping and periodic checks."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow

from workflows._progress import ProgressTracking

with workflow.unsafe.imports_passed_through():
    from activities.default.health import check_artifact_store, check_database, check_task_queues
    from gaveurs.contracts.system import HealthCheckInput, HealthCheckResult
    from workflows._policies import retry_policy

# A health check that retries for minutes hides the very outage it should report.
_CHECK_TIMEOUT = timedelta(seconds=20)
_CHECK_RETRY = retry_policy(initial_s=0.5, maximum_s=2.0, attempts=2)


@workflow.defn(name="health_check_periodic")
class HealthCheckWorkflow(ProgressTracking):
    """Checks never raise for an unhealthy component: they report it, so the check itself succeeds."""

    @workflow.run
    async def run(self, _params: HealthCheckInput) -> HealthCheckResult:
        self.stage("vérification des composants", 10, 90)
        database, artifacts, queues = await asyncio.gather(
            workflow.execute_activity(
                check_database, start_to_close_timeout=_CHECK_TIMEOUT, retry_policy=_CHECK_RETRY
            ),
            workflow.execute_activity(
                check_artifact_store, start_to_close_timeout=_CHECK_TIMEOUT, retry_policy=_CHECK_RETRY
            ),
            workflow.execute_activity(
                check_task_queues, start_to_close_timeout=_CHECK_TIMEOUT, retry_policy=_CHECK_RETRY
            ),
        )
        checks = {"database": database, "artifact_store": artifacts, **queues}
        healthy = all(check.ok for check in checks.values())
        self.finish()
        return HealthCheckResult(
            status="healthy" if healthy else "degraded", checks=checks, checked_at=workflow.now()
        )

"""refresh_continuous_aggregates: fold raw SQAL samples and feeding rows added since the last run into the
hourly and daily aggregate tables (incremental, from a watermark)."""

from __future__ import annotations

from temporalio import workflow

from workflows._task import TaskWorkflow, task_workflow

with workflow.unsafe.imports_passed_through():
    from activities.default.refresh_aggregates import refresh_aggregates
    from gaveurs.catalogue.maintenance import REFRESH_AGGREGATES
    from gaveurs.contracts.maintenance import (
        RefreshAggregatesInput,
        RefreshAggregatesResult,
        RefreshAggregatesStep,
    )
    from workflows._options import execute
    from workflows.default._presets import REFRESH


@task_workflow(REFRESH_AGGREGATES)
class RefreshContinuousAggregatesWorkflow(TaskWorkflow):
    @workflow.run
    async def run(self, params: RefreshAggregatesInput) -> RefreshAggregatesResult:
        self.stage("rafraîchissement des agrégats", 2, 99)
        step = RefreshAggregatesStep(full=params.full, now=workflow.now())
        result = await execute(refresh_aggregates, step, REFRESH)
        self.finish()
        return result

"""batch_export_lots_csv: many lots in one zip (lots.csv, gavage.csv, sqal.csv), exported in resumable slices.

The slices are grouped into a few activities: the history records each finished group, and inside a group
each slice's checkpoint rides on the activity's heartbeats, so a worker killed mid-batch costs at most the
slice it was writing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from temporalio import workflow

from workflows._task import TaskWorkflow, task_workflow

with workflow.unsafe.imports_passed_through():
    from activities.exports.lots_batch import export_lots_batch_steps, plan_lots_batch, publish_lots_batch
    from gaveurs.catalogue.exports import LOTS_BATCH_CSV
    from gaveurs.contracts.export_runs import (
        BatchPlanRequest,
        BatchPublishRequest,
        BatchStepsRequest,
        ExportRun,
    )
    from gaveurs.contracts.exports import BatchLotsCsvInput, BatchLotsCsvResult
    from gaveurs.exports.batch import BatchCheckpoint, BatchPlan
    from workflows._options import DB_READ, RENDER, execute
    from workflows.exports._runs import publishing, this_run

# A slice of 25 lots is a few thousand meals and SQAL samples: well under a second on the demo farm.
LOTS_PER_STEP = 25
# Slices per activity: 100 lots, so the largest batch (500 lots) is five activities plus the zip.
STEPS_PER_ACTIVITY = 4
# A slice heartbeats as it ends: a killed worker's slices go to another one after 10 s, not RENDER's 30 s.
BATCH_STEPS = replace(RENDER, heartbeat=timedelta(seconds=10))


@task_workflow(LOTS_BATCH_CSV)
class BatchExportLotsCsvWorkflow(TaskWorkflow):
    @workflow.run
    async def run(self, params: BatchLotsCsvInput) -> BatchLotsCsvResult:
        run = this_run()
        self.stage("vérification des lots", 2)
        plan = await execute(
            plan_lots_batch, BatchPlanRequest(run=run, params=params, lots_per_step=LOTS_PER_STEP), DB_READ
        )
        result = await publishing(run, self._export(run, plan))
        self.finish()
        return result

    async def _export(self, run: ExportRun, plan: BatchPlan) -> BatchLotsCsvResult:
        done, resumed = BatchCheckpoint(), 0
        while done.steps_done < plan.steps:
            until = min(plan.steps, done.steps_done + STEPS_PER_ACTIVITY)
            self.stage(
                f"export des lots {done.steps_done * plan.lots_per_step + 1}"
                f"–{min(until * plan.lots_per_step, len(plan.lot_ids))} sur {len(plan.lot_ids)}",
                5 + 85 * done.steps_done // plan.steps,
                5 + 85 * until // plan.steps,
            )
            request = BatchStepsRequest(run=run, plan=plan, checkpoint=done, until_step=until)
            step = await execute(export_lots_batch_steps, request, BATCH_STEPS)
            done, resumed = step.checkpoint, resumed + step.resumed_steps
        self.stage("création de l'archive zip", 90, 99)
        publish = BatchPublishRequest(run=run, plan=plan, checkpoint=done, resumed_steps=resumed)
        return await execute(publish_lots_batch, publish, RENDER)

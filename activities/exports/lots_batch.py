"""Activities of batch_export_lots_csv: check the selection, export it slice by slice, then zip the parts.

The slices run in a few activities of several slices each. Each slice's parts are written to the store's
staging area (shared by every worker that reaches the store) and the checkpoint after it goes out in a
heartbeat; a retried attempt (its worker was killed or restarted) resumes after the last checkpointed slice
instead of starting over, and the workflow's history keeps the slices earlier activities finished.
"""

from __future__ import annotations

from temporalio import activity

from activities.exports._runs import export_context
from activities.shared.progress import last_checkpoint, report
from gaveurs.contracts.export_runs import (
    BatchPlanRequest,
    BatchPublishRequest,
    BatchStepsDone,
    BatchStepsRequest,
)
from gaveurs.contracts.exports import BatchLotsCsvResult
from gaveurs.db.session import default_engine
from gaveurs.exports.batch import BatchCheckpoint, BatchPlan, parts_present, plan_batch, run_batch_step
from gaveurs.exports.tables import batch_staging_key, publish_batch
from gaveurs.faults import pause_point


@activity.defn(name="plan_lots_batch")
def plan_lots_batch(request: BatchPlanRequest) -> BatchPlan:
    """The selection checked (LotNotFound names the missing ids; EmptySelection, SelectionTooLarge)."""
    return plan_batch(
        default_engine(),
        request.params.lot_ids,
        generated_at=request.run.generated_at,
        lots_per_step=request.lots_per_step,
    )


def _stage(plan: BatchPlan, done: BatchCheckpoint) -> str:
    exported = min(done.steps_done * plan.lots_per_step, len(plan.lot_ids))
    return f"lots exportés : {exported}/{len(plan.lot_ids)}"


@activity.defn(name="export_lots_batch_steps")
def export_lots_batch_steps(request: BatchStepsRequest) -> BatchStepsDone:
    ctx = export_context(request.run)
    plan = request.plan
    staging = ctx.store.staging(batch_staging_key(request.run.task_id, request.run.run_id))
    until = min(request.until_step, plan.steps)
    first = request.checkpoint.steps_done
    done = request.checkpoint
    saved = last_checkpoint(BatchCheckpoint)
    if saved is not None and saved.steps_done > done.steps_done and parts_present(staging, saved):
        activity.logger.info(
            "resuming %s after slice %d of %d", request.run.task_id, saved.steps_done, plan.steps
        )
        done = saved
    resumed = done.steps_done - first

    def beat() -> None:
        # The checkpoint rides on every heartbeat: whatever kills this attempt, the next one resumes from it.
        report(100 * (done.steps_done - first) // max(until - first, 1), _stage(plan, done), done)

    beat()
    while done.steps_done < until:
        done = run_batch_step(ctx.engine, staging, plan, done, chunk_rows=ctx.settings.export_csv_chunk_rows)
        beat()
        pause_point("export_lots_batch_steps.after_step", beat)
    return BatchStepsDone(checkpoint=done, resumed_steps=resumed)


@activity.defn(name="publish_lots_batch")
def publish_lots_batch(request: BatchPublishRequest) -> BatchLotsCsvResult:
    """Stream the parts into this run's zip, index it, then drop the staging area."""
    return publish_batch(
        export_context(request.run), request.plan, request.checkpoint, resumed_steps=request.resumed_steps
    )

"""monthly_ml_models_retraining: starts retrain_all_ml_models_async (queue ml_heavy) as a child, waits for it.

The child is whatever the catalogue row of `retrain_all_ml_models_async` says (workflow type, queue, search
attributes, execution timeout), started with that row's default input. Waiting for it (rather than firing and
forgetting) is what lets the schedule's SKIP policy keep two retrainings from overlapping, and what puts the
retraining's outcome in this run's result (the schedule list shows it).
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.workflow import ParentClosePolicy

from workflows._task import TaskWorkflow, task_workflow

with workflow.unsafe.imports_passed_through():
    from gaveurs.catalogue import CATALOGUE
    from gaveurs.catalogue.maintenance import MONTHLY_RETRAINING
    from gaveurs.contracts.maintenance import MonthlyRetrainingInput, MonthlyRetrainingResult
    from gaveurs.errors import TaskNotCatalogued
    from gaveurs.task_ids import format_task_id

# The ML domain's row for it is `RETRAIN_ALL` in gaveurs/catalogue/ml.py; looked up by task name.
RETRAIN_ALL_TASK = "retrain_all_ml_models_async"


@task_workflow(MONTHLY_RETRAINING)
class MonthlyMlRetrainingWorkflow(TaskWorkflow):
    @workflow.run
    async def run(self, params: MonthlyRetrainingInput) -> MonthlyRetrainingResult:
        started_at = workflow.now()
        retrain = CATALOGUE.get(RETRAIN_ALL_TASK)
        if retrain is None:
            raise TaskNotCatalogued.error(
                f"{RETRAIN_ALL_TASK} is not catalogued in this deployment: nothing to retrain the models with"
            )
        child_input = retrain.input()
        # Stable per run of this task: a replay, or a retried workflow task, never starts a second retraining.
        child_id = f"{workflow.info().workflow_id}-retrain-all"
        child = await workflow.start_child_workflow(
            retrain.name,
            child_input,
            id=child_id,
            task_queue=retrain.queue.value,
            search_attributes=retrain.search_attributes(child_input),
            execution_timeout=retrain.execution_timeout,
            # Cancelling (or timing out) the monthly run cancels the retraining: REVOKED means it stopped.
            parent_close_policy=ParentClosePolicy.REQUEST_CANCEL,
            result_type=retrain.result,
        )
        child_task_id = format_task_id(child_id, child.first_execution_run_id or "")
        self.stage(f"réentraînement de tous les modèles (tâche {child_task_id})", 5, 95)
        outcome = await child
        self.finish()
        return MonthlyRetrainingResult(
            child_task_id=child_task_id,
            child_workflow_id=child_id,
            retrain=outcome.model_dump(mode="json"),
            started_at=started_at,
            finished_at=workflow.now(),
        )

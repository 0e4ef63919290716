"""send_lot_completion_notification: the finished lot's figures to its gaveur, by SMS and by e-mail."""

from __future__ import annotations

from temporalio import workflow

from workflows._task import TaskWorkflow, task_workflow

with workflow.unsafe.imports_passed_through():
    from activities.notifications.lot_completion import plan_lot_completion, send_lot_completion_message
    from gaveurs.catalogue.notifications import LOT_COMPLETION
    from gaveurs.contracts.notifications import LotCompletionInput, LotCompletionMessage, LotCompletionResult
    from gaveurs.notify.tasks import lot_completion_result
    from gaveurs.search_attributes import SITE_CODE
    from workflows._options import DB_READ, execute
    from workflows.notifications._delivery import deliver, run_key, side_by_side


@task_workflow(LOT_COMPLETION)
class SendLotCompletionNotificationWorkflow(TaskWorkflow):
    """One activity per message, side by side: a refused SMS (a landline) does not hold back the e-mail."""

    @workflow.run
    async def run(self, params: LotCompletionInput) -> LotCompletionResult:
        key = run_key()
        self.stage("bilan du lot", 5)
        plan = await execute(plan_lot_completion, params, DB_READ)
        workflow.upsert_search_attributes([SITE_CODE.value_set(plan.kpis.site_code)])

        self.stage("envoi du bilan au gaveur", 20, 99)
        outcomes = await side_by_side(
            [
                deliver(
                    send_lot_completion_message,
                    LotCompletionMessage(task_key=key, kpis=plan.kpis, delivery=delivery),
                    delivery,
                )
                for delivery in plan.deliveries
            ]
        )
        # NotificationUndeliverable (FAILURE) when the gaveur got neither message.
        result = lot_completion_result(params.lot_id, plan.kpis, outcomes, workflow.now())
        self.finish()
        return result

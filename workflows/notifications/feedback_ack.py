"""send_consumer_feedback_acknowledgment: a thank-you e-mail to a consumer who left an address."""

from __future__ import annotations

from temporalio import workflow

from workflows._task import TaskWorkflow, task_workflow

with workflow.unsafe.imports_passed_through():
    from activities.notifications.feedback_ack import (
        plan_feedback_acknowledgment,
        send_feedback_acknowledgment,
    )
    from gaveurs.catalogue.notifications import FEEDBACK_ACKNOWLEDGMENT
    from gaveurs.contracts.notifications import (
        FeedbackAcknowledgmentInput,
        FeedbackAcknowledgmentMessage,
        FeedbackAcknowledgmentResult,
    )
    from gaveurs.notify.tasks import feedback_acknowledgment_result
    from gaveurs.search_attributes import LOT_ID
    from workflows._options import DB_READ, SEND, execute
    from workflows.notifications._delivery import run_key


@task_workflow(FEEDBACK_ACKNOWLEDGMENT)
class SendConsumerFeedbackAcknowledgmentWorkflow(TaskWorkflow):
    """No address left: SUCCESS with status `skipped` and the reason. A malformed address or a refused
    mailbox: FAILURE (InvalidEmailAddress / EmailRejected), there is nobody else to thank."""

    @workflow.run
    async def run(self, params: FeedbackAcknowledgmentInput) -> FeedbackAcknowledgmentResult:
        key = run_key()
        self.stage("lecture de l'avis", 5)
        plan = await execute(plan_feedback_acknowledgment, params, DB_READ)
        workflow.upsert_search_attributes([LOT_ID.value_set(plan.lot_id)])
        if plan.skipped_because is not None:
            self.finish("rien à envoyer")
            return feedback_acknowledgment_result(plan, None, workflow.now())

        self.stage("envoi du remerciement", 20, 99)
        message = FeedbackAcknowledgmentMessage(task_key=key, feedback_id=plan.feedback_id)
        delivery = await execute(send_feedback_acknowledgment, message, SEND)
        self.finish()
        return feedback_acknowledgment_result(plan, delivery, workflow.now())

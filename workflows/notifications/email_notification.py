"""send_email_notification: one e-mail (HTML and its plain-text part) through SMTP, sent at most once."""

from __future__ import annotations

from temporalio import workflow

from workflows._task import TaskWorkflow, task_workflow

with workflow.unsafe.imports_passed_through():
    from activities.notifications.email_notification import send_email
    from gaveurs.catalogue.notifications import EMAIL_NOTIFICATION
    from gaveurs.contracts.notifications import (
        EmailNotificationInput,
        EmailNotificationResult,
        SendEmailRequest,
    )
    from workflows._options import SEND, execute
    from workflows.notifications._delivery import run_key


@task_workflow(EMAIL_NOTIFICATION)
class SendEmailNotificationWorkflow(TaskWorkflow):
    @workflow.run
    async def run(self, params: EmailNotificationInput) -> EmailNotificationResult:
        self.stage("envoi de l'e-mail", 10, 99)
        request = SendEmailRequest(
            idempotency_key=run_key(),
            to_email=params.to_email,
            subject=params.subject,
            body_html=params.body_html,
        )
        result = await execute(send_email, request, SEND)
        self.finish("e-mail remis au serveur de messagerie")
        return result

"""send_sms_alert: one SMS through Twilio, sent at most once whatever the retries."""

from __future__ import annotations

from temporalio import workflow

from workflows._task import TaskWorkflow, task_workflow

with workflow.unsafe.imports_passed_through():
    from activities.notifications.sms_alert import send_sms
    from gaveurs.catalogue.notifications import SMS_ALERT
    from gaveurs.contracts.notifications import SendSmsRequest, SmsAlertInput, SmsAlertResult
    from workflows._options import SEND, execute
    from workflows.notifications._delivery import run_key

# An urgent alert keeps trying for longer; a low-priority one gives up sooner.
_ATTEMPTS = {"high": 12, "normal": 6, "low": 3}


@task_workflow(SMS_ALERT)
class SendSmsAlertWorkflow(TaskWorkflow):
    @workflow.run
    async def run(self, params: SmsAlertInput) -> SmsAlertResult:
        self.stage("envoi du SMS", 10, 99)
        request = SendSmsRequest(
            idempotency_key=run_key(), phone=params.phone, message=params.message, priority=params.priority
        )
        result = await execute(send_sms, request, SEND.with_attempts(_ATTEMPTS[params.priority]))
        self.finish("SMS remis à Twilio")
        return result

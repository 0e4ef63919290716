"""notifications: messages to people, each sent at most once."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

from workflows._progress import ProgressTracking

with workflow.unsafe.imports_passed_through():
    from activities.notifications.sms import send_sms
    from gaveurs.contracts.notifications import SendSmsRequest, SmsAlertInput, SmsAlertResult
    from workflows._policies import retry_policy

# An urgent alert keeps trying for longer; a low-priority one gives up sooner.
_ATTEMPTS = {"high": 12, "normal": 6, "low": 3}


@workflow.defn(name="send_sms_alert")
class SendSmsAlertWorkflow(ProgressTracking):
    @workflow.run
    async def run(self, params: SmsAlertInput) -> SmsAlertResult:
        self.stage("envoi du SMS", 10, 99)
        result = await workflow.execute_activity(
            send_sms,
            SendSmsRequest(
                idempotency_key=workflow.info().workflow_id,
                phone=params.phone,
                message=params.message,
                priority=params.priority,
            ),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=retry_policy(initial_s=2.0, maximum_s=60.0, attempts=_ATTEMPTS[params.priority]),
        )
        self.finish("SMS remis à Twilio")
        return result

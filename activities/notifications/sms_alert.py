"""Activity of send_sms_alert: one SMS per task run, never two (see gaveurs.notify.sms), none after a cancel."""

from __future__ import annotations

from temporalio import activity

from activities.notifications._sending import outbox
from activities.shared.progress import report
from gaveurs.contracts.notifications import SendSmsRequest, SmsAlertResult

STAGE = "envoi du SMS"


@activity.defn(name="send_sms")
def send_sms(request: SendSmsRequest) -> SmsAlertResult:
    report(10, STAGE)
    # Waits for a slot of the shared SMS rate, then stops at `send_sms.before_provider` (a pause in tests):
    # a cancel up to there sends nothing; one arriving during the Twilio call lets the call finish.
    sender = outbox("send_sms.before_provider", 20, STAGE)
    return sender.sms.send_once(
        request,
        should_stop=sender.should_stop,
        max_wait_s=sender.max_wait_s,
        before_send=sender.before_send,
        while_sending=sender.while_sending,
    )

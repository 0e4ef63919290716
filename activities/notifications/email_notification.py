"""Activity of send_email_notification: one e-mail per task run, never two (see gaveurs.notify.mail)."""

from __future__ import annotations

from temporalio import activity

from activities.notifications._sending import outbox
from activities.shared.progress import report
from gaveurs.contracts.notifications import EmailNotificationResult, SendEmailRequest

STAGE = "envoi de l'e-mail"


@activity.defn(name="send_email")
def send_email(request: SendEmailRequest) -> EmailNotificationResult:
    report(10, STAGE)
    sender = outbox("send_email.before_provider", 20, STAGE)
    return sender.email.send_once(
        request,
        should_stop=sender.should_stop,
        max_wait_s=sender.max_wait_s,
        before_send=sender.before_send,
        while_sending=sender.while_sending,
    )

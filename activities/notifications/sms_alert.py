"""Activity of send_sms_alert: one SMS per task, never two (see gaveurs.notify.sms), none after a cancel."""

from __future__ import annotations

from temporalio import activity

from activities.shared.cancellation import complete_once_started
from activities.shared.progress import report
from gaveurs.contracts.notifications import SendSmsRequest, SmsAlertResult
from gaveurs.db.session import default_engine
from gaveurs.faults import pause_point
from gaveurs.notify.sms import SmsSender
from gaveurs.settings import get_settings


@activity.defn(name="send_sms")
def send_sms(request: SendSmsRequest) -> SmsAlertResult:
    report(10, "envoi du SMS")

    def last_chance_to_stop() -> None:
        pause_point("send_sms.before_provider", lambda: report(20, "envoi du SMS"))
        # A heartbeat is how a cancel reaches this thread: it raises CancelledError here, before sending.
        report(30, "envoi du SMS")

    sender = SmsSender(get_settings(), default_engine())
    return sender.send_once(request, before_send=last_chance_to_stop, while_sending=complete_once_started)

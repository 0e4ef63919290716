"""Activity of send_sms_alert: one SMS per task, never two (see gaveurs.notify.sms)."""

from __future__ import annotations

from temporalio import activity

from gaveurs.contracts.notifications import SendSmsRequest, SmsAlertResult
from gaveurs.db.session import default_engine
from gaveurs.notify.sms import SmsSender
from gaveurs.settings import get_settings


@activity.defn(name="send_sms")
def send_sms(request: SendSmsRequest) -> SmsAlertResult:
    activity.heartbeat()
    return SmsSender(get_settings(), default_engine()).send_once(request)

"""Start routes of the notification tasks (`/api/tasks/notifications/...`), as the seed named them."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import IdempotencyKey, TemporalClientDep
from api.schemas import TaskSubmitted, submitted_model
from api.task_starter import start_task
from gaveurs.catalogue.notifications import ANOMALY_ALERT, SMS_ALERT
from gaveurs.contracts.notifications import AnomalyAlertInput, SmsAlertInput

router = APIRouter()


@router.post("/notifications/sms", response_model=submitted_model(SMS_ALERT))
async def sms_alert(
    client: TemporalClientDep, alert: SmsAlertInput, idempotency_key: IdempotencyKey = None
) -> TaskSubmitted:
    """The answer echoes the phone in its canonical E.164 form, the one the SMS goes to."""
    return await start_task(client, SMS_ALERT, alert, idempotency_key=idempotency_key)


@router.post("/notifications/anomaly-alert", response_model=submitted_model(ANOMALY_ALERT))
async def anomaly_alert(
    client: TemporalClientDep, alert: AnomalyAlertInput, idempotency_key: IdempotencyKey = None
) -> TaskSubmitted:
    """An SMS and an e-mail to each manager of the site, its anomalies grouped by severity."""
    return await start_task(client, ANOMALY_ALERT, alert, idempotency_key=idempotency_key)
